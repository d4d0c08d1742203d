// runtime/audit/writer.ts and verify.ts: a ring drained into a hash-chained
// JSON-lines log that verifies, and every kind of tampering that must not.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { actionFromJson } from "../../runtime/actions.js";
import { createRing, TrjError, type AuditRing } from "../../runtime/binding.js";
import { LineEncoder } from "../../runtime/audit/encode.js";
import { AF, RECF, REC_PROC_START, ZERO_HASH } from "../../runtime/audit/records.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { startAuditWriter, type AuditRun, type AuditSummary } from "../../runtime/audit/writer.js";
import { encodeRecord, FileProducer, ruleIndex, tempDir, testPolicy, type RecSpec } from "./support.js";

const RUN: AuditRun = { agentId: "agent-7", argv: ["python", "agent.py"], mode: "enforce", policyFile: "audit-test.trj", backstop: { on: true, landlockAbi: 6, entries: 12, seccompInsns: 57 } };

interface Written {
  log: string;
  text: string;
  lines: string[];
  entries: Record<string, unknown>[];
  summary: AuditSummary;
  ring: AuditRing;
}

function procStart(proc: number, pid: number, hash = testPolicy().info().hash): RecSpec {
  return { kind: REC_PROC_START, proc, seq: 0, pid, fields: [[AF.EXE, "/usr/bin/python3"], [AF.POLICY_HASH, Buffer.from(hash, "hex")], [AF.PPID, 1], [AF.NOTE, "exec"]] };
}

/** The standard scenario: two processes, allows, denies, a flag, non-UTF-8 bytes. */
function standardRecords(): RecSpec[] {
  return [
    procStart(1, 100),
    { kind: 0, proc: 1, seq: 1, pid: 100, decision: 2, reason: 0, rule: ruleIndex("no_tmp"), fields: [[AF.PATH, "/tmp/secret"]] },
    { kind: 0, proc: 1, seq: 2, pid: 100, fields: [[AF.PATH, "/work/readme.md"]] },
    { kind: 8, proc: 1, seq: 3, pid: 100, flags: RECF.FLAGGED, reason: 0, rule: ruleIndex("git_flag"), fields: [[AF.EXE, "/usr/bin/git"], [AF.ARGV, "git"], [AF.ARGV, "status"]] },
    procStart(2, 101),
    { kind: 0, proc: 2, seq: 1, pid: 101, decision: 2, reason: 0, rule: ruleIndex("no_tmp"), fields: [[AF.PATH, new Uint8Array([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff])]] },
    { kind: 8, proc: 1, seq: 4, pid: 100, decision: 2, reason: 0, rule: ruleIndex("no_curl"), fields: [[AF.EXE, "/usr/bin/curl"], [AF.ARGV, "curl"], [AF.ARGV, "https://x.test"]] },
    { kind: 9, proc: 2, seq: 2, pid: 101, decision: 2, verdict: 3, reason: 0, cause: 6, askMs: 2000, rule: ruleIndex("ssh_out"), fields: [[AF.IP, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3])], [AF.PORT, 22], [AF.FAMILY, "inet"], [AF.HOST, "git.example"]] },
    { kind: 0, proc: 2, seq: 3, pid: 101, decision: 2, reason: 0, rule: ruleIndex("no_shadow"), fields: [[AF.PATH, "/etc/shadow"]] },
  ];
}

async function writeLog(records: RecSpec[] = standardRecords(), opts: { beforeStop?: (p: FileProducer) => void; run?: AuditRun } = {}): Promise<Written> {
  const dir = tempDir();
  const ringPath = join(dir, "ring");
  const log = join(dir, "audit.jsonl");
  const ring = createRing({ path: ringPath, dataSize: 1 << 16 });
  const policy = testPolicy();
  ring.configure({ mode: "enforce", ask: "deny", agentId: RUN.agentId, policyHash: Buffer.from(policy.info().hash, "hex") });
  const w = startAuditWriter({ ring, logPath: log, policy, run: opts.run ?? RUN });
  const p = new FileProducer(ringPath);
  // in two halves with the event loop in between, so the loop (not only stop()) drains
  const half = Math.ceil(records.length / 2);
  p.publish(...records.slice(0, half));
  await new Promise((r) => setTimeout(r, 20));
  p.publish(...records.slice(half));
  opts.beforeStop?.(p);
  p.close();
  const summary = await w.stop();
  const text = readFileSync(log, "utf8");
  const lines = text.split("\n").slice(0, -1);
  return { log, text, lines, entries: lines.map((l) => JSON.parse(l) as Record<string, unknown>), summary, ring };
}

function edit(w: Written, lines: string[]): string {
  const file = join(tempDir(), "edited.jsonl");
  writeFileSync(file, lines.map((l) => l + "\n").join(""));
  return readFileSync(file, "utf8");
}

describe("the writer", () => {
  it("writes_run_start_one_line_per_record_and_run_end_chained_by_sha256", async () => {
    const w = await writeLog();
    expect(w.entries.map((e) => e["kind"])).toEqual(["run.start", "proc.start", "file.read", "file.read", "exec", "proc.start", "file.read", "exec", "net.connect", "file.read", "run.end"]);
    expect(w.entries[0]).toMatchObject({ kind: "run.start", prev: ZERO_HASH, agent: "agent-7", policy_name: "audit-test", policy_version: "1.2.0", policy: testPolicy().info().hash, argv: ["python", "agent.py"], mode: "enforce", ring_size: 65536 });
    expect(w.entries[0]).toMatchObject({ backstop: "on", landlock_abi: 6, backstop_entries: 12, seccomp_insns: 57 });
    for (let i = 1; i < w.lines.length; i++) {
      expect(w.entries[i]?.["prev"]).toBe(createHash("sha256").update(w.lines[i - 1] as string).digest("hex"));
    }
    expect(w.lines[0]).toMatch(/^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z",/);
    expect(w.summary).toMatchObject({ entries: 11, decisions: 7, allowed: 2, denied: 5, flagged: 1, processes: 2, lost: 0, broken: false });
    expect(w.summary.chainHead).toBe(createHash("sha256").update(w.lines[10] as string).digest("hex"));
    expect(w.entries[10]).toMatchObject({ kind: "run.end", decisions: 7, allowed: 2, denied: 5, flagged: 1, processes: 2 });
    expect(w.ring.state().writerState).toBe("closed");
    w.ring.unmap();
  });

  it("writes_the_encoders_line_for_every_record_whichever_path_made_it", async () => {
    // fast-path records (plain decisions) and LineEncoder's (proc.start, non-UTF-8, ip) interleaved in one batch
    const recs = standardRecords();
    const w = await writeLog(recs);
    const policy = testPolicy();
    const enc = new LineEncoder({ agentId: RUN.agentId, policyHash: policy.info().hash, rules: policy.info().rules }, { decisions: 0, allowed: 0, denied: 0, flagged: 0, observed: 0, lost: 0, processes: 0 });
    const bodies = w.lines.slice(1, -1).map((l) => l.slice(0, l.lastIndexOf(',"prev":"')));
    expect(bodies).toEqual(recs.map((r) => {
      const b = encodeRecord(r);
      return enc.encode(b, 0, b.length);
    }));
    expect(verifyLog(w.text).ok).toBe(true);
  });

  it("records_backstop_off_in_run_start_without_the_facts_of_an_applied_one", async () => {
    const w = await writeLog([], { run: { ...RUN, backstop: { on: false } } });
    const start = w.entries[0]!;
    expect(start).toMatchObject({ kind: "run.start", mode: "enforce", backstop: "off" });
    for (const k of ["landlock_abi", "backstop_entries", "seccomp_insns"]) expect(start).not.toHaveProperty(k);
    // beside the run's other constants, before the version
    expect(Object.keys(start).slice(Object.keys(start).indexOf("mode"), Object.keys(start).indexOf("mode") + 3)).toEqual(["mode", "backstop", "trajeckt"]);
  });

  it("names_rules_and_reasons_and_spells_the_action_fields_by_catalog_name", async () => {
    const w = await writeLog();
    const deny = w.entries[2];
    expect(deny).toMatchObject({ seq: 1, proc: 1, pid: 100, agent: "agent-7", kind: "file.read", decision: "deny", verdict: "deny", rule: "no_tmp", reason: "tmp is off limits", cause: "policy", flagged: false, observed: false, path: "/tmp/secret", time: "2023-11-14T22:13:20.123456789Z" });
    expect(w.entries[3]).toMatchObject({ decision: "allow", rule: null, reason: "default" });
    expect(w.entries[4]).toMatchObject({ kind: "exec", flagged: true, rule: "git_flag", exe: "/usr/bin/git", argv: ["git", "status"] });
    expect(w.entries[6]).toMatchObject({ path: { $b64: Buffer.from([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff]).toString("base64") } });
    expect(w.entries[8]).toMatchObject({ kind: "net.connect", verdict: "ask", cause: "ask-timeout", ask_ms: 2000, ip: "10.1.2.3", port: 22, host: "git.example", family: "inet" });
    expect(w.entries[9]).toMatchObject({ rule: "no_shadow", reason: null });
    expect(w.entries[1]).toMatchObject({ kind: "proc.start", exe: "/usr/bin/python3", ppid: 1, note: "exec", policy: testPolicy().info().hash });
    expect(w.entries[1]).not.toHaveProperty("policy_mismatch");
    w.ring.unmap();
  });

  it("a_line_replays_through_eval_to_the_same_decision", async () => {
    const w = await writeLog();
    const policy = testPolicy();
    for (const e of w.entries.filter((x) => x["cause"] === "policy")) {
      const d = policy.evaluate(actionFromJson(e));
      expect(d.decision === "ask" ? "ask" : d.decision, JSON.stringify(e)).toBe(e["verdict"]);
      expect(d.rule).toBe(e["rule"]);
    }
    w.ring.unmap();
  });

  it("stop_is_idempotent_and_returns_the_same_summary", async () => {
    const dir = tempDir();
    const ring = createRing({ dataSize: 1 << 16 });
    const w = startAuditWriter({ ring, logPath: join(dir, "a.jsonl"), policy: testPolicy(), run: RUN });
    const [a, b] = await Promise.all([w.stop(), w.stop()]);
    expect(a).toBe(b);
    expect(await w.stop()).toBe(a);
    expect(readFileSync(join(dir, "a.jsonl"), "utf8").split("\n")).toHaveLength(3);
    ring.unmap();
  });

  it("refuses_to_append_to_an_existing_log", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.jsonl"), "x\n");
    const ring = createRing({ dataSize: 1 << 16 });
    expect(() => startAuditWriter({ ring, logPath: join(dir, "a.jsonl"), policy: testPolicy(), run: RUN })).toThrow(/EEXIST/);
    ring.unmap();
  });

  it("marks_a_process_that_runs_another_policy", async () => {
    const w = await writeLog([procStart(1, 100, "11".repeat(32))]);
    expect(w.entries[1]).toMatchObject({ kind: "proc.start", policy: "11".repeat(32), policy_mismatch: true });
    const r = verifyLog(w.text);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 2 });
    expect(r.problems[0]?.message).toMatch(/ran policy 1111/);
    w.ring.unmap();
  });

  it("logs_a_record_that_does_not_parse_in_its_place_and_writes_the_rest", async () => {
    const recs = standardRecords();
    recs.splice(3, 0, { kind: 0, proc: 9, seq: 0, pid: 555, fields: [[AF.PORT, "12"]] }); // a 2-byte int64
    const w = await writeLog(recs);
    expect(w.entries.map((e) => e["kind"])).toEqual(["run.start", "proc.start", "file.read", "file.read", "record.bad", "exec", "proc.start", "file.read", "exec", "net.connect", "file.read", "run.end"]);
    expect(w.entries[4]).toMatchObject({ kind: "record.bad", pid: 555, agent: "agent-7", decision: "deny", time: "2023-11-14T22:13:20.123456789Z" });
    expect(w.entries[4]?.["note"]).toMatch(/int64 but has 2 bytes/);
    expect(w.summary).toMatchObject({ badRecords: 1, decisions: 7 });
    expect(w.entries[11]).toMatchObject({ bad_records: 1 });
    const r = verifyLog(w.text);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((x) => x.line)).toEqual([5]);
    w.ring.unmap();
  });

  it("logs_a_broken_ring_and_ends_the_log_cleanly", async () => {
    const w = await writeLog([procStart(1, 100)], {
      beforeStop: (p) => {
        const bad = Buffer.alloc(64);
        bad.writeUInt32LE(60, 0); // not a multiple of 8
        p.put(bad);
      },
    });
    expect(w.entries.map((e) => e["kind"])).toEqual(["run.start", "proc.start", "ring.broken", "run.end"]);
    expect(w.entries[3]).toMatchObject({ broken: true });
    expect(w.summary.broken).toBe(true);
    const r = verifyLog(w.text);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((x) => x.line)).toEqual([3]);
    w.ring.unmap();
  });

  it("a_failure_inside_a_batch_closes_the_ring_and_never_releases_what_it_did_not_write", async () => {
    const dir = tempDir();
    const ringPath = join(dir, "ring");
    const log = join(dir, "audit.jsonl");
    const ring = createRing({ path: ringPath, dataSize: 1 << 16 });
    const policy = testPolicy();
    ring.configure({ mode: "enforce", ask: "deny", agentId: RUN.agentId, policyHash: Buffer.from(policy.info().hash, "hex") });
    // the fast path fails on its first batch, as a failed SHA-256 would
    const failing = new Proxy(ring, {
      get(target, key) {
        if (key === "encodeLines") return () => { throw new TrjError("internal", "audit writer: SHA-256 failed"); };
        const v = Reflect.get(target, key) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const w = startAuditWriter({ ring: failing, logPath: log, policy, run: RUN });
    const p = new FileProducer(ringPath);
    p.publish(...standardRecords());
    for (let i = 0; i < 200 && ring.state().writerState !== "closed"; i++) await new Promise((r) => setTimeout(r, 5));
    expect(ring.state().writerState).toBe("closed"); // every later decision is denied
    p.close();
    const summary = await w.stop();
    const entries = readFileSync(log, "utf8").split("\n").slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => e["kind"])).toEqual(["run.start", "ring.broken", "run.end"]);
    expect(String(entries[1]!["note"])).toMatch(/bytes of records were read but not written/);
    expect(entries[2]).toMatchObject({ broken: true, decisions: 0, error: "audit writer: SHA-256 failed" });
    expect(summary.broken).toBe(true);
    expect(ring.state().tail).toBe(0); // nothing given back to the producers as if logged
    expect(verifyLog(readFileSync(log, "utf8")).ok).toBe(true);
    ring.unmap();
  });
});

describe("verify", () => {
  it("accepts_the_writers_log", async () => {
    const w = await writeLog();
    const r = verifyLog(w.text);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, entries: 11, processes: 2, chainHead: w.summary.chainHead });
    w.ring.unmap();
  });

  it("an_edited_byte_is_reported_at_the_edited_line", async () => {
    const w = await writeLog();
    const lines = [...w.lines];
    lines[3] = (lines[3] as string).replace("/work/readme.md", "/work/readme.mx");
    const r = verifyLog(edit(w, lines));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 4 });
    expect(r.problems[0]?.message).toMatch(/this line was changed/);
    w.ring.unmap();
  });

  it("an_edit_that_breaks_the_json_is_reported_at_that_line", async () => {
    const w = await writeLog();
    const lines = [...w.lines];
    lines[5] = (lines[5] as string).slice(0, 20) + "\u0000" + (lines[5] as string).slice(21);
    lines[5] = (lines[5] as string).replace("{", "[");
    const r = verifyLog(edit(w, lines));
    expect(r.problems[0]).toMatchObject({ line: 6 });
    w.ring.unmap();
  });

  it("a_deleted_line_fails", async () => {
    const w = await writeLog();
    const lines = w.lines.filter((_, i) => i !== 4);
    const r = verifyLog(edit(w, lines));
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.line).toBeLessThanOrEqual(5);
    expect(r.problems.some((p) => /chain broken/.test(p.message))).toBe(true);
    w.ring.unmap();
  });

  it("a_truncated_log_without_run_end_fails", async () => {
    const w = await writeLog();
    const r = verifyLog(edit(w, w.lines.slice(0, -1)));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 10 });
    expect(r.problems[0]?.message).toMatch(/truncated/);
    // and cut mid-line
    const r2 = verifyLog(w.text.slice(0, -10));
    expect(r2.ok).toBe(false);
    expect(r2.problems.some((p) => /truncated/.test(p.message))).toBe(true);
    w.ring.unmap();
  });

  it("reordered_lines_fail", async () => {
    const w = await writeLog();
    const lines = [...w.lines];
    [lines[3], lines[4]] = [lines[4] as string, lines[3] as string];
    const r = verifyLog(edit(w, lines));
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.line).toBe(4);
    expect(r.problems[0]?.message).toMatch(/follows line 5, not line 3/);
    w.ring.unmap();
  });

  it("a_seq_gap_within_a_process_fails_even_with_an_intact_chain", async () => {
    const recs = standardRecords().filter((r) => !(r.proc === 1 && r.seq === 2));
    const w = await writeLog(recs);
    const r = verifyLog(w.text);
    expect(r.ok).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.message).toMatch(/proc 1: seq 2 is missing before seq 3/);
    expect(r.problems[0]?.line).toBe(4); // the line of seq 3
    w.ring.unmap();
  });

  it("an_interleaved_but_complete_sequence_passes", async () => {
    // threads of one image reserve out of seq order; the numbers are a set
    const w = await writeLog([procStart(1, 100), { kind: 0, proc: 1, seq: 2, fields: [[AF.PATH, "/a"]] }, { kind: 0, proc: 1, seq: 1, fields: [[AF.PATH, "/b"]] }]);
    expect(verifyLog(w.text).ok).toBe(true);
    w.ring.unmap();
  });

  it("a_process_without_proc_start_fails", async () => {
    const w = await writeLog([{ kind: 0, proc: 5, seq: 0, fields: [[AF.PATH, "/a"]] }]);
    const r = verifyLog(w.text);
    expect(r.problems[0]).toMatchObject({ line: 2 });
    expect(r.problems[0]?.message).toMatch(/not proc.start/);
    w.ring.unmap();
  });

  it("accepts_a_vfork_childs_one_off_proc", async () => {
    // dash runs `sleep` through vfork: the child's exec is recorded under a
    // proc of its own, seq 0, flagged vfork, with no proc.start
    const w = await writeLog([
      procStart(1, 100),
      { kind: 8, proc: 2, seq: 0, pid: 101, flags: RECF.VFORK, fields: [[AF.EXE, "/usr/bin/sleep"], [AF.ARGV, "sleep"], [AF.ARGV, "1"]] },
      { kind: 8, proc: 3, seq: 0, pid: 102, flags: RECF.VFORK, decision: 2, reason: 0, rule: ruleIndex("no_curl"), fields: [[AF.EXE, "/usr/bin/curl"]] },
      { kind: 0, proc: 1, seq: 1, pid: 100, fields: [[AF.PATH, "/a"]] },
    ]);
    expect(w.entries[2]).toMatchObject({ kind: "exec", proc: 2, seq: 0, vfork: true });
    const r = verifyLog(w.text);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, processes: 3 });
    w.ring.unmap();
  });

  it("a_vfork_entry_does_not_excuse_a_proc_that_starts_past_seq_0", async () => {
    const w = await writeLog([{ kind: 8, proc: 2, seq: 1, pid: 101, flags: RECF.VFORK, fields: [[AF.EXE, "/usr/bin/sleep"]] }]);
    const r = verifyLog(w.text);
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.message).toMatch(/proc 2: its first entry is exec, not proc.start/);
    w.ring.unmap();
  });

  it("checks_a_200k_line_log_in_seconds", () => {
    const hash = testPolicy().info().hash;
    const lines: string[] = [];
    let prev = ZERO_HASH;
    const push = (body: string): void => {
      const line = `${body},"prev":"${prev}"}`;
      prev = createHash("sha256").update(line).digest("hex");
      lines.push(line);
    };
    const n = 200_000;
    push(`{"time":"2025-01-02T03:04:05.000000000Z","kind":"run.start","agent":"a","policy":"${hash}"`);
    push(`{"time":"2025-01-02T03:04:05.000000000Z","seq":0,"proc":1,"pid":10,"tid":10,"agent":"a","kind":"proc.start","policy":"${hash}"`);
    for (let i = 1; i < n; i++) {
      push(
        `{"time":"2025-01-02T03:04:05.${String(i).padStart(9, "0")}Z","seq":${i},"proc":1,"pid":10,"tid":10,"agent":"a","kind":"file.read","decision":"allow","verdict":"allow","rule":null,"reason":"default","cause":"policy","flagged":false,"observed":false,"eval_ns":150,"policy":"${hash}","path":"/work/project/src/module_1/file_${i}.py"`,
      );
    }
    push(`{"time":"2025-01-02T03:04:06.000000000Z","kind":"run.end","agent":"a","policy":"${hash}","decisions":${n - 1},"allowed":${n - 1},"denied":0,"flagged":0,"observed":0,"lost":0,"processes":1`);
    const text = lines.join("\n") + "\n";
    const t0 = performance.now();
    const r = verifyLog(text);
    const ms = performance.now() - t0;
    expect(r.problems).toEqual([]);
    expect(r.entries).toBe(n + 2);
    expect(ms).toBeLessThan(10_000); // about 2 s on a 2-vCPU VM
  }, 60_000);

  it("an_edited_run_end_count_fails", async () => {
    const w = await writeLog();
    const lines = [...w.lines];
    lines[10] = (lines[10] as string).replace('"denied":5', '"denied":4');
    const r = verifyLog(edit(w, lines));
    expect(r.problems[0]).toMatchObject({ line: 11 });
    expect(r.problems[0]?.message).toMatch(/denied/);
    w.ring.unmap();
  });
});
