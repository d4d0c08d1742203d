// A program run through a symlink (/usr/bin/python3 -> python3.11, /bin/sh ->
// dash) may be named in a policy by either name: the exec is judged on the
// real path and on the name it was run as — a rule's deny on either name
// wins, then ask, then allow; the default applies only when no rule matched
// either. The audit record carries both (exe, exe_name).

import { mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readRingFile } from "../../runtime/audit/records.js";
import { buildHarness, buildPreload, compilePolicy, PRELOAD_OUT, runUnder } from "./support.js";

const HARNESS = join(PRELOAD_OUT, "test/exec-names/run_with_policy");
let tmp = "";

// /usr/bin/env is a real file; a symlink to it in tmp stands for any symlinked tool
let LINK = "";
const ENV = realpathSync("/usr/bin/env");

function policy(rules: string): string {
  return compilePolicy(
    join(tmp, `p${Math.random().toString(16).slice(2)}.trjb`),
    `policy "exec-names" version "1.0.0"
default deny
rule read_system: allow file.read if path under ["/usr", "/lib", "/lib64", "/etc", "/proc", "/dev"]
rule devnull:     allow file.write if path == "/dev/null"
rule shell:       allow exec if exe == "${realpathSync("/bin/sh")}"
${rules}
`,
    {},
  );
}

/** sh -c 'LINK --version' under the policy: exit status of the inner exec (126 = denied). */
function runLink(policyFile: string, ring: string): number {
  const r = runUnder(HARNESS, policyFile, ["/bin/sh", "-c", `${LINK} --version >/dev/null; echo $?`], { cwd: tmp, harness: ["--ring", ring], env: { PATH: "/usr/bin:/bin" } });
  return Number(r.stdout.trim().split("\n").pop());
}

beforeAll(() => {
  buildPreload();
  tmp = mkdtempSync(join(tmpdir(), "trj-exec-names-"));
  LINK = join(tmp, "my-env");
  symlinkSync(ENV, LINK);
  buildHarness(HARNESS);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("exec through a symlink", () => {
  it("allows_a_program_named_by_its_symlink_and_records_both_names", () => {
    expect(readlinkSync(LINK)).toBe(ENV);
    const ring = join(tmp, "r1.ring");
    expect(runLink(policy(`rule tool: allow exec if exe == "${LINK}"`), ring)).toBe(0);
    const rec = readRingFile(ring).find((x) => x.kind === "exec" && x.fields.exe === ENV);
    expect(rec?.decision).toBe("allow");
    expect((rec?.fields as Record<string, unknown>).exeName ?? (rec?.fields as Record<string, unknown>).exe_name).toBe(LINK);
  });

  it("allows_a_program_named_by_its_real_path_when_run_through_a_symlink", () => {
    expect(runLink(policy(`rule tool: allow exec if exe == "${ENV}"`), join(tmp, "r2.ring"))).toBe(0);
  });

  it("denies_when_either_name_is_denied_by_a_rule", () => {
    expect(runLink(policy(`rule tool: allow exec if exe == "${ENV}"\nrule no_link: deny exec if exe == "${LINK}"`), join(tmp, "r3.ring"))).toBe(126);
    expect(runLink(policy(`rule tool: allow exec if exe == "${LINK}"\nrule no_real: deny exec if exe == "${ENV}"`), join(tmp, "r4.ring"))).toBe(126);
  });

  it("denies_by_default_when_no_rule_names_either", () => {
    expect(runLink(policy(""), join(tmp, "r5.ring"))).toBe(126);
  });
});
