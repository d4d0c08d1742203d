// The audit writer: drains the ring (runtime/binding.ts AuditRing) into a
// tamper-evident JSON-lines log. The log format is docs/audit.md.
//
// One pass: ring.read() (whole records, and the heartbeat) → decodeRecords →
// one line per record through pino → ONE fs.writeSync of the batch → only
// then ring.release(). The ring keeps a record until its line has reached the
// kernel, so a launcher killed mid-batch loses nothing a file-backed ring still
// holds (a memfd ring dies with the last process that has it open).
//
// Every line carries `prev`, the hex SHA-256 of the previous line's bytes (no
// newline); the first line is a `run.start` entry with 64 zeros, the last a
// `run.end` entry with the counts. `trajeckt audit verify` checks the chain.
//
// pino does the serialization: its level key is formatted away and its
// timestamp hook emits our own `time` (the record's CLOCK_REALTIME in ISO 8601
// with nanoseconds) as the first key; the destination is an object whose
// write() keeps the line for the batch, so pino never touches the file.

import * as nodeCrypto from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import pino from "pino";

import { TrjError, type AuditRing, type Policy, type PolicyInfo } from "../binding.js";
import { decodeRecords, EVAL_ERRORS, ZERO_HASH, type AuditRecord, type ByteValue } from "./records.js";

export { ZERO_HASH };

export interface AuditRun {
  agentId: string;
  argv: readonly string[];
  mode: "enforce" | "observe";
  policyFile: string;
}

export interface AuditWriterOptions {
  ring: AuditRing;
  /** Created with O_EXCL, mode 0600: one run per log. */
  logPath: string;
  policy: Policy;
  run: AuditRun;
  /** Bytes per ring.read() (default 1 MiB). */
  batchBytes?: number;
}

export interface AuditSummary {
  /** lines written, run.start and run.end included */
  entries: number;
  decisions: number;
  allowed: number;
  denied: number;
  flagged: number;
  observed: number;
  lost: number;
  lostNested: number;
  processes: number;
  /** records the decoder could not read (written as "record.bad" entries) */
  badRecords: number;
  /** the ring broke (corrupt or stalled): the agent was denied everything after it */
  broken: boolean;
  /** hex SHA-256 of the last line written */
  chainHead: string;
}

export interface AuditWriter {
  /** Drain, write run.end, fsync, close the log; same promise on every call. */
  stop(): Promise<AuditSummary>;
  /** The counts so far. */
  summary(): AuditSummary;
}

/** A line's fields: what pino serializes (`time` is added first by the timestamp hook). */
type Entry = Record<string, unknown>;

const ERRNO_NAMES: Map<number, string> = new Map(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

const PENDING_WAIT_MS = 2000;

// crypto.hash (Node >= 20.12) is one native call; createHash costs an object per line.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, enc: "hex") => string }).hash;
const sha256Hex: (s: string) => string = oneShot ? (s) => oneShot("sha256", s, "hex") : (s) => nodeCrypto.createHash("sha256").update(s).digest("hex");

function trajecktVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** A byte value as it goes into a line: the text, or {"$b64": …} (runtime/actions.ts reads it back). */
function jsonBytes(v: ByteValue): string | { $b64: string } {
  return typeof v === "string" ? v : { $b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
}

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

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function startAuditWriter(opts: AuditWriterOptions): AuditWriter {
  const { ring, logPath, policy, run } = opts;
  const batchBytes = opts.batchBytes ?? 1 << 20;
  const info: PolicyInfo = policy.info();
  const rules = info.rules;

  // ---- the serializer -------------------------------------------------------
  const out: string[] = [];
  let timeField = "";
  const logger = pino(
    {
      base: null,
      // the level key formatted away, and our time as the first key: the line
      // starts `{"time":…` (pino adds "," before every other key)
      formatters: { level: () => ({}) },
      timestamp: () => timeField,
    },
    { write: (s: string) => void out.push(s) },
  );

  const fd = openSync(logPath, "wx", 0o600);
  let prev = ZERO_HASH;
  let pendingText = ""; // serialized, not yet written (a write failed)

  const counts: AuditSummary = {
    entries: 0,
    decisions: 0,
    allowed: 0,
    denied: 0,
    flagged: 0,
    observed: 0,
    lost: 0,
    lostNested: 0,
    processes: 0,
    badRecords: 0,
    broken: false,
    chainHead: ZERO_HASH,
  };

  /** Serialize one entry into the batch and move the chain on. */
  function emit(timeNs: bigint, e: Entry): void {
    timeField = `"time":"${isoNs(timeNs)}"`;
    e["prev"] = prev;
    logger.info(e);
    const line = out.pop();
    if (line === undefined || !line.startsWith('{"time":')) {
      throw new TrjError("internal", "audit writer: pino produced no line or an unexpected one");
    }
    prev = sha256Hex(line.slice(0, -1));
    pendingText += line;
    counts.entries++;
  }

  /** Write the batch; true when every byte reached the kernel. */
  function flush(): boolean {
    const buf = Buffer.from(pendingText, "utf8");
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      // keep what was not written; the ring is not released, so the agent
      // blocks once it is full instead of running unrecorded
      pendingText = buf.subarray(off).toString("utf8");
      lastWriteError = e as Error;
      return false;
    }
    pendingText = "";
    return true;
  }
  let lastWriteError: Error | undefined;

  const policyHash = info.hash;

  function recordEntry(r: AuditRecord): Entry {
    const f = r.fields;
    if (r.kind === "lost") {
      counts.lost++;
      return { kind: "lost", pid: r.pid, agent: run.agentId, decision: "deny", note: "the process died while recording a decision; the call did not complete" };
    }
    if (r.kind === "proc.start") {
      counts.processes++;
      const hash = f.policyHash ?? null;
      const e: Entry = { seq: r.seq, proc: r.proc, pid: r.pid, tid: r.tid, agent: run.agentId, kind: "proc.start" };
      if (f.exe !== undefined) e["exe"] = jsonBytes(f.exe);
      if (f.ppid !== undefined) e["ppid"] = f.ppid;
      if (f.note !== undefined) e["note"] = jsonBytes(f.note);
      if (f.argv !== undefined) e["argv"] = f.argv.map(jsonBytes);
      if (f.cwd !== undefined) e["cwd"] = jsonBytes(f.cwd);
      e["policy"] = hash;
      if (hash !== policyHash) e["policy_mismatch"] = true;
      if (r.vfork) e["vfork"] = true;
      if (f.truncated) e["truncated"] = f.truncated;
      return e;
    }
    counts.decisions++;
    if (r.decision === "allow") counts.allowed++;
    else counts.denied++;
    if (r.flagged) counts.flagged++;
    if (r.observed) counts.observed++;
    const rule = r.rule >= 0 ? rules[r.rule] : undefined;
    const reason = r.reason === "rule" ? (rule ? rule.reason : null) : r.reason;
    let error: string | undefined;
    if (r.cause === "unresolvable") error = ERRNO_NAMES.get(r.error) ?? `errno-${r.error}`;
    else if (r.reason === "eval-error") error = EVAL_ERRORS[r.error] ?? `error-${r.error}`;
    const e: Entry = {
      seq: r.seq,
      proc: r.proc,
      pid: r.pid,
      tid: r.tid,
      agent: run.agentId,
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
    e["policy"] = policyHash;
    if (f.path !== undefined) e["path"] = jsonBytes(f.path);
    if (f.path2 !== undefined) e["path2"] = jsonBytes(f.path2);
    if (f.exe !== undefined) e["exe"] = jsonBytes(f.exe);
    if (f.argv !== undefined) e["argv"] = f.argv.map(jsonBytes);
    if (f.cmdline !== undefined) e["cmdline"] = jsonBytes(f.cmdline);
    if (f.argc !== undefined) e["argc"] = f.argc;
    if (f.host !== undefined) e["host"] = jsonBytes(f.host);
    if (f.ip !== undefined) e["ip"] = f.ip;
    if (f.port !== undefined) e["port"] = f.port;
    if (f.family !== undefined) e["family"] = jsonBytes(f.family);
    if (f.cwd !== undefined) e["cwd"] = jsonBytes(f.cwd);
    if (f.truncated) e["truncated"] = f.truncated;
    return e;
  }

  function brokenEntry(err: unknown): void {
    counts.broken = true;
    const e = err as TrjError;
    emit(nowNs(), { kind: "ring.broken", agent: run.agentId, error: e.code ?? "ring-read-failed", note: e.message });
  }

  /**
   * One read → lines → write → release. Returns the records handled (0 when
   * the ring had nothing, or is broken, or a write is failing).
   */
  function pass(): number {
    if (pendingText !== "") {
      if (!flush()) return 0;
      ring.release();
    }
    if (counts.broken) return 0;
    let buf: Buffer | null;
    try {
      buf = ring.read(batchBytes);
    } catch (e) {
      if (!(e instanceof TrjError) || e.code === "ring-unmapped") throw e;
      brokenEntry(e);
      flush();
      return 0;
    }
    if (buf === null) return 0;
    const recs = decodeRecords(buf, (why, r) => {
      counts.badRecords++;
      emit(r?.timeNs ?? nowNs(), { kind: "record.bad", pid: r?.pid ?? null, agent: run.agentId, decision: "deny", note: why });
    });
    for (const r of recs) emit(r.timeNs, recordEntry(r));
    if (flush()) ring.release();
    return recs.length;
  }

  // ---- run.start ------------------------------------------------------------
  const st = ring.state();
  emit(nowNs(), {
    kind: "run.start",
    agent: run.agentId,
    policy: policyHash,
    policy_name: info.name,
    policy_version: info.version,
    policy_file: run.policyFile,
    argv: [...run.argv],
    mode: run.mode,
    trajeckt: trajecktVersion(),
    ring_size: st.dataSize,
    writer_pid: process.pid,
  });
  if (!flush()) throw new TrjError("audit-write-failed", `cannot write the audit log ${logPath}: ${lastWriteError?.message}`);

  // ---- the loop ---------------------------------------------------------------
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let stopped: Promise<AuditSummary> | undefined;
  let final: AuditSummary | undefined;
  let loopError: unknown;

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    let n = 0;
    try {
      // a few passes per turn of the event loop, so signals and child exits still run
      for (let i = 0; i < 8; i++) {
        const k = pass();
        n += k;
        if (k === 0) break;
      }
    } catch (e) {
      loopError = e;
      return; // stop() reports it
    }
    timer = n > 0 ? setImmediate(tick) : setTimeout(tick, 1);
  }
  timer = setImmediate(tick);

  function snapshot(): AuditSummary {
    return { ...counts, chainHead: prev };
  }

  function stopSync(): AuditSummary {
    if (final) return final;
    if (timer !== undefined) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
      timer = undefined;
    }
    // CLOSED first: from here producers are denied, so nothing new can be
    // reserved; then drain what was reserved before (bounded wait for
    // records still being written by live processes).
    let s: ReturnType<AuditRing["state"]> | undefined;
    try {
      ring.close();
      const deadline = Date.now() + PENDING_WAIT_MS;
      for (;;) {
        while (pass() > 0);
        s = ring.state();
        if (counts.broken || s.cursor >= s.head || Date.now() > deadline) break;
        sleepSync(1);
      }
    } catch (e) {
      loopError ??= e;
    }
    counts.lostNested = s?.lostNested ?? 0;
    const end: Entry = {
      kind: "run.end",
      agent: run.agentId,
      policy: policyHash,
      decisions: counts.decisions,
      allowed: counts.allowed,
      denied: counts.denied,
      flagged: counts.flagged,
      observed: counts.observed,
      lost: counts.lost,
      lost_nested: counts.lostNested,
      processes: counts.processes,
      bad_records: counts.badRecords,
    };
    if (counts.broken) end["broken"] = true;
    if (s !== undefined && s.cursor < s.head) end["unread_bytes"] = s.head - s.cursor;
    if (loopError !== undefined) end["error"] = (loopError as Error).message;
    emit(nowNs(), end);
    const ok = flush();
    if (ok) ring.release();
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    final = snapshot();
    if (!ok) throw new TrjError("audit-write-failed", `cannot write the audit log ${logPath}: ${lastWriteError?.message}`);
    return final;
  }

  return {
    stop(): Promise<AuditSummary> {
      stopped ??= new Promise<AuditSummary>((resolve) => resolve(stopSync()));
      return stopped;
    },
    summary: snapshot,
  };
}
