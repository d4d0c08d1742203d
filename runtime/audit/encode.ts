// The audit log's entries (docs/audit.md) and their two producers.
//
//   recordEntry()   the definition: a decoded record (records.ts) → the
//                   entry object, keys in log order
//   pinoSerializer  pino turns an entry into a line; the writer uses it for
//                   every entry that is not a record (run.start, run.end,
//                   ring.broken, record.bad)
//   LineEncoder     the hot path: a record straight from the batch buffer to
//                   the same line, with no AuditRecord, no entry object and
//                   no pino. pino costs 3.5–9 µs per entry on a small VM and a
//                   ring can carry 100k+ decisions a second.
//   (the addon)     native/addon/lines.cc: LineEncoder's line in C for the
//                   common decisions, with LineEncoder's fragments(); the
//                   writer uses it first and LineEncoder for the rest.
//
// test/audit/encode.test.ts checks that LineEncoder's line (and the addon's,
// for the records it takes) equals pino's line for recordEntry(record), byte
// for byte, over every field type, non UTF-8 bytes, flags, ask, observe,
// lost, proc.start and records that do not parse. pino and LineEncoder
// produce a line's body: the line up to, not including, its closing brace;
// the addon closes it with `,"prev":"<hex>"}` (writer.ts).

import { isUtf8 } from "node:buffer";
import { constants as osConstants } from "node:os";
import pino from "pino";

import { KINDS } from "../../compiler/catalog.js";
import { TrjError, type RuleInfo } from "../binding.js";
import {
  AF,
  CAUSES,
  EVAL_ERRORS,
  FieldScan,
  intField,
  ipText,
  kindName,
  REASONS,
  REC,
  REC_LOST,
  REC_PROC_START,
  RECF,
  scanFields,
  TRJ_ALLOW,
  TRJ_ASK,
  type AuditRecord,
  type ByteValue,
} from "./records.js";

/** A line's fields in log order (`time` is added first by the serializer). */
export type Entry = Record<string, unknown>;

/** What every record entry is written against: the run's constants. */
export interface EntryContext {
  agentId: string;
  /** the run's policy hash (hex) */
  policyHash: string;
  /** the run's policy's rules, by index */
  rules: readonly RuleInfo[];
}

/** The counts run.end carries that records move: the writer's AuditSummary and `audit summary`'s LogSummary both extend it. */
export interface EntryCounts {
  decisions: number;
  allowed: number;
  denied: number;
  flagged: number;
  observed: number;
  lost: number;
  processes: number;
}

export const LOST_NOTE = "the process died while recording a decision; the call did not complete";

const ERRNO_NAMES: Map<number, string> = new Map(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** trj_rec_cause CAUSE_UNRESOLVABLE, ASK_UNAVAILABLE */
const CAUSE_UNRESOLVABLE = CAUSES.indexOf("unresolvable");
const CAUSE_ASK_UNAVAILABLE = CAUSES.indexOf("ask-unavailable");
/** trj_reason REASON_RULE / EVAL_ERROR */
const REASON_RULE = REASONS.indexOf("rule");
const REASON_EVAL_ERROR = REASONS.indexOf("eval-error");

function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno-${n}`;
}
function evalErrorName(n: number): string {
  return EVAL_ERRORS[n] ?? `error-${n}`;
}

// ---- time ---------------------------------------------------------------------

let isoSec = -1n;
let isoPrefix = "";
/** CLOCK_REALTIME ns → "2025-01-02T03:04:05.123456789Z". */
export function isoNs(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  if (sec !== isoSec) {
    isoSec = sec;
    isoPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  }
  return `${isoPrefix}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;
}

// ---- the definition -------------------------------------------------------------

/** A byte value as it goes into a line: the text, or {"$b64": …} (runtime/actions.ts reads it back). */
export function jsonBytes(v: ByteValue): string | { $b64: string } {
  return typeof v === "string" ? v : { $b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
}

/** A record's entry, keys in log order (the format; LineEncoder must equal it). */
export function recordEntry(r: AuditRecord, ctx: EntryContext): Entry {
  const f = r.fields;
  if (r.kind === "lost") {
    return { kind: "lost", pid: r.pid, agent: ctx.agentId, decision: "deny", note: LOST_NOTE };
  }
  if (r.kind === "proc.start") {
    const hash = f.policyHash ?? null;
    const e: Entry = { seq: r.seq, proc: r.proc, pid: r.pid, tid: r.tid, agent: ctx.agentId, kind: "proc.start" };
    if (f.exe !== undefined) e["exe"] = jsonBytes(f.exe);
    if (f.ppid !== undefined) e["ppid"] = f.ppid;
    if (f.note !== undefined) e["note"] = jsonBytes(f.note);
    if (f.argv !== undefined) e["argv"] = f.argv.map(jsonBytes);
    if (f.cwd !== undefined) e["cwd"] = jsonBytes(f.cwd);
    e["policy"] = hash;
    if (hash !== ctx.policyHash) e["policy_mismatch"] = true;
    if (r.vfork) e["vfork"] = true;
    if (f.truncated) e["truncated"] = f.truncated;
    return e;
  }
  const rule = r.rule >= 0 ? ctx.rules[r.rule] : undefined;
  const reason = r.reason === "rule" ? (rule ? rule.reason : null) : r.reason;
  let error: string | undefined;
  if (r.cause === "unresolvable") error = errnoName(r.error);
  else if (r.reason === "eval-error") error = evalErrorName(r.error);
  else if (r.cause === "ask-unavailable" && r.error !== 0) error = errnoName(r.error); // why the broker was not asked (EPERM: not the launcher)
  const e: Entry = {
    seq: r.seq,
    proc: r.proc,
    pid: r.pid,
    tid: r.tid,
    agent: ctx.agentId,
    kind: r.kind,
    decision: r.decision,
    verdict: r.verdict,
    rule: rule ? rule.name : r.rule >= 0 ? `#${r.rule}` : null,
    reason,
    cause: r.cause,
  };
  if (error !== undefined) e["error"] = error;
  e["flagged"] = r.flagged;
  e["observed"] = r.observed;
  if (r.nested) e["nested"] = true;
  if (r.vfork) e["vfork"] = true;
  e["eval_ns"] = r.evalNs;
  if (r.verdict === "ask" || r.askMs > 0) e["ask_ms"] = r.askMs;
  e["policy"] = ctx.policyHash;
  if (f.path !== undefined) e["path"] = jsonBytes(f.path);
  if (f.path2 !== undefined) e["path2"] = jsonBytes(f.path2);
  if (f.exe !== undefined) e["exe"] = jsonBytes(f.exe);
  if (f.exeName !== undefined) e["exe_name"] = jsonBytes(f.exeName);
  if (f.argv !== undefined) e["argv"] = f.argv.map(jsonBytes);
  if (f.cmdline !== undefined) e["cmdline"] = jsonBytes(f.cmdline);
  if (f.argc !== undefined) e["argc"] = f.argc;
  if (f.host !== undefined) e["host"] = jsonBytes(f.host);
  if (f.ip !== undefined) e["ip"] = f.ip;
  if (f.port !== undefined) e["port"] = f.port;
  if (f.family !== undefined) e["family"] = jsonBytes(f.family);
  if (f.cwd !== undefined) e["cwd"] = jsonBytes(f.cwd);
  // who decided, when not the library in the process itself ("seccomp: pid N exe");
  // a truncated NOTE is the writer's padding (audit.c emit_fields), not a note
  if (f.note !== undefined && !f.truncated?.includes("note")) e["note"] = jsonBytes(f.note);
  if (f.truncated) e["truncated"] = f.truncated;
  return e;
}

/** Move the counts for one record entry. */
export function countRecord(r: AuditRecord, c: EntryCounts): void {
  if (r.kind === "lost") c.lost++;
  else if (r.kind === "proc.start") c.processes++;
  else {
    c.decisions++;
    if (r.decision === "allow") c.allowed++;
    else c.denied++;
    if (r.flagged) c.flagged++;
    if (r.observed) c.observed++;
  }
}

// ---- pino -----------------------------------------------------------------------

/**
 * A pino logger set up to write our lines: the level key formatted away, our
 * own `time` (the record's CLOCK_REALTIME) as the first key through the
 * timestamp hook, and a destination that hands the line back instead of
 * writing it. Returns a line's body (no closing brace, no newline).
 */
export function pinoSerializer(): (timeNs: bigint, e: Entry) => string {
  let out: string | undefined;
  let timeField = "";
  const logger = pino(
    {
      base: null,
      // the line starts `{"time":…` (pino adds "," before every other key)
      formatters: { level: () => ({}) },
      timestamp: () => timeField,
    },
    { write: (s: string) => void (out = s) },
  );
  return (timeNs, e) => {
    timeField = `"time":"${isoNs(timeNs)}"`;
    out = undefined;
    logger.info(e);
    const line = out as string | undefined;
    if (line === undefined || !line.startsWith('{"time":') || !line.endsWith("}\n")) {
      throw new TrjError("internal", "audit writer: pino produced no line or an unexpected one");
    }
    return line.slice(0, -2);
  };
}

// ---- the fast encoder -----------------------------------------------------------

/** LineEncoder's per-run fragments, by record value (see LineEncoder's fields), and the values it compares with: TRJ_ALLOW, TRJ_ASK, reason rule, reason eval-error, cause unresolvable, cause ask-unavailable. */
export interface LineFragments {
  agentKind: readonly string[];
  decVer: readonly string[];
  ruleName: readonly string[];
  ruleReason: readonly string[];
  flagObs: readonly string[];
  causeText: readonly string[];
  reasonName: readonly string[];
  policyTail: string;
  values: readonly number[];
}

/** A JSON string's text for s (what pino writes for a string value). */
const js = (s: string): string => JSON.stringify(s);

/**
 * Record bytes → a line body, equal to pinoSerializer()(time, recordEntry(decode(record))).
 * Per-run and per-rule fragments are built once; byte values that are
 * printable ASCII without `"` or `\` are spliced in as they are.
 */
export class LineEncoder {
  private readonly scan = new FieldScan();
  private readonly counts: EntryCounts;
  private readonly policyHash: string;
  /** `,"agent":…,"kind":"<kind>"` by kind id (policy kinds) */
  private readonly agentKind: string[];
  private readonly agentJson: string;
  /** `,"decision":…,"verdict":…` by decision (0 allow, 1 deny) * 3 + verdict (0 allow, 1 deny, 2 ask) */
  private readonly decVer: string[] = [];
  /** `,"rule":…,"reason":…` by rule index, for reason "rule" */
  private readonly ruleReason: string[];
  /** `,"rule":…` by rule index */
  private readonly ruleName: string[];
  /** `,"flagged":…,"observed":…` by flags & 3 */
  private readonly flagObs: string[] = [];
  /** `,"cause":"…"` by cause value (values past the table: "unknown") */
  private readonly causeText: string[];
  private readonly policyTail: string;
  private readonly lostTail: string;
  /** time cache: the second being written, as its ns (hi, lo words) and its ISO prefix */
  private secHi = -1;
  private secLo = 0;
  private secPrefix = "";

  constructor(ctx: EntryContext, counts: EntryCounts) {
    this.counts = counts;
    this.policyHash = ctx.policyHash;
    this.agentJson = js(ctx.agentId);
    this.agentKind = KINDS.map((k) => `,"agent":${this.agentJson},"kind":${js(k)}`);
    for (const d of ["allow", "deny"]) for (const v of ["allow", "deny", "ask"]) this.decVer.push(`,"decision":"${d}","verdict":"${v}"`);
    this.ruleName = ctx.rules.map((r) => `,"rule":${js(r.name)}`);
    this.ruleReason = ctx.rules.map((r, i) => `${this.ruleName[i]},"reason":${r.reason === null ? "null" : js(r.reason)}`);
    for (let f = 0; f < 4; f++) this.flagObs.push(`,"flagged":${(f & RECF.FLAGGED) !== 0},"observed":${(f & RECF.OBSERVED) !== 0}`);
    this.causeText = CAUSES.map((c) => `,"cause":${js(c)}`);
    this.policyTail = `,"policy":${js(ctx.policyHash)}`;
    this.lostTail = `,"agent":${this.agentJson},"decision":"deny","note":${js(LOST_NOTE)}`;
  }

  /**
   * The fragments this encoder splices in, for the addon's fast path
   * (native/addon/lines.h), which writes the same lines for the records it
   * takes and leaves the others to encode().
   */
  fragments(): LineFragments {
    return {
      agentKind: this.agentKind,
      decVer: this.decVer,
      ruleName: this.ruleName,
      ruleReason: this.ruleReason,
      flagObs: this.flagObs,
      causeText: this.causeText,
      reasonName: [...REASONS],
      policyTail: this.policyTail,
      values: [TRJ_ALLOW, TRJ_ASK, REASON_RULE, REASON_EVAL_ERROR, CAUSE_UNRESOLVABLE, CAUSE_ASK_UNAVAILABLE],
    };
  }

  /** `"time":"…"`'s value for the record at off, without BigInt while the second stays the same. */
  private time(buf: Buffer, off: number): string {
    const lo = buf.readUInt32LE(off + REC.timeNs);
    const hi = buf.readUInt32LE(off + REC.timeNs + 4);
    // exact while hi - secHi is small; otherwise far outside [0, 1e9)
    const d = (hi - this.secHi) * 4294967296 + (lo - this.secLo);
    if (d >= 0 && d < 1e9) return `${this.secPrefix}.${String(1e9 + d).slice(1)}Z`;
    const ns = buf.readBigUInt64LE(off + REC.timeNs);
    const t = isoNs(ns);
    const secNs = (ns / 1_000_000_000n) * 1_000_000_000n;
    this.secHi = Number(secNs >> 32n);
    this.secLo = Number(secNs & 0xffffffffn);
    this.secPrefix = t.slice(0, 19);
    return t;
  }

  /** A byte value's JSON: as is when printable ASCII, else a JSON string or {"$b64":…}. */
  private bytes(buf: Buffer, s: number, e: number): string {
    for (let i = s; i < e; i++) {
      const b = buf[i] as number;
      if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) return this.slowBytes(buf, s, e);
    }
    return `"${buf.toString("latin1", s, e)}"`;
  }

  private slowBytes(buf: Buffer, s: number, e: number): string {
    const v = buf.subarray(s, e);
    return isUtf8(v) ? js(v.toString("utf8")) : `{"$b64":"${v.toString("base64")}"}`;
  }

  private field(buf: Buffer, key: string, id: number): string {
    const s = this.scan.start[id] as number;
    return s < 0 ? "" : `,"${key}":${this.bytes(buf, s, this.scan.end[id] as number)}`;
  }

  private intField(buf: Buffer, key: string, id: number): string {
    return (this.scan.start[id] as number) < 0 ? "" : `,"${key}":${intField(buf, this.scan, id)}`;
  }

  private argv(buf: Buffer): string {
    const sc = this.scan;
    if (sc.nArgv === 0) return "";
    let s = `,"argv":[`;
    for (let i = 0; i < sc.nArgv; i++) s += (i === 0 ? "" : ",") + this.bytes(buf, sc.argv[2 * i] as number, sc.argv[2 * i + 1] as number);
    return s + "]";
  }

  private truncated(): string {
    const t = this.scan.truncated;
    return t === null ? "" : `,"truncated":${JSON.stringify(t)}`;
  }

  /**
   * The body of the line for the record at off (len bytes, its length already
   * checked), and the counts moved. Throws TrjError "bad-record" (counts
   * untouched) for a record whose fields do not parse.
   */
  encode(buf: Buffer, off: number, len: number): string {
    const sc = this.scan;
    scanFields(buf, off, len, sc);
    const kind = buf.readUInt16LE(off + REC.kind);
    const head = `{"time":"${this.time(buf, off)}"`;
    if (kind === REC_LOST) {
      this.counts.lost++;
      return `${head},"kind":"lost","pid":${buf.readInt32LE(off + REC.pid)}${this.lostTail}`;
    }
    const ids = `${head},"seq":${buf.readUInt32LE(off + REC.seq)},"proc":${buf.readUInt32LE(off + REC.proc)},"pid":${buf.readInt32LE(off + REC.pid)},"tid":${buf.readInt32LE(off + REC.tid)}`;
    const flags = buf[off + REC.flags] as number;
    const vfork = (flags & RECF.VFORK) !== 0 ? `,"vfork":true` : "";
    if (kind === REC_PROC_START) {
      const hs = sc.start[AF.POLICY_HASH] as number;
      const hash = hs < 0 ? null : buf.toString("hex", hs, sc.end[AF.POLICY_HASH]);
      this.counts.processes++;
      return (
        `${ids},"agent":${this.agentJson},"kind":"proc.start"` +
        this.field(buf, "exe", AF.EXE) +
        this.intField(buf, "ppid", AF.PPID) +
        this.field(buf, "note", AF.NOTE) +
        this.argv(buf) +
        this.field(buf, "cwd", AF.CWD) +
        (hash === null ? `,"policy":null` : `,"policy":"${hash}"`) +
        (hash !== this.policyHash ? `,"policy_mismatch":true` : "") +
        vfork +
        this.truncated()
      );
    }
    const dec = buf[off + REC.decision] === TRJ_ALLOW ? 0 : 1;
    const ver = buf[off + REC.verdict] as number;
    const vi = ver === TRJ_ALLOW ? 0 : ver === TRJ_ASK ? 2 : 1;
    let reason = buf[off + REC.reason] as number;
    if (reason >= REASONS.length) reason = REASON_EVAL_ERROR;
    const cause = buf[off + REC.cause] as number;
    const ruleIx = buf.readInt32LE(off + REC.rule);
    let ruleText: string;
    if (ruleIx >= 0 && ruleIx < this.ruleName.length) {
      ruleText = reason === REASON_RULE ? (this.ruleReason[ruleIx] as string) : `${this.ruleName[ruleIx]},"reason":"${REASONS[reason]}"`;
    } else {
      const name = ruleIx >= 0 ? `"#${ruleIx}"` : "null";
      ruleText = `,"rule":${name},"reason":${reason === REASON_RULE ? "null" : `"${REASONS[reason]}"`}`;
    }
    let error = "";
    const errNo = buf[off + REC.error] as number;
    if (cause === CAUSE_UNRESOLVABLE) error = `,"error":${js(errnoName(errNo))}`;
    else if (reason === REASON_EVAL_ERROR) error = `,"error":${js(evalErrorName(errNo))}`;
    else if (cause === CAUSE_ASK_UNAVAILABLE && errNo !== 0) error = `,"error":${js(errnoName(errNo))}`;
    const askMs = buf.readUInt32LE(off + REC.askMs);
    const line =
      ids +
      (kind < KINDS.length ? this.agentKind[kind] : `,"agent":${this.agentJson},"kind":${js(kindName(kind))}`) +
      this.decVer[dec * 3 + vi] +
      ruleText +
      (this.causeText[cause] ?? `,"cause":"unknown"`) +
      error +
      this.flagObs[flags & 3] +
      ((flags & RECF.NESTED) !== 0 ? `,"nested":true` : "") +
      vfork +
      `,"eval_ns":${buf.readUInt32LE(off + REC.evalNs)}` +
      (vi === 2 || askMs > 0 ? `,"ask_ms":${askMs}` : "") +
      this.policyTail +
      this.field(buf, "path", AF.PATH) +
      this.field(buf, "path2", AF.PATH2) +
      this.field(buf, "exe", AF.EXE) +
      this.field(buf, "exe_name", AF.EXE_NAME) +
      this.argv(buf) +
      this.field(buf, "cmdline", AF.CMDLINE) +
      this.intField(buf, "argc", AF.ARGC) +
      this.field(buf, "host", AF.HOST) +
      ((sc.start[AF.IP] as number) >= 0 ? `,"ip":"${ipText(buf.subarray(sc.start[AF.IP], sc.end[AF.IP]))}"` : "") +
      this.intField(buf, "port", AF.PORT) +
      this.field(buf, "family", AF.FAMILY) +
      this.field(buf, "cwd", AF.CWD) +
      (sc.truncated?.includes("note") ? "" : this.field(buf, "note", AF.NOTE)) +
      this.truncated();
    const c = this.counts;
    c.decisions++;
    if (dec === 0) c.allowed++;
    else c.denied++;
    if ((flags & RECF.FLAGGED) !== 0) c.flagged++;
    if ((flags & RECF.OBSERVED) !== 0) c.observed++;
    return line;
  }
}
