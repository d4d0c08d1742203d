// `trajeckt audit verify|summary|tail`, through runtime/cli/main.ts with a
// captured Io: exit codes, the one-line verdicts, summary counts, tail lines.

import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { main } from "../../runtime/cli/main.js";
import { formatEntry } from "../../runtime/audit/format.js";
import type { LogSummary } from "../../runtime/audit/summary.js";
import { tempDir } from "./support.js";
import { createHash } from "node:crypto";

interface Out {
  code: number;
  out: string;
  err: string;
}

async function run(...argv: string[]): Promise<Out> {
  let out = "";
  let err = "";
  const code = await main(["audit", ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async function* () {} });
  return { code, out, err };
}

const HASH = "ab".repeat(32);

/** A small, known, correctly chained log. */
function knownLog(opts: { end?: boolean; backstop?: Record<string, unknown> } = {}): { file: string; lines: string[] } {
  const entries: Record<string, unknown>[] = [
    { time: "2025-01-02T03:04:05.000000000Z", kind: "run.start", agent: "a1", policy: HASH, policy_name: "p", policy_version: "1", argv: ["sh"], mode: "enforce", ...opts.backstop },
    { time: "2025-01-02T03:04:05.100000000Z", seq: 0, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "proc.start", exe: "/bin/sh", ppid: 1, note: "exec", policy: HASH },
    { time: "2025-01-02T03:04:05.200000000Z", seq: 1, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "file.read", decision: "deny", verdict: "deny", rule: "no_secrets", reason: "secrets stay home", cause: "policy", flagged: false, observed: false, eval_ns: 120, policy: HASH, path: "/etc/shadow" },
    { time: "2025-01-02T03:04:05.300000000Z", seq: 2, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "file.read", decision: "deny", verdict: "deny", rule: "no_secrets", reason: "secrets stay home", cause: "policy", flagged: false, observed: false, eval_ns: 120, policy: HASH, path: "/etc/shadow" },
    { time: "2025-01-02T03:04:05.400000000Z", seq: 3, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "net.connect", decision: "deny", verdict: "deny", rule: "offline", reason: null, cause: "policy", flagged: false, observed: false, eval_ns: 90, policy: HASH, ip: "1.1.1.1", port: 53, host: "dns.example" },
    { time: "2025-01-02T03:04:05.500000000Z", seq: 4, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "exec", decision: "allow", verdict: "allow", rule: "git", reason: null, cause: "policy", flagged: true, observed: false, eval_ns: 80, policy: HASH, exe: "/usr/bin/git", argv: ["git", "push"] },
    { time: "2025-01-02T03:04:05.600000000Z", seq: 5, proc: 1, pid: 9, tid: 9, agent: "a1", kind: "file.write", decision: "allow", verdict: "allow", rule: null, reason: "default", cause: "policy", flagged: false, observed: false, eval_ns: 70, policy: HASH, path: { $b64: "L3RtcC//" } },
    { time: "2025-01-02T03:04:06.600000000Z", kind: "lost", pid: 12, agent: "a1", decision: "deny" },
  ];
  if (opts.end !== false)
    entries.push({ time: "2025-01-02T03:04:07.000000000Z", kind: "run.end", agent: "a1", policy: HASH, decisions: 5, allowed: 2, denied: 3, flagged: 1, observed: 0, lost: 1, lost_nested: 0, processes: 1 });
  let prev = "0".repeat(64);
  const lines = entries.map((e) => {
    const line = JSON.stringify({ ...e, prev });
    prev = createHash("sha256").update(line).digest("hex");
    return line;
  });
  const file = join(tempDir(), "log.jsonl");
  writeFileSync(file, lines.map((l) => l + "\n").join(""));
  return { file, lines };
}

describe("trajeckt audit verify", () => {
  it("prints_ok_with_counts_and_the_chain_head_and_exits_0", async () => {
    const { file, lines } = knownLog();
    const r = await run("verify", file);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`ok: 9 entries, 1 processes, chain head ${createHash("sha256").update(lines[8] as string).digest("hex")}\n`);
    expect(r.err).toMatch(/:8: warning: lost: process 12/);
  });

  it("prints_file_and_line_of_the_first_problem_and_exits_1", async () => {
    const { file, lines } = knownLog();
    lines[2] = (lines[2] as string).replace("/etc/shadow", "/etc/shadoe");
    writeFileSync(file, lines.map((l) => l + "\n").join(""));
    const r = await run("verify", file);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toMatch(new RegExp(`^${file}:3: chain broken`));
    expect(r.out).toBe("");
  });

  it("a_log_without_run_end_is_truncated", async () => {
    const { file } = knownLog({ end: false });
    const r = await run("verify", file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/:8: truncated: no run.end/);
  });

  it("usage_errors_exit_2", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("bogus", "x")).code).toBe(2);
    expect((await run("verify")).code).toBe(2);
    expect((await run("verify", "/nonexistent/log")).code).toBe(2);
    expect((await run("tail", "x", "-n", "many")).code).toBe(2);
  });
});

describe("trajeckt audit summary", () => {
  it("counts_by_kind_decision_and_rule_and_ranks_denied_paths_and_hosts", async () => {
    const { file } = knownLog();
    const r = await run("summary", file, "--format", "json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as LogSummary;
    expect(s).toMatchObject({ entries: 9, decisions: 5, allowed: 2, denied: 3, flagged: 1, lost: 1, processes: 1, complete: true, agent: "a1" });
    expect(s.byKind).toEqual({ "file.read": 2, "net.connect": 1, exec: 1, "file.write": 1 });
    expect(s.byDecision).toEqual({ deny: 3, allow: 2 });
    expect(s.byRule).toEqual({ no_secrets: 2, offline: 1, git: 1, default: 1 });
    expect(s.topDeniedPaths).toEqual([{ path: "/etc/shadow", count: 2 }]);
    expect(s.topDeniedHosts).toEqual([{ host: "dns.example", count: 1 }]);
    expect(s.flaggedActions).toEqual([{ line: 6, kind: "exec", target: "/usr/bin/git push", rule: "git" }]);
    expect(s.spanSeconds).toBe(2);
    const t = await run("summary", file);
    expect(t.out).toMatch(/5 decisions: 2 allowed, 3 denied, 1 flagged/);
    expect(t.out).toMatch(/ +2 {2}\/etc\/shadow/);
  });

  it("shows_the_kernel_backstop_of_the_run", async () => {
    const { file } = knownLog({ backstop: { backstop: "on", landlock_abi: 6, backstop_entries: 12, seccomp_insns: 57 } });
    const t = await run("summary", file);
    expect(t.out).toMatch(/^kernel backstop: on \(landlock abi 6, 12 entries, seccomp 57 instructions\)$/m);
    expect(t.out).not.toMatch(/WARNING/);
    const j = await run("summary", file, "--format", "json");
    expect((JSON.parse(j.out) as LogSummary).backstop).toEqual({ on: true, landlockAbi: 6, entries: 12, seccompInsns: 57 });
    expect(j.err).toBe("");
    // a log from before run.start carried it
    expect((await run("summary", knownLog().file)).out).toMatch(/^kernel backstop: not recorded$/m);
  });

  it("warns_first_when_the_run_had_the_kernel_backstop_off", async () => {
    const { file } = knownLog({ backstop: { backstop: "off" } });
    const t = await run("summary", file);
    expect(t.code).toBe(0);
    expect(t.out.split("\n")[0]).toMatch(/^WARNING: kernel backstop OFF \(--backstop off\)/);
    expect(t.out).toMatch(/^kernel backstop: OFF$/m);
    const j = await run("summary", file, "--format", "json");
    expect((JSON.parse(j.out) as LogSummary).backstop).toEqual({ on: false });
    expect(j.err).toMatch(/WARNING: kernel backstop OFF/);
    // tail names it on the run.start line
    expect(formatEntry({ time: "2025-01-02T03:04:05.0Z", kind: "run.start", backstop: "off", mode: "enforce", argv: ["sh"] })).toMatch(/enforce BACKSTOP OFF: sh$/);
  });
});

describe("trajeckt audit tail", () => {
  it("formats_a_deny_line_with_rule_and_reason", async () => {
    const { file } = knownLog();
    const r = await run("tail", file, "-n", "7");
    expect(r.code).toBe(0);
    const out = r.out.split("\n");
    expect(out).toHaveLength(8);
    expect(out[0]).toBe("03:04:05.200000 deny  file.read    /etc/shadow  rule no_secrets \"secrets stay home\"  [pid 9 proc 1#1]");
    expect(out[2]).toMatch(/deny {2}net.connect {2}dns.example \(1.1.1.1\):53 {2}rule offline/);
    expect(out[3]).toMatch(/allow FLAG exec {9}\/usr\/bin\/git push {2}rule git/);
    expect(out[4]).toMatch(/allow file.write {3}b64:L3RtcC\/\/ {2}default/);
    expect(out[6]).toMatch(/run.end 5 decisions: 2 allowed, 3 denied/);
  });

  it("colours_only_when_asked", () => {
    const e = { time: "2025-01-02T03:04:05.2Z", kind: "file.read", decision: "deny", rule: "r", reason: "x", pid: 1, proc: 1, seq: 1, path: "/a" };
    expect(formatEntry(e)).not.toMatch(/\x1b\[/);
    expect(formatEntry(e, { color: true })).toMatch(/\x1b\[31mdeny/);
  });

  it("follows_appended_lines_until_run_end", async () => {
    const { file, lines } = knownLog();
    writeFileSync(file, lines.slice(0, 3).map((l) => l + "\n").join(""));
    const pending = run("tail", file, "-f", "-n", "1");
    await new Promise((r) => setTimeout(r, 250));
    appendFileSync(file, lines.slice(3, 5).map((l) => l + "\n").join("") + (lines[5] as string).slice(0, 10));
    await new Promise((r) => setTimeout(r, 250));
    appendFileSync(file, (lines[5] as string).slice(10) + "\n" + lines.slice(6).map((l) => l + "\n").join(""));
    const r = await pending;
    expect(r.code).toBe(0);
    const out = r.out.trim().split("\n");
    expect(out).toHaveLength(7); // the last of the first 3, then 6 appended (one arrived in two pieces)
    expect(out[0]).toMatch(/\/etc\/shadow/);
    expect(out[6]).toMatch(/run.end/);
    expect(readFileSync(file, "utf8").split("\n")).toHaveLength(10);
  });
});
