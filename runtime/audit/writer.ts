// The audit writer: drains the ring (runtime/binding.ts AuditRing) into a
// tamper-evident JSON-lines log. The log format is docs/audit.md.
//
// One pass: ring.read() (whole records, and the heartbeat) → one line per
// record → ONE fs.writeSync of the batch → only then ring.release(). The ring
// keeps a record until its line has reached the kernel, so a launcher killed
// mid-batch loses nothing a file-backed ring still holds (a memfd ring dies
// with the last process that has it open).
//
// Every line carries `prev`, the hex SHA-256 of the previous line's bytes (no
// newline); the first line is a `run.start` entry with 64 zeros, the last a
// `run.end` entry with the counts. `trajeckt audit verify` checks the chain.
//
// Lines come from two producers that encode.ts keeps equal: records (the hot
// path) go straight from the batch buffer to text through LineEncoder; the
// rare entries (run.start, run.end, ring.broken, record.bad) go through pino.
// Both give a line without its closing brace. The lines are closed with
// `,"prev":"<hex>"}` and hashed in the addon (native/addon/lines.h):
// ring.encodeLines writes the common records (decisions with plain ASCII
// values) straight from the batch to chained lines in out, with LineEncoder's
// fragments, and stops at any other record; LineEncoder (or pino) makes that
// one's body and ring.chainLine closes it. Building a line as a JS string,
// writing it to the buffer and hashing it from JS costs ~3× the C path.

import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";

import { TrjError, type AuditRing, type Policy, type PolicyInfo } from "../binding.js";
import { LineEncoder, pinoSerializer, type Entry, type EntryCounts } from "./encode.js";
import { REC, REC_SIZE, recordLength, RING_MAX_RECORD, ZERO_HASH } from "./records.js";

export { ZERO_HASH };
export { isoNs } from "./encode.js";

export interface AuditRun {
  agentId: string;
  argv: readonly string[];
  mode: "enforce" | "observe";
  policyFile: string;
  /** the kernel backstop under the library (run.start `backstop` and, when on, its facts) */
  backstop: RunBackstop;
}

/**
 * `--backstop off`, or what trajeckt-exec's dry run (--check-backstop) found
 * it will apply: run.start is written before the agent starts, and
 * trajeckt-exec either applies exactly this plan or refuses to run anything.
 */
export type RunBackstop =
  | { on: false }
  | {
      on: true;
      /** the kernel's Landlock ABI the ruleset is built for */
      landlockAbi: number;
      /** entries of the policy's backstop section (META first) */
      entries: number;
      /** instructions of the seccomp filter */
      seccompInsns: number;
    };

export interface AuditWriterOptions {
  ring: AuditRing;
  /** Created with O_EXCL, mode 0600: one run per log. */
  logPath: string;
  policy: Policy;
  run: AuditRun;
  /** Bytes per ring.read() while the ring is quiet (default 1 MiB); a busy ring is read in up to 4× bigger batches, at most half the ring. */
  batchBytes?: number;
}

/** What the writer wrote: run.end's counts (EntryCounts, shared with `audit summary`'s LogSummary) and the chain head. */
export interface AuditSummary extends EntryCounts {
  /** lines written, run.start and run.end included */
  entries: number;
  lostNested: number;
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

const PENDING_WAIT_MS = 2000;
/** The batch buffer's first size; it grows to the biggest batch. */
const OUT_START = 4 << 20;
/** `,"prev":"<64 hex>"}` and the newline (76 bytes), rounded up */
const PREV_TAIL_BYTES = 80;

/**
 * The addon's line methods (native/addon/lines.h, ring.cc). Each line goes to
 * out closed with `,"prev":"<hex>"}` and a newline, prev (32 bytes, updated
 * in place) being the SHA-256 of the line before.
 * Typed here for now; runtime/binding.ts types the ring's other methods.
 */
/** why encodeLines stopped (lines.h LineChain::Stop) */
const STOP = { END: 0, RECORD: 1, FULL: 2, HASH_FAILED: 3 } as const;

function trajecktVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** run.start's backstop keys: `"backstop":"off"`, or "on" and what applies. */
function backstopFields(b: RunBackstop): Entry {
  return b.on ? { backstop: "on", landlock_abi: b.landlockAbi, backstop_entries: b.entries, seccomp_insns: b.seccompInsns } : { backstop: "off" };
}

/** Check the batch's record lengths (what decodeRecords checks) before any line is made from it. */
function checkLengths(buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < REC_SIZE) throw new TrjError("bad-record", `audit record: ${buf.length - off} trailing bytes are not a record`);
    const len = recordLength(buf, off, buf.length - off);
    if (len === 0) throw new TrjError("bad-record", `audit record: unpublished record at byte ${off}`);
    off += len;
  }
}

export function startAuditWriter(opts: AuditWriterOptions): AuditWriter {
  const { ring, logPath, policy, run } = opts;
  const minBatch = opts.batchBytes ?? 1 << 20;
  let maxBatch = minBatch; // set from the ring's size below
  let batchBytes = minBatch;
  const info: PolicyInfo = policy.info();
  const policyHash = info.hash;

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

  // ---- the serializers --------------------------------------------------------
  const viaPino = pinoSerializer();
  const encoder = new LineEncoder({ agentId: run.agentId, policyHash, rules: info.rules }, counts);

  const fd = openSync(logPath, "wx", 0o600);

  ring.lineFormat(encoder.fragments());
  const io = new Float64Array(9);
  /** the last line's hash (hex is made from it when asked for) */
  const prevHash = Buffer.from(ZERO_HASH, "hex");
  // The batch's bytes, written once per pass and reused (a fresh buffer per
  // batch costs page faults); after a failed write it holds what is left.
  let out = Buffer.allocUnsafe(OUT_START);
  let outLen = 0;
  /** Close a line body made in JS with its `prev`, hash it (ring.chainLine), and add it to the batch. */
  function chain(body: string): void {
    grow(outLen + body.length * 3 + PREV_TAIL_BYTES);
    outLen = ring.chainLine(body, out, outLen, prevHash);
    counts.entries++;
  }

  /** Make out hold at least need bytes, keeping what it has. */
  function grow(need: number): void {
    if (need <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, need));
    out.copy(bigger, 0, 0, outLen);
    out = bigger;
  }

  /** A rare entry, through pino. */
  function emit(timeNs: bigint, e: Entry): void {
    chain(viaPino(timeNs, e));
  }

  /** Write the batch; true when every byte reached the kernel. */
  function flush(): boolean {
    let off = 0;
    try {
      while (off < outLen) off += writeSync(fd, out, off, outLen - off);
    } catch (e) {
      // keep what was not written; the ring is not released, so the agent
      // blocks once it is full instead of running unrecorded
      out.copy(out, 0, off, outLen);
      outLen -= off;
      lastWriteError = e as Error;
      return false;
    }
    outLen = 0;
    return true;
  }
  let lastWriteError: Error | undefined;

  function brokenEntry(err: unknown): void {
    counts.broken = true;
    const e = err as TrjError;
    emit(nowNs(), { kind: "ring.broken", agent: run.agentId, error: e.code ?? "ring-read-failed", note: e.message });
  }

  /** One line per record in the batch (a record that does not parse: a record.bad line). */
  function encodeBatch(buf: Buffer): number {
    checkLengths(buf);
    let n = 0;
    io[0] = 0;
    while (io[0] < buf.length) {
      io[1] = outLen;
      io.fill(0, 2);
      ring.encodeLines(buf, out, prevHash, io);
      outLen = io[1];
      counts.decisions += io[3] as number;
      counts.allowed += io[4] as number;
      counts.denied += io[5] as number;
      counts.flagged += io[6] as number;
      counts.observed += io[7] as number;
      counts.entries += io[8] as number;
      n += io[8] as number;
      const stop = io[2];
      if (stop === STOP.FULL) grow(out.length * 2);
      else if (stop === STOP.HASH_FAILED) throw new TrjError("internal", "audit writer: SHA-256 failed");
      else if (stop === STOP.RECORD) {
        const off = io[0] as number;
        io[0] = off + encodeOne(buf, off);
        n++;
      }
    }
    return n;
  }

  /** A record the fast path leaves to LineEncoder (or a record.bad line); returns its length. */
  function encodeOne(buf: Buffer, off: number): number {
    const len = buf.readUInt32LE(off);
    let body: string;
    try {
      body = encoder.encode(buf, off, len);
    } catch (e) {
      if (!(e instanceof TrjError)) throw e;
      counts.badRecords++;
      body = viaPino(buf.readBigUInt64LE(off + REC.timeNs), { kind: "record.bad", pid: buf.readInt32LE(off + REC.pid), agent: run.agentId, decision: "deny", note: e.message });
    }
    chain(body);
    return len;
  }

  /**
   * One read → lines → write → release. Returns the records handled (0 when
   * the ring had nothing, or is broken, or a write is failing).
   */
  function pass(): number {
    if (outLen > 0) {
      if (!flush()) return 0;
      if (!failed) ring.release();
    }
    if (counts.broken || failed) return 0;
    let got: number;
    try {
      got = ring.read(batchBytes, input);
    } catch (e) {
      if (!(e instanceof TrjError) || e.code === "ring-unmapped") throw e;
      brokenEntry(e);
      flush();
      return 0;
    }
    if (got === 0) return 0;
    const buf = input.subarray(0, got);
    // a busy ring: fewer, bigger batches; a quiet one: back to the small batch
    if (buf.length > batchBytes / 2) batchBytes = Math.min(batchBytes * 2, maxBatch);
    else if (buf.length < batchBytes / 8) batchBytes = Math.max(batchBytes / 2, minBatch);
    let n: number;
    try {
      n = encodeBatch(buf);
    } catch (e) {
      failBatch(e, buf.length - (io[0] as number));
      throw e;
    }
    if (flush()) ring.release();
    return n;
  }

  /**
   * The writer failed inside a batch (a hash failed, a bug): the records after
   * the last line made were read but never written, so nothing may be released
   * from here on (they must not count as logged). Close the ring — every later
   * decision is denied — and say so in the log.
   */
  let failed = false;
  function failBatch(e: unknown, unwrittenBytes: number): void {
    failed = true;
    try {
      ring.close();
    } finally {
      const why = e instanceof Error ? e.message : String(e);
      brokenEntry(new TrjError("internal", `audit writer failed in a batch (${why}); ${unwrittenBytes} bytes of records were read but not written, the ring is closed`));
      flush();
    }
  }

  // ---- run.start ------------------------------------------------------------
  const st = ring.state();
  // up to 4× the batch, but never more than half the ring: the producers keep
  // the other half to fill while a batch is being written
  maxBatch = Math.max(minBatch, Math.min(minBatch * 4, st.dataSize / 2));
  // what ring.read() fills: one buffer for the whole run, the biggest batch (and never below a maximal record)
  const input = Buffer.allocUnsafe(Math.max(maxBatch, RING_MAX_RECORD));
  emit(nowNs(), {
    kind: "run.start",
    agent: run.agentId,
    policy: policyHash,
    policy_name: info.name,
    policy_version: info.version,
    policy_file: run.policyFile,
    argv: [...run.argv],
    mode: run.mode,
    ...backstopFields(run.backstop),
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
    return { ...counts, chainHead: prevHash.toString("hex") };
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
    if (ok && !failed) ring.release();
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
