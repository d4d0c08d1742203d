// The real `trajeckt` command, run as a child process from the repository
// root: help texts, exit codes (0 ok, 1 policy errors, 2 usage), what goes to
// stdout and what to stderr, and the round trip compile → verify → disasm →
// eval → test.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HDR } from "../../compiler/format.js";

const root = join(import.meta.dirname, "../..");
const COMMANDS = ["compile", "check", "test", "eval", "disasm", "verify"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every run: no WORKSPACE (the policies' env() default applies unless --var says otherwise). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.WORKSPACE;
  delete env.UPDATE_GOLDEN;
  return env;
}

function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/trajeckt.js", ...args], { cwd: root, env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** For failure messages: everything a run printed. */
const shown = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A small policy whose decision depends on env("WORKSPACE", ...) (small, so it compiles fast). */
const WORKSPACE_POLICY = [
  'policy "workspace" version "1.0.0"',
  "default deny",
  'const WORKSPACE = env("WORKSPACE", "/work")',
  "rule workspace: allow file.read, file.write if path under WORKSPACE",
  "",
].join("\n");

/** Each test runs one to three CLI processes; they are slow on a busy machine. */
const SLOW = { timeout: 180_000 };

let tmp: string;
const tmpFile = (name: string, text?: string | Uint8Array): string => {
  const f = join(tmp, name);
  if (text !== undefined) writeFileSync(f, text);
  return f;
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "trajeckt-cli-"));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent("help and usage", SLOW, () => {
  it("prints the top-level help on --help, exit 0", async () => {
    const r = await cli(["--help"]);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toContain("usage: trajeckt <command>");
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\s+\\S`, "m"));
    expect(r.stderr).toBe("");
  });

  for (const c of COMMANDS) {
    it(`prints the usage of \`${c}\` on --help, exit 0`, async () => {
      const r = await cli([c, "--help"]);
      expect(r.code, shown(r)).toBe(0);
      expect(r.stdout.startsWith(`usage: trajeckt ${c} `), shown(r)).toBe(true);
      expect(r.stderr).toBe("");
    });
  }

  it("documents the byte spelling that eval really accepts", async () => {
    // runtime/actions.ts reads {"$bytes": hex} and {"$b64": ...}; there is no "$hex".
    const r = await cli(["eval", "--help"]);
    expect(r.stdout).toContain('"$bytes"');
    expect(r.stdout).not.toContain('"$hex"');
  });

  it("prints the help on stderr with exit 2 when no command is given", async () => {
    const r = await cli([]);
    expect(r.code, shown(r)).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("usage: trajeckt <command>");
  });

  it("rejects an unknown command with exit 2", async () => {
    const r = await cli(["frobnicate", "policies/read-only.trj"]);
    expect(r.code, shown(r)).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("unknown command `frobnicate`");
  });

  it("rejects an unknown option with exit 2", async () => {
    const r = await cli(["check", "--frob", "policies/read-only.trj"]);
    expect(r.code, shown(r)).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("usage: trajeckt check");
  });

  for (const c of ["check", "compile", "eval", "disasm", "verify", "test"]) {
    it(`\`${c}\` of a missing file exits 2 and says so on stderr`, async () => {
      const missing = join(tmpdir(), "trajeckt-cli-does-not-exist", "policy.trj");
      const r = await cli(c === "verify" ? [c, missing.replace(/\.trj$/, ".trjb")] : c === "test" ? [c, missing, missing + ".cases.yaml"] : [c, missing]);
      expect(r.code, shown(r)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("trajeckt-cli-does-not-exist");
    });
  }

  it("rejects --var without NAME= with exit 2", async () => {
    for (const bad of ["WORKSPACE", "=/work"]) {
      const r = await cli(["check", "policies/coding-agent.trj", "--var", bad]);
      expect(r.code, shown(r)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("--var expects NAME=VALUE");
    }
  });
});

describe.concurrent("check", SLOW, () => {
  it("accepts a shipped policy: exit 0, a summary on stdout, nothing on stderr", async () => {
    const r = await cli(["check", "policies/read-only.trj"]);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toBe("policies/read-only.trj: ok, 5 rules, 6 examples hold\n");
    expect(r.stderr).toBe("");
  });

  it("reports a bad policy on stderr with file:line:col and a caret, exit 1, nothing on stdout", async () => {
    const r = await cli(["check", "test/bad-policies/34-unknown-field.trj"]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("test/bad-policies/34-unknown-field.trj:4:29: error[unknown-field]: no action kind has a field `hots`");
    expect(r.stderr).toContain("4 | rule a: deny net.connect if hots ==");
    expect(r.stderr).toMatch(/^ {2}\| {29}\^{4}$/m);
    expect(r.stderr).toContain("hint: did you mean `host`?");
  });

  it("reports a syntax error the same way", async () => {
    const r = await cli(["check", "test/bad-policies/01-missing-colon-after-rule-name.trj"]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^test\/bad-policies\/01-missing-colon-after-rule-name\.trj:4:9: error\[syntax-error\]/);
  });

  it("prints one JSON object per diagnostic with --format json", async () => {
    const src = tmpFile(
      "two-errors.trj",
      [
        'policy "p" version "1.0.0"',
        "default deny",
        'rule a: deny net.connect if hots == "example.com"',
        "rule b: allow net.connect if port == 22 timeout 30s",
        "",
      ].join("\n"),
    );
    const r = await cli(["check", src, "--format", "json"]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs).toEqual([
      { code: "unknown-field", severity: "error", file: src, line: 3, col: 29, message: expect.any(String), hint: "did you mean `host`?" },
      { code: "bad-timeout", severity: "error", file: src, line: 4, col: 49, message: expect.any(String), hint: expect.any(String) },
    ]);
  });

  it("prints warnings as JSON too and still exits 0", async () => {
    const r = await cli(["check", "test/bad-policies/67-shadowed-rule.trj", "--format", "json"]);
    expect(r.code, shown(r)).toBe(0);
    const objs = r.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { code: string; severity: string; line: number; col: number });
    expect(objs.map((o) => [o.code, o.severity, o.line, o.col])).toEqual([["shadowed-rule", "warning", 4, 6]]);
    expect(r.stdout).toContain("ok, 2 rules, 0 examples hold, 1 warnings");
  });
});

describe("compile, verify, disasm", SLOW, () => {
  let table: string;
  let bytes: Buffer;

  beforeAll(async () => {
    table = tmpFile("read-only.trjb");
    const r = await cli(["compile", "policies/read-only.trj", "-o", table]);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`wrote ${table}`);
    bytes = readFileSync(table);
  }, SLOW.timeout);

  it("writes a table that verify accepts, naming the policy and its body hash", async () => {
    const r = await cli(["verify", table]);
    expect(r.code, shown(r)).toBe(0);
    const bodySha = bytes.subarray(HDR.bodySha, HDR.bodySha + 32).toString("hex");
    expect(r.stdout).toBe(`${table}: ok, policy "read-only" version 1.0.0, 5 rules, sha256 ${bodySha}\n`);
    expect(r.stderr).toBe("");
  });

  it("rejects a table with one byte of its body flipped, with the reason code", async () => {
    const bad = Buffer.from(bytes);
    bad[bad.length - 10]! ^= 0xff;
    const f = tmpFile("flipped.trjb", bad);
    const r = await cli(["verify", f]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${f}: rejected: body-hash-mismatch`);
  });

  it("rejects a truncated table, with the reason code", async () => {
    const f = tmpFile("truncated.trjb", bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await cli(["verify", f]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${f}: rejected: truncated`);
  });

  it("rejects a file that is not a table at all", async () => {
    const f = tmpFile("text.trjb", "policy \"p\" version \"1.0.0\"\n");
    const r = await cli(["verify", f]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/rejected: [a-z-]+/);
  });

  it("does not write a table for a bad policy", async () => {
    const out = tmpFile("bad.trjb");
    const r = await cli(["compile", "test/bad-policies/34-unknown-field.trj", "-o", out]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[unknown-field]");
    expect(existsSync(out)).toBe(false);
  });

  it("disassembles the table: every rule with its decision and source line", async () => {
    const r = await cli(["disasm", table]);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain('; policy "read-only" version "1.0.0"');
    const source = readFileSync(join(root, "policies/read-only.trj"), "utf8").split("\n");
    const rules = source.flatMap((text, i) => {
      const m = /^rule (\w+):\s+(allow|deny|ask|flag)\b/.exec(text);
      return m ? [{ name: m[1]!, decision: m[2]!, line: i + 1 }] : [];
    });
    expect(rules.length).toBe(5);
    for (const rule of rules) {
      expect(r.stdout).toMatch(new RegExp(`^  r\\d+  ${rule.name}  ${rule.decision}  line ${rule.line}:6  `, "m"));
      expect(r.stdout).toContain(`${rule.name} (line ${rule.line}):`);
    }
  });

  it("disassembles a source file the same way as its table", async () => {
    const [fromTable, fromSource] = await Promise.all([cli(["disasm", table]), cli(["disasm", "policies/read-only.trj"])]);
    expect(fromSource.code, shown(fromSource)).toBe(0);
    expect(fromSource.stdout).toBe(fromTable.stdout);
  });
});

describe.concurrent("eval", SLOW, () => {
  it("decides one action given with --action, as JSON on stdout", async () => {
    const r = await cli(["eval", "policies/read-only.trj", "--action", '{"kind":"file.read","path":"/home/u/.ssh/id_rsa"}']);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ decision: "deny", rule: "no_secrets", reason: "credentials are off limits", flagged: false });
  });

  it("decides JSON lines from stdin, one result line each, raw bytes included", async () => {
    const input = [
      '{"kind":"file.read","path":"/etc/hosts"}',
      "",
      // "/home/u/.ssh/" followed by the byte 0xff (not UTF-8)
      `{"kind":"file.read","path":{"$bytes":"${Buffer.from("/home/u/.ssh/").toString("hex")}ff"}}`,
      `{"kind":"file.read","path":{"$bytes":"${Buffer.from("/etc/hosts").toString("hex")}"}}`,
      '{"kind":"exec","exe":"/usr/bin/git","argv":["git","push"]}',
      '{"kind":"net.connect","ip":"10.0.0.1","port":80}',
    ].join("\n");
    const r = await cli(["eval", "policies/read-only.trj"], input + "\n");
    expect(r.code, shown(r)).toBe(0);
    expect(r.stderr).toBe("");
    const out = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { decision: string; rule: string | null });
    expect(out.map((o) => [o.decision, o.rule])).toEqual([
      ["allow", "read"],
      ["deny", "no_secrets"],
      ["allow", "read"],
      ["deny", "git_readonly"],
      ["deny", null],
    ]);
  });

  it("reads the last line even without a final newline", async () => {
    const r = await cli(["eval", "policies/read-only.trj"], '{"kind":"file.write","path":"/dev/null"}');
    expect(r.code, shown(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "allow", rule: "devnull" });
  });

  it("evaluates a compiled table as well as a source", async () => {
    const out = tmpFile("eval.trjb");
    const c = await cli(["compile", "policies/no-network.trj", "-o", out]);
    expect(c.code, shown(c)).toBe(0);
    const r = await cli(["eval", out, "--action", '{"kind":"net.resolve","host":"example.com"}']);
    expect(r.code, shown(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "deny", rule: "no_dns" });
  });

  for (const [what, action] of [
    ["an unknown kind", '{"kind":"file.raed","path":"/x"}'],
    ["text that is not JSON", "not json"],
    ["a JSON array", "[1, 2]"],
    ["an action without kind", '{"path":"/x"}'],
    ["bad $bytes", '{"kind":"file.read","path":{"$bytes":"zz"}}'],
  ] as const) {
    it(`rejects ${what} with exit 2 and nothing on stdout`, async () => {
      const r = await cli(["eval", "policies/read-only.trj", "--action", action]);
      expect(r.code, shown(r)).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^trajeckt eval: /);
    });
  }

  it("rejects a bad line on stdin with exit 2", async () => {
    const r = await cli(["eval", "policies/read-only.trj"], '{"kind":"file.read","path":"/etc/hosts"}\n{"kind":\n');
    expect(r.code, shown(r)).toBe(2);
    expect(r.stderr).toContain("not JSON");
  });

  it("refuses to evaluate against a bad policy: exit 1, diagnostics on stderr", async () => {
    const r = await cli(["eval", "test/bad-policies/34-unknown-field.trj", "--action", '{"kind":"net.connect","host":"x"}']);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("34-unknown-field.trj:4:29: error[unknown-field]");
  });

  it("lets --var NAME=VALUE change a decision through env()", async () => {
    const src = tmpFile("workspace.trj", WORKSPACE_POLICY);
    const action = '{"kind":"file.write","path":"/home/me/proj/src/main.c"}';
    const [without, withVar, other] = await Promise.all([
      cli(["eval", src, "--action", action]),
      cli(["eval", src, "--action", action, "--var", "WORKSPACE=/home/me/proj"]),
      cli(["eval", src, "--action", action, "--var", "WORKSPACE=/home/me/other"]),
    ]);
    expect(without.code, shown(without)).toBe(0);
    expect(JSON.parse(without.stdout)).toMatchObject({ decision: "deny", rule: null, reason: "default" });
    expect(withVar.code, shown(withVar)).toBe(0);
    expect(JSON.parse(withVar.stdout)).toMatchObject({ decision: "allow", rule: "workspace" });
    expect(JSON.parse(other.stdout)).toMatchObject({ decision: "deny", rule: null });
  });

  it("needs --var for env() without a default: exit 1 without it, 0 with it", async () => {
    const src = tmpFile(
      "needs-var.trj",
      ['policy "p" version "1.0.0"', "default deny", 'const HOME = env("TRAJECKT_CLI_TEST_HOME")', "rule home: allow file.read if path under HOME", ""].join("\n"),
    );
    const action = '{"kind":"file.read","path":"/home/x/notes"}';
    const [unset, set] = await Promise.all([
      cli(["eval", src, "--action", action]),
      cli(["eval", src, "--action", action, "--var", "TRAJECKT_CLI_TEST_HOME=/home/x"]),
    ]);
    expect(unset.code, shown(unset)).toBe(1);
    expect(unset.stderr).toContain("error[env-unset]");
    expect(set.code, shown(set)).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ decision: "allow", rule: "home" });
  });
});

describe.concurrent("test", SLOW, () => {
  const passing = `cases:
  - name: reads anything
    action: { kind: file.read, path: /home/u/project/README.md }
    expect: allow
    rule: read
  - name: keys stay unreadable
    action: { kind: file.read, path: /home/u/.ssh/id_ed25519 }
    expect: deny
    rule: no_secrets
  - name: raw bytes in a path
    action: { kind: file.read, path: { $bytes: 2f746d702fff } }
    expect: allow
  - name: no writes
    action: { kind: file.write, path: /home/u/project/README.md }
    expect: deny
    rule: null
`;

  it("runs passing cases: exit 0, last line `N passed, 0 failed`", async () => {
    const cases = tmpFile("pass.test.yaml", passing);
    const r = await cli(["test", "policies/read-only.trj", cases]);
    expect(r.code, shown(r)).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("4 passed, 0 failed");
    expect(lines.slice(0, -1).every((l) => l.startsWith("pass  "))).toBe(true);
  });

  it("runs the cases beside a shipped policy by default", async () => {
    const r = await cli(["test", "policies/no-network.trj"]);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it("fails with exit 1 and says which case failed and why", async () => {
    const cases = tmpFile(
      "fail.test.yaml",
      passing +
        `  - name: wrongly expects a write
    action: { kind: file.write, path: /home/u/project/README.md }
    expect: allow
  - name: wrong rule
    action: { kind: file.read, path: /etc/hosts }
    expect: allow
    rule: devnull
`,
    );
    const r = await cli(["test", "policies/read-only.trj", cases]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toContain("FAIL  wrongly expects a write: expected allow, got deny");
    expect(r.stdout).toContain("FAIL  wrong rule: expected rule devnull, got read");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("4 passed, 2 failed");
  });

  it("uses --var in test runs", async () => {
    const cases = tmpFile(
      "ws.test.yaml",
      `cases:
  - name: the workspace is writable
    action: { kind: file.write, path: /srv/ws/a.txt }
    expect: allow
    rule: workspace
`,
    );
    const src = tmpFile("workspace-for-test.trj", WORKSPACE_POLICY);
    const [without, withVar] = await Promise.all([
      cli(["test", src, cases]),
      cli(["test", src, cases, "--var", "WORKSPACE=/srv/ws"]),
    ]);
    expect(without.code, shown(without)).toBe(1);
    expect(withVar.code, shown(withVar)).toBe(0);
    expect(withVar.stdout.trimEnd().split("\n").at(-1)).toBe("1 passed, 0 failed");
  });

  it("rejects a malformed case file with exit 2", async () => {
    const cases = tmpFile("malformed.test.yaml", "cases:\n  - name: x\n    expect: maybe\n    action: { kind: file.read }\n");
    const r = await cli(["test", "policies/read-only.trj", cases]);
    expect(r.code, shown(r)).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("`expect` must be allow, deny, ask or flag");
  });

  it("refuses to run cases against a bad policy: exit 1", async () => {
    const cases = tmpFile("any.test.yaml", passing);
    const r = await cli(["test", "test/bad-policies/34-unknown-field.trj", cases]);
    expect(r.code, shown(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[unknown-field]");
  });
});
