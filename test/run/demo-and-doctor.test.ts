// The demo agent end to end under the shipped coding-agent policy, and
// `trajeckt doctor` on this machine.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { buildNatives, decisions, ROOT, scratch, trajeckt } from "./helpers.js";

beforeAll(() => buildNatives());

describe("demo agent", () => {
  it("runs_end_to_end_and_its_denials_are_in_the_log", async () => {
    const log = join(scratch("demo"), "audit.jsonl");
    const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const r = await trajeckt([
      "run", "--policy", "policies/coding-agent.trj", "--var", `WORKSPACE=${join(ROOT, "examples", "demo-agent")}`,
      // under the kernel backstop (the default): python's close_fds children get a policy memfd made with
      // MFD_NOEXEC_SEAL and reopen the ring through their parent, both allowed inside the agent's domain
      "--audit", log, "--", py, "examples/demo-agent/agent.py",
    ]);
    expect(r.stdout).toMatch(/ok {7}git status --short -> \d+ lines/);
    expect(r.stdout).toMatch(/ok {7}wrote out\/project\/NOTES\.md/);
    expect(r.stdout).toMatch(/BLOCKED {2}read .*home\/\.ssh\/id_rsa: Permission denied/);
    expect(r.stdout).toMatch(/BLOCKED {2}sh -c '\.\.\. \| base64 -d \| sh'/);
    const denied = decisions(log).filter((l) => l.decision === "deny");
    expect(denied).toContainEqual(expect.objectContaining({ kind: "file.read", rule: "no_secrets", path: join(ROOT, "examples/demo-agent/home/.ssh/id_rsa") }));
    expect(denied).toContainEqual(expect.objectContaining({ kind: "exec", rule: "no_b64_run" }));
    expect(denied).toContainEqual(expect.objectContaining({ kind: "net.connect", port: 443 }));
    expect(r.stdout).toContain("done: every step went as the policy intends");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^trajeckt: \d+ decisions, [1-9]\d* denied, \d+ flagged · log /m);
  });
});

describe("trajeckt doctor", () => {
  it("reports_live_file_and_exec_enforcement_with_audit_records", async () => {
    const r = await trajeckt(["doctor", "--json"]);
    const report = JSON.parse(r.stdout) as { live: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName["denied open fails with EACCES and is logged"]).toMatchObject({ ok: true });
    expect(byName["allowed open works and is logged"]).toMatchObject({ ok: true });
    expect(byName["denied exec fails with EACCES and is logged"]).toMatchObject({ ok: true });
    expect(byName["Landlock"]).toBeDefined();
    expect(byName["denied connect fails with EPERM and is logged"]).toMatchObject({ ok: true });
    expect(report.live).toBe(true);
    expect(r.code).toBe(0);
  });

  it("reports_the_kernel_layers_and_whether_the_backstop_applies_to_a_policy", async () => {
    const r = await trajeckt(["doctor", "--json", "--policy", "policies/coding-agent.trj", "--var", `WORKSPACE=${join(ROOT, "examples", "demo-agent")}`]);
    const report = JSON.parse(r.stdout) as { live: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName["Landlock"]).toMatchObject({ ok: true, detail: expect.stringMatching(/^ABI \d+/) });
    expect(byName["seccomp filter"]).toMatchObject({ ok: true });
    expect(byName["seccomp user notification"]).toBeDefined();
    expect(byName["kernel backstop applies with policies/coding-agent.trj"]).toMatchObject({ ok: true, detail: expect.stringMatching(/^landlock abi \d+ \+ seccomp/) });
    expect(r.code).toBe(0);
  });
});
