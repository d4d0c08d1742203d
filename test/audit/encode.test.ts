// runtime/audit/encode.ts: the log format has one definition (recordEntry →
// pino) and two producers; the fast LineEncoder must write the same bytes as
// pino for every record, and reject the same records with the same message.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";

import { createRing, type RuleInfo } from "../../runtime/binding.js";
import { countRecord, LineEncoder, pinoSerializer, recordEntry, type EntryContext, type EntryCounts } from "../../runtime/audit/encode.js";
import { AF, decodeRecords, REC_LOST, REC_PROC_START, RECF, RECF_TRUNCATED } from "../../runtime/audit/records.js";
import { encodeRecord, type FieldValue, type RecSpec } from "./support.js";

const HASH = "ab".repeat(32);
const RULES: RuleInfo[] = [
  { name: "no_tmp", decision: "deny", reason: "tmp is off limits", line: 1, col: 1 },
  { name: "quoted", decision: "deny", reason: 'say "no" \\ to C:\\tmp\n\tand ünïcödé 🚫', line: 2, col: 1 },
  { name: "silent", decision: "deny", reason: null, line: 3, col: 1 },
  { name: "ssh_out", decision: "ask", reason: "ssh needs a person", line: 4, col: 1, timeoutMs: 2000 },
];

function ctx(agentId = "agent-7"): EntryContext {
  return { agentId, policyHash: HASH, rules: RULES };
}

function zeroCounts(): EntryCounts {
  return { decisions: 0, allowed: 0, denied: 0, flagged: 0, observed: 0, lost: 0, processes: 0 };
}

const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
const ip4 = b(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3);
const ip6 = b(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const NOT_UTF8 = b(0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe);
const HASH_BYTES = Buffer.from(HASH, "hex");

/** Records covering every field type, byte value shape, flag, kind and odd header value. */
const CASES: [string, RecSpec][] = [
  ["plain allow", { kind: 0, seq: 1, fields: [[AF.PATH, "/work/readme.md"]] }],
  ["deny by rule", { kind: 0, seq: 2, decision: 2, reason: 0, rule: 0, fields: [[AF.PATH, "/tmp/secret"]] }],
  ["rule reason needing escapes", { kind: 0, seq: 3, decision: 2, reason: 0, rule: 1, fields: [[AF.PATH, "/x"]] }],
  ["rule without reason", { kind: 0, seq: 4, decision: 2, reason: 0, rule: 2 }],
  ["rule, reason default", { kind: 0, seq: 4, decision: 2, reason: 1, rule: 0 }],
  ["rule index past the policy", { kind: 0, seq: 5, decision: 2, reason: 0, rule: 99 }],
  ["reason rule, no rule", { kind: 0, seq: 5, decision: 2, reason: 0, rule: -1 }],
  ["reason out of range", { kind: 0, seq: 6, decision: 2, reason: 17, error: 3 }],
  ["eval error", { kind: 0, seq: 6, decision: 2, reason: 2, error: 2 }],
  ["eval error out of range", { kind: 0, seq: 6, decision: 2, reason: 2, error: 200 }],
  ["unresolvable errno", { kind: 0, seq: 7, decision: 2, cause: 2, error: 2, fields: [[AF.PATH, "/gone"]] }],
  ["unresolvable unknown errno", { kind: 0, seq: 7, decision: 2, cause: 2, error: 255 }],
  ["cause out of range", { kind: 0, seq: 7, decision: 2, cause: 42 }],
  ["every cause", { kind: 0, seq: 7, decision: 2, cause: 7 }],
  ["exec run through a symlink", { kind: 8, seq: 9, reason: 0, rule: 0, fields: [[AF.EXE, "/usr/bin/python3.11"], [AF.EXE_NAME, "/usr/bin/python3"], [AF.ARGV, "python3"], [AF.ARGC, 1]] }],
  ["flagged exec with argv", { kind: 8, seq: 8, flags: RECF.FLAGGED, reason: 0, rule: 0, fields: [[AF.EXE, "/usr/bin/git"], [AF.ARGV, "git"], [AF.ARGV, ""], [AF.ARGV, "st\"at\\us"], [AF.ARGC, 3], [AF.CWD, "/work"]] }],
  ["observed", { kind: 0, seq: 9, decision: 2, verdict: 2, flags: RECF.OBSERVED | RECF.FLAGGED, fields: [[AF.PATH, "/etc/passwd"]] }],
  ["nested and vfork", { kind: 8, seq: 0, flags: RECF.NESTED | RECF.VFORK, fields: [[AF.EXE, "/bin/sleep"], [AF.ARGV, "sleep"], [AF.ARGV, "1"]] }],
  ["ask timed out", { kind: 9, seq: 10, decision: 2, verdict: 3, reason: 0, cause: 6, askMs: 2000, rule: 3, fields: [[AF.IP, ip4], [AF.PORT, 22], [AF.FAMILY, "inet"], [AF.HOST, "git.example"]] }],
  ["ask: the broker is not the launcher", { kind: 9, seq: 10, decision: 2, verdict: 3, reason: 0, cause: 7, error: 1, askMs: 0, rule: 3, fields: [[AF.PORT, 22]] }],
  ["ask: no broker listening", { kind: 9, seq: 10, decision: 2, verdict: 3, reason: 0, cause: 7, error: 111, askMs: 1, rule: 3 }],
  ["ask: no broker configured", { kind: 9, seq: 10, decision: 2, verdict: 3, reason: 0, cause: 7, error: 0, rule: 3 }],
  ["ask answered at once", { kind: 9, seq: 10, decision: 1, verdict: 3, reason: 0, cause: 4, askMs: 0, rule: 3, fields: [[AF.IP, ip6], [AF.PORT, 443]] }],
  ["allow that waited", { kind: 9, seq: 11, askMs: 5 }],
  ["verdict out of range", { kind: 0, seq: 11, decision: 9, verdict: 9 }],
  ["all byte fields", { kind: 1, seq: 12, fields: [[AF.CWD, "/c"], [AF.FAMILY, "unix"], [AF.HOST, "h"], [AF.CMDLINE, "a b"], [AF.PATH2, "/p2"], [AF.PATH, "/p"], [AF.EXE, "/e"], [AF.PPID, 7]] }],
  ["the supervisor's note", { kind: 9, seq: 12, decision: 2, fields: [[AF.IP, ip4], [AF.PORT, 9], [AF.FAMILY, "inet"], [AF.NOTE, "seccomp: pid 4242 /opt/static-tool"]] }],
  ["padding note (argv shrank while recording)", { kind: 8, seq: 12, fields: [[AF.EXE, "/e"], [AF.ARGV, "a"], [AF.NOTE, "\0\0\0\0\0\0\0\0", RECF_TRUNCATED]] }],
  ["not UTF-8", { kind: 0, seq: 13, fields: [[AF.PATH, NOT_UTF8], [AF.ARGV, NOT_UTF8], [AF.ARGV, "ok"], [AF.CWD, b(0xc3)]] }],
  ["UTF-8, control bytes, quotes, DEL", { kind: 0, seq: 14, fields: [[AF.PATH, "/tmp/ünïcödé 🚫"], [AF.PATH2, "tab\there\nnl \u0001\u001f"], [AF.CWD, 'q"uo\\te'], [AF.HOST, "del\u007f"]] }],
  ["a long value", { kind: 0, seq: 15, fields: [[AF.PATH, "/" + "x".repeat(300) + '"' + "y".repeat(300)]] }],
  ["empty value", { kind: 0, seq: 15, fields: [[AF.PATH, ""]] }],
  ["the last of a repeated field wins", { kind: 0, seq: 16, fields: [[AF.PATH, "/first"], [AF.PATH, "/second"], [AF.PORT, 1], [AF.PORT, 2]] }],
  ["an unknown field is skipped", { kind: 0, seq: 17, fields: [[15, "/usr/bin/python3"], [99, "?"], [AF.PATH, "/p"]] }],
  ["truncated fields", { kind: 8, seq: 18, fields: [[AF.EXE, "/e"], [AF.ARGV, "a", RECF_TRUNCATED], [AF.ARGV, "b", RECF_TRUNCATED], [AF.CMDLINE, "c", RECF_TRUNCATED], [77, "x", RECF_TRUNCATED]] }],
  ["big and negative ints", { kind: 9, seq: 19, fields: [[AF.PORT, -1], [AF.ARGC, 2n ** 62n], [AF.PPID, -(2n ** 63n)]] }],
  ["unknown kind", { kind: 300, seq: 20 }],
  ["every policy kind", { kind: 16, seq: 21 }],
  ["big header numbers", { kind: 0, seq: 0xffffffff, proc: 0xfffffffe, pid: -5, tid: 2147483647, evalNs: 0xffffffff }],
  ["time zero", { kind: 0, seq: 22, timeNs: 0n }],
  ["time at a second's end", { kind: 0, seq: 23, timeNs: 1_700_000_000_999_999_999n }],
  ["time at the next second", { kind: 0, seq: 24, timeNs: 1_700_000_001_000_000_000n }],
  ["time back in the earlier second", { kind: 0, seq: 25, timeNs: 1_700_000_000_000_000_001n }],
  ["time across a 2^32 ns word", { kind: 0, seq: 26, timeNs: 4_294_967_295n }],
  ["time just past it", { kind: 0, seq: 27, timeNs: 4_294_967_296n }],
  ["time far ahead", { kind: 0, seq: 28, timeNs: 4_000_000_000_123_456_789n }],
  ["lost", { kind: REC_LOST, pid: 77, fields: [[AF.PATH, "/ignored"]] }],
  ["proc.start exec", { kind: REC_PROC_START, seq: 0, fields: [[AF.EXE, "/usr/bin/python3"], [AF.POLICY_HASH, HASH_BYTES], [AF.PPID, 1], [AF.NOTE, "exec"]] }],
  ["proc.start, other policy", { kind: REC_PROC_START, seq: 0, fields: [[AF.EXE, "/bin/sh"], [AF.POLICY_HASH, Buffer.alloc(32, 0x11)], [AF.PPID, 1], [AF.NOTE, "fork"]] }],
  ["proc.start without a hash", { kind: REC_PROC_START, seq: 0, fields: [[AF.NOTE, "fork"]] }],
  ["proc.start, every field", { kind: REC_PROC_START, seq: 0, flags: RECF.VFORK | RECF.FLAGGED, fields: [[AF.CWD, NOT_UTF8], [AF.ARGV, "sh"], [AF.ARGV, "-c"], [AF.POLICY_HASH, HASH_BYTES], [AF.PATH, "/not-shown"], [AF.EXE, "/bin/sh", RECF_TRUNCATED], [AF.NOTE, "vfork-child"], [AF.PPID, 9], [AF.IP, ip4]] }],
];

/** Records that do not parse: the encoder and the decoder must refuse them alike. */
const BAD: [string, RecSpec, (r: Buffer) => void][] = [
  ["short int", { kind: 0, fields: [[AF.PORT, "12"]] }, () => {}],
  ["short ip", { kind: 9, fields: [[AF.IP, b(1, 2, 3, 4)]] }, () => {}],
  ["short hash", { kind: REC_PROC_START, fields: [[AF.POLICY_HASH, b(1)]] }, () => {}],
  ["short int in a lost record", { kind: REC_LOST, fields: [[AF.PPID, b(1)]] }, () => {}],
  ["field past the record", { kind: 0, fields: [[AF.PATH, "/a"]] }, (r) => r.writeUInt32LE(1000, 56 + 4)],
  ["more fields than bytes", { kind: 0, fields: [[AF.PATH, "/a"]] }, (r) => r.writeUInt16LE(5, 44)],
];

function viaPino(rec: Buffer, c: EntryContext = ctx()): { line: string; counts: EntryCounts } {
  const r = decodeRecords(rec)[0];
  if (r === undefined) throw new Error("no record");
  const counts = zeroCounts();
  countRecord(r, counts);
  return { line: pinoSerializer()(r.timeNs, recordEntry(r, c)), counts };
}

describe("LineEncoder", () => {
  it("writes_the_same_line_as_pino_for_every_case", () => {
    // one encoder for all: its caches (time, rule fragments) carry over from record to record
    const counts = zeroCounts();
    const enc = new LineEncoder(ctx(), counts);
    const want = zeroCounts();
    for (const [name, spec] of CASES) {
      const rec = encodeRecord(spec);
      const p = viaPino(rec);
      expect(enc.encode(rec, 0, rec.length), name).toBe(p.line);
      for (const k of Object.keys(want) as (keyof EntryCounts)[]) want[k] += p.counts[k];
    }
    expect(counts).toEqual(want);
    expect(counts.lost).toBe(1);
    expect(counts.processes).toBe(4);
  });

  it("writes_the_same_line_as_pino_at_any_offset_in_a_batch", () => {
    const batch = Buffer.concat(CASES.map(([, s]) => encodeRecord(s)));
    const enc = new LineEncoder(ctx(), zeroCounts());
    const recs = decodeRecords(batch);
    const pinoLine = pinoSerializer();
    let off = 0;
    for (const r of recs) {
      const len = batch.readUInt32LE(off);
      expect(enc.encode(batch, off, len)).toBe(pinoLine(r.timeNs, recordEntry(r, ctx())));
      off += len;
    }
  });

  it("spells_an_agent_id_needing_escapes_like_pino", () => {
    const c = ctx('ci "7" \\ ünï\n');
    const enc = new LineEncoder(c, zeroCounts());
    for (const [name, spec] of CASES) {
      const rec = encodeRecord(spec);
      expect(enc.encode(rec, 0, rec.length), name).toBe(viaPino(rec, c).line);
    }
  });

  it("names_why_an_ask_was_unavailable_as_an_errno_and_omits_it_without_one", () => {
    const line = (spec: RecSpec): Record<string, unknown> => {
      const rec = encodeRecord(spec);
      return JSON.parse(new LineEncoder(ctx(), zeroCounts()).encode(rec, 0, rec.length) + "}") as Record<string, unknown>;
    };
    const ask = { kind: 9, seq: 10, decision: 2, verdict: 3, reason: 0, cause: 7, rule: 3 } as const;
    expect(line({ ...ask, error: 1 })).toMatchObject({ cause: "ask-unavailable", error: "EPERM" });
    expect(line({ ...ask, error: 111 })).toMatchObject({ cause: "ask-unavailable", error: "ECONNREFUSED" });
    expect(line({ ...ask, error: 0 })).not.toHaveProperty("error");
    expect(line({ ...ask, cause: 5, error: 1 })).not.toHaveProperty("error"); // ask-denied: a person answered
  });

  it("carries_the_supervisors_note_on_a_decision_and_drops_the_writers_padding", () => {
    const line = (spec: RecSpec): Record<string, unknown> => {
      const rec = encodeRecord(spec);
      return JSON.parse(new LineEncoder(ctx(), zeroCounts()).encode(rec, 0, rec.length) + "}") as Record<string, unknown>;
    };
    expect(line(CASES.find(([n]) => n === "the supervisor's note")![1])).toMatchObject({ kind: "net.connect", note: "seccomp: pid 4242 /opt/static-tool" });
    const padded = line(CASES.find(([n]) => n.startsWith("padding note"))![1]);
    expect(padded).not.toHaveProperty("note");
    expect(padded["truncated"]).toEqual(["note"]);
  });

  it("matches_pino_on_random_times", () => {
    const enc = new LineEncoder(ctx(), zeroCounts());
    let t = 1_700_000_000_000_000_000n;
    for (let i = 0; i < 2000; i++) {
      t += BigInt(Math.floor(Math.random() * 3e8)) - 1_000_000n;
      const rec = encodeRecord({ kind: 0, seq: i, timeNs: t, fields: [[AF.PATH, `/f${i}`]] });
      expect(enc.encode(rec, 0, rec.length)).toBe(viaPino(rec).line);
    }
  });

  it("refuses_a_record_the_decoder_refuses_with_the_same_message_and_counts_nothing", () => {
    const counts = zeroCounts();
    const enc = new LineEncoder(ctx(), counts);
    for (const [name, spec, spoil] of BAD) {
      const rec = encodeRecord(spec);
      spoil(rec);
      let why = "";
      decodeRecords(rec, (w) => (why = w));
      expect(why, name).not.toBe("");
      expect(() => enc.encode(rec, 0, rec.length), name).toThrow(why);
    }
    expect(counts).toEqual(zeroCounts());
  });
});

// The addon's fast path (native/addon/lines.h) writes LineEncoder's line for
// the records it takes, closed and chained; the others it leaves to it.
interface FastRing {
  lineFormat(f: ReturnType<LineEncoder["fragments"]>): void;
  encodeLines(records: Buffer, out: Buffer, prev: Buffer, io: Float64Array): void;
  unmap(): void;
}

/** The record's chained line from the fast path (after a zero prev), or null when it leaves the record to LineEncoder. */
function fastLine(ring: FastRing, rec: Buffer): { line: string; prev: string } | null {
  const out = Buffer.alloc(rec.length * 2 + 4096);
  const prev = Buffer.alloc(32);
  const io = new Float64Array(9);
  ring.encodeLines(rec, out, prev, io);
  if (io[2] !== 0) {
    expect(io[0]).toBe(0);
    expect(io[1]).toBe(0);
    return null;
  }
  expect(io[0]).toBe(rec.length);
  return { line: out.toString("utf8", 0, io[1]), prev: prev.toString("hex") };
}

function fastRing(c: EntryContext = ctx()): FastRing {
  const ring = createRing({ dataSize: 1 << 16 }) as unknown as FastRing;
  ring.lineFormat(new LineEncoder(c, zeroCounts()).fragments());
  return ring;
}

function chained(body: string): { line: string; prev: string } {
  const line = `${body},"prev":"${"0".repeat(64)}"}`;
  return { line: line + "\n", prev: createHash("sha256").update(line).digest("hex") };
}

describe("the addon's fast path", () => {
  it("writes_pinos_line_chained_for_the_records_it_takes_and_leaves_the_rest", () => {
    const ring = fastRing();
    const taken: string[] = [];
    for (const [name, spec] of CASES) {
      const rec = encodeRecord(spec);
      const got = fastLine(ring, rec);
      if (got === null) continue;
      taken.push(name);
      expect(got, name).toEqual(chained(viaPino(rec).line));
    }
    // what must stay on the fast path (a log's bulk); everything else may fall back
    expect(taken).toEqual(expect.arrayContaining(["plain allow", "deny by rule", "rule reason needing escapes", "rule without reason", "rule, reason default", "reason rule, no rule", "exec run through a symlink", "observed", "nested and vfork", "allow that waited", "verdict out of range", "all byte fields", "empty value", "the last of a repeated field wins", "an unknown field is skipped", "big header numbers", "time zero", "time far ahead"]));
    ring.unmap();
  });

  it("counts_what_it_writes_like_the_encoder", () => {
    const ring = fastRing();
    const recs = CASES.map(([, s]) => encodeRecord(s));
    for (const rec of recs) {
      const io = new Float64Array(9);
      ring.encodeLines(rec, Buffer.alloc(8192), Buffer.alloc(32), io);
      if (io[2] !== 0) continue;
      const p = viaPino(rec).counts;
      expect([io[3], io[4], io[5], io[6], io[7], io[8]]).toEqual([p.decisions, p.allowed, p.denied, p.flagged, p.observed, 1]);
    }
    ring.unmap();
  });

  it("spells_an_agent_id_needing_escapes_like_pino", () => {
    const c = ctx('ci "7" \\ ünï\n');
    const ring = fastRing(c);
    for (const [name, spec] of CASES) {
      const rec = encodeRecord(spec);
      const got = fastLine(ring, rec);
      if (got !== null) expect(got, name).toEqual(chained(viaPino(rec, c).line));
    }
    ring.unmap();
  });

  it("matches_pino_on_random_times_and_values", () => {
    const ring = fastRing();
    let t = 1_700_000_000_000_000_000n;
    for (let i = 0; i < 2000; i++) {
      t += BigInt(Math.floor(Math.random() * 3e8)) - 1_000_000n;
      const port = Math.floor((Math.random() - 0.5) * 2 ** 54);
      const rec = encodeRecord({ kind: 9, seq: i, pid: i - 1000, timeNs: t, fields: [[AF.HOST, `h${i}.example`], [AF.PORT, port]] });
      const got = fastLine(ring, rec);
      if (Math.abs(port) <= 2 ** 53) expect(got).toEqual(chained(viaPino(rec).line));
      else expect(got).toBeNull();
    }
    ring.unmap();
  });

  it("agrees_with_the_encoder_on_random_and_spoiled_records", () => {
    const ring = fastRing();
    const enc = new LineEncoder(ctx(), zeroCounts());
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
    const values: (() => FieldValue)[] = [() => "/work/f" + Math.floor(Math.random() * 1e6), () => "", () => 'a"b', () => new Uint8Array(Array.from({ length: Math.floor(Math.random() * 12) }, () => Math.floor(Math.random() * 256))), () => BigInt(Math.floor((Math.random() - 0.5) * 2 ** 55)), () => ip4, () => HASH_BYTES];
    let taken = 0;
    for (let i = 0; i < 5000; i++) {
      const fields = Array.from({ length: Math.floor(Math.random() * 5) }, (): [number, FieldValue, number] => [pick([1, 2, 3, 4, 4, 5, 6, 7, 9, 10, 11, 13, 14, 15, 0, 99]), pick(values)(), Math.random() < 0.05 ? RECF_TRUNCATED : 0]);
      const rec = encodeRecord({ kind: pick([0, 1, 8, 9, 16, 300, REC_LOST, REC_PROC_START]), seq: i, decision: pick([1, 2, 9]), verdict: pick([1, 2, 3, 0]), reason: pick([0, 1, 2, 5]), cause: pick([0, 1, 2, 4, 7, 40]), error: pick([0, 1, 111]), flags: Math.floor(Math.random() * 16), rule: pick([-1, -7, 0, 1, 2, 3, 4, 99]), askMs: pick([0, 5]), fields });
      if (Math.random() < 0.2) rec[56 + Math.floor(Math.random() * (rec.length - 56))] = Math.floor(Math.random() * 256); // spoil a byte past the header
      let want: string | null;
      try {
        want = enc.encode(rec, 0, rec.length);
      } catch {
        want = null;
      }
      const got = fastLine(ring, rec);
      if (got === null) continue;
      taken++;
      expect(want).not.toBeNull();
      expect(got).toEqual(chained(want as string));
    }
    expect(taken).toBeGreaterThan(50); // ~130 expected: the comparison is not vacuous
    ring.unmap();
  });

  it("leaves_every_record_that_does_not_parse_to_the_encoder", () => {
    const ring = fastRing();
    for (const [name, spec, spoil] of BAD) {
      const rec = encodeRecord(spec);
      spoil(rec);
      expect(fastLine(ring, rec), name).toBeNull();
    }
    ring.unmap();
  });
});
