// A relative name is judged and acted on from the same, pinned directory: a
// thread that flips the working directory between an allowed and a denied
// directory must never get an operation through on the denied one. (Found in
// review: lsetxattr("f") was judged as cwd + "/f" and then done on "f" after
// another thread's chdir — 9 % of attempts reached the denied file.)

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { buildC, buildNatives, scratch, trajeckt, writePolicy } from "../run/helpers.js";

let dir: string;
let probe: string;
let policy: string;

beforeAll(() => {
  buildNatives();
  dir = scratch("cwd-race");
  for (const d of ["ok", "secret", "bin"]) mkdirSync(join(dir, d));
  for (const d of ["ok", "secret"]) writeFileSync(join(dir, d, "f"), "x\n");
  probe = buildC(join(import.meta.dirname, "cwd_race.c"), join(dir, "bin", "cwd_race"), ["-pthread"]);
  policy = writePolicy(dir, `policy "cwd-race-test" version "1.0.0"
default deny
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev"]
rule system: allow file.read if path under system
rule tools:  allow exec if exe under ${JSON.stringify(join(dir, "bin"))}
rule meta:   allow file.meta if path under ${JSON.stringify(join(dir, "ok"))}
`, "cwd-race.trj");
}, 120_000);

describe("a name relative to the working directory", () => {
  it("is_never_acted_on_in_a_directory_other_than_the_one_judged", async () => {
    const r = await trajeckt(["run", "--policy", policy, "--audit", join(dir, "audit.jsonl"), "--quiet", "--", probe, join(dir, "ok"), join(dir, "secret"), "20000"]);
    const m = /ok=(\d+) denied=(\d+) other=(\d+)/.exec(r.stdout);
    expect(m, r.stderr).not.toBeNull();
    const [ok, denied] = [Number(m![1]), Number(m![2])];
    expect(ok).toBeGreaterThan(0); // the allowed directory was hit
    expect(denied).toBeGreaterThan(0); // and the denied one was tried
    const listed = execFileSync("python3", ["-c", `import os; print(os.listxattr(${JSON.stringify(join(dir, "secret", "f"))}))`], { encoding: "utf8" });
    expect(listed.trim()).toBe("[]");
  }, 120_000);
});
