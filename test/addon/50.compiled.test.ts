// The addon on tables from the real compiler (compiler/index.ts): the fields a
// compiled policy names are the ones evaluate() reads.
import { describe, expect, it } from "vitest";

import { loadPolicy, verify, type Action } from "../../runtime/binding.js";

type Compile = (source: string, opts: { file: string }) => { ok: boolean; bytes: Uint8Array | null; diagnostics: unknown[] };
const compile: Compile | null = await import("../../compiler/index.js").then((m) => m.compile as Compile).catch(() => null);

const SOURCE = `policy "addon-e2e" version "0.1.0"
default deny
rule system:   allow file.read if path under "/usr"
rule secret:   deny file.read if path == "/usr/secret" reason "nope"
rule ssh:      ask net.connect if port == 22 timeout 30s
rule intranet: allow net.connect if ip in 10.0.0.0/8
rule charge:   flag tool.call if args.amount > 1000
rule push:     allow exec if argv[1] == "push" and argc == 3
rule b64:      deny exec if cmdline =~ /base64\\s+-d/
`;

describe.skipIf(compile === null)("compiled policies (needs compiler/index.ts)", () => {
  const r = compile!(SOURCE, { file: "addon-e2e.trj" });
  const p = () => loadPolicy(r.bytes!);

  it("compiles_and_verifies", () => {
    // `push` allows exec by argv alone: the kernel backstop must allow exec anywhere, and says so
    expect(r.diagnostics).toMatchObject([{ code: "backstop-wide", severity: "warning", loc: { start: { line: 8 } } }]);
    expect(verify(r.bytes!)).toEqual({ ok: true });
  });

  it("decides_each_value_type", () => {
    const cases: [Action, Record<string, unknown>][] = [
      [{ kind: "file.read", path: "/usr/lib/x" }, { decision: "allow", rule: "system" }],
      [{ kind: "file.read", path: "/usr/secret" }, { decision: "deny", rule: "secret", reason: "nope" }],
      [{ kind: "file.read", path: Buffer.from("/usr/\xff", "latin1") }, { decision: "allow", rule: "system" }],
      [{ kind: "net.connect", port: 22 }, { decision: "ask", rule: "ssh", timeoutMs: 30000 }],
      [{ kind: "net.connect", ip: "10.9.8.7", port: 80 }, { decision: "allow", rule: "intranet" }],
      [{ kind: "net.connect", ip: "::ffff:10.9.8.7", port: 80n }, { decision: "allow", rule: "intranet" }],
      [{ kind: "net.connect", ip: "11.0.0.1", port: 80 }, { decision: "deny", reason: "default" }],
      [{ kind: "tool.call", tool: "stripe", args: { amount: 5000 } }, { decision: "allow", flagged: true }],
      [{ kind: "exec", exe: "/usr/bin/git", argv: ["git", "push", "origin"] }, { decision: "allow", rule: "push" }],
      [{ kind: "exec", exe: "/bin/sh", argv: ["sh", "-c", "echo | base64 -d"] }, { decision: "deny", rule: "b64" }],
      [{ kind: "exec", exe: "/bin/sh" }, { decision: "deny", reason: "eval-error", error: "missing-field" }],
      [{ kind: "net.connect", ip: "not-an-ip", port: 80 }, { decision: "deny", reason: "eval-error", error: "type-mismatch" }],
    ];
    const policy = p();
    for (const [action, want] of cases) expect(policy.evaluate(action), JSON.stringify(action, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))).toMatchObject(want);
  });

  it("reports_info_from_the_table", () => {
    const info = p().info();
    expect(info.name).toBe("addon-e2e");
    expect(info.rules.map((x) => x.name)).toEqual(["system", "secret", "ssh", "intranet", "charge", "push", "b64"]);
    expect(info.rules[2]).toMatchObject({ decision: "ask", line: 5, timeoutMs: 30000 });
  });
});

if (compile === null) it.skip("compiled policies: compiler/index.ts does not load yet", () => {});
