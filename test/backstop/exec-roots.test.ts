// An exec the policy allows must also pass the kernel backstop. execve opens
// the program for reading as well as executing, and Landlock checks READ_FILE
// on that open: an exec root granted EXECUTE alone made every exec there fail
// with EACCES while the library's record said allow. The directory here is in
// no read rule, so only the exec grant can let the program run.

import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { buildNatives, scratch, trajeckt, writePolicy } from "../run/helpers.js";

let dir: string;
let policy: string;
let n = 0;

beforeAll(() => {
  buildNatives();
  dir = scratch("exec-roots");
  for (const d of ["tools", "other", "logs"]) mkdirSync(join(dir, d));
  copyFileSync("/usr/bin/true", join(dir, "tools", "ok-tool"));
  copyFileSync("/usr/bin/true", join(dir, "other", "not-a-tool"));
  policy = writePolicy(dir, `policy "exec-roots-test" version "1.0.0"
default deny
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev"]
rule system: allow file.read if path under system
rule tools:  allow exec if exe under ["/usr/bin", "/bin", ${JSON.stringify(join(dir, "tools"))}]
`, "exec-roots.trj");
}, 120_000);

async function shUnder(backstop: "on" | "off", script: string) {
  const log = join(dir, "logs", `audit-${++n}.jsonl`);
  const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--quiet", "--backstop", backstop, "--", "/bin/sh", "-c", script]);
  const execs = readFileSync(log, "utf8").split("\n").filter((l) => l.includes('"kind":"exec"')).map((l) => JSON.parse(l) as { exe: string; decision: string });
  return { r, execs };
}

describe("exec roots under the kernel backstop", () => {
  for (const backstop of ["on", "off"] as const) {
    it(`runs_an_allowed_program_from_a_tree_no_rule_lets_the_agent_read_backstop_${backstop}`, async () => {
      const tool = join(dir, "tools", "ok-tool");
      const { r, execs } = await shUnder(backstop, `${tool} && echo ran`);
      expect([r.code, r.stdout.trim(), r.stderr]).toEqual([0, "ran", ""]);
      expect(execs.find((e) => e.exe === tool)?.decision).toBe("allow");
    });

    it(`still_denies_a_program_outside_the_exec_roots_backstop_${backstop}`, async () => {
      const other = join(dir, "other", "not-a-tool");
      const { r, execs } = await shUnder(backstop, `${other} || echo refused`);
      expect(r.stdout.trim()).toBe("refused");
      expect(r.stderr).toContain("Permission denied");
      expect(execs.find((e) => e.exe === other)?.decision).toBe("deny");
    });
  }
});
