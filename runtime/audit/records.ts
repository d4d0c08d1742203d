// The TypeScript mirror of native/ring/trj_ring.h: the ring's header layout,
// the record layout, the enums, and the decoder that turns records copied out
// of the ring (ring.read()) into AuditRecord objects.
//
// The header file is the one definition; every number here is a copy of it and
// test/audit/records.test.ts compiles a probe against the header so the two
// cannot drift silently.
//
// scanFields() is the one check of a record's fields; the decoder and the log
// line encoder (encode.ts) both read records through it.
//
// Records come from processes the firewall is judging, so nothing here trusts
// them: decodeRecords() checks every length against the bytes it was given and
// throws TrjError "bad-record" for a record that does not parse. Enum values
// outside the header's range decode to a fail-closed reading (decision "deny",
// reason "eval-error", kind "unknown:<n>", cause "unknown") instead of throwing,
// so one scribbled byte does not take the whole batch with it.

import { readFileSync } from "node:fs";
import { isUtf8 } from "node:buffer";

import { KINDS } from "../../compiler/catalog.js";
import { TrjError } from "../binding.js";

// ---- constants (trj_ring.h) ---------------------------------------------------

export const RING_MAGIC = 0x524a5254;
export const RING_VERSION = 1;
export const RING_HEADER_SIZE = 4096;
export const RING_MIN_DATA = 64 << 10;
export const RING_MAX_DATA = 1 << 30;
export const RING_DEFAULT_DATA = 4 << 20;
export const RING_MAX_RECORD = 256 << 10;
export const RING_HEARTBEAT_MS = 50;
export const RING_STALE_MS = 1000;
export const RING_STALL_MS = 10000;

/** The `prev` of a log's first line (runtime/audit/writer.ts). */
export const ZERO_HASH = "0".repeat(64);

export const REC_PENDING = 0x80000000;
export const REC_SIZE = 56;
export const FIELD_HEADER_SIZE = 8;
export const RECF_TRUNCATED = 1;

export const WriterState = { STARTING: 0, RUNNING: 1, CLOSED: 2, BROKEN: 3 } as const;
export const WRITER_STATES = ["starting", "running", "closed", "broken"] as const;
export type WriterStateName = (typeof WRITER_STATES)[number];

export const Mode = { ENFORCE: 0, OBSERVE: 1 } as const;
export const Ask = { DENY: 0, BROKER: 1 } as const;

/** trj_isa.h trj_decision */
export const TRJ_ALLOW = 1;
export const TRJ_DENY = 2;
export const TRJ_ASK = 3;

/** trj_rec_kind: kinds beyond the policy kinds (which are indexes into KINDS). */
export const REC_PROC_START = 0x100;
export const REC_LOST = 0x101;

/** trj_rec_flag */
export const RECF = { FLAGGED: 1, OBSERVED: 2, NESTED: 4, VFORK: 8 } as const;

/** trj.h trj_reason, by value. */
export const REASONS = ["rule", "default", "eval-error"] as const;
export type Reason = (typeof REASONS)[number];

/** trj_rec_cause, by value. */
export const CAUSES = [
  "policy",
  "no-policy",
  "unresolvable",
  "setuid",
  "ask-allowed",
  "ask-denied",
  "ask-timeout",
  "ask-unavailable",
] as const;
export type Cause = (typeof CAUSES)[number] | "unknown";

/** trj.h trj_eval_error, by value (names as native/core/names.c spells them). */
export const EVAL_ERRORS = ["ok", "bad-kind", "missing-field", "type-mismatch", "value-too-long", "too-few-slots", "not-loaded"] as const;

/** trj_rec_field_id */
export const AF = {
  PATH: 1,
  PATH2: 2,
  EXE: 3,
  ARGV: 4,
  CMDLINE: 5,
  ARGC: 6,
  HOST: 7,
  IP: 8,
  PORT: 9,
  FAMILY: 10,
  CWD: 11,
  POLICY_HASH: 12,
  NOTE: 13,
  PPID: 14,
  EXE_NAME: 15,
} as const;

/** Field names by id (index = id), as they appear in AuditRecord.fields and in log lines. */
export const FIELD_NAMES = [
  "",
  "path",
  "path2",
  "exe",
  "argv",
  "cmdline",
  "argc",
  "host",
  "ip",
  "port",
  "family",
  "cwd",
  "policyHash",
  "note",
  "ppid",
  "exe_name",
] as const;

/** Byte offsets in struct trj_ring_header. */
export const HDR = {
  magic: 0,
  version: 4,
  headerSize: 8,
  mode: 12,
  dataSize: 16,
  writerPid: 24,
  ask: 28,
  askAddrLen: 32,
  agentIdLen: 36,
  policyHash: 40,
  askAddr: 72,
  agentId: 180,
  tail: 512,
  heartbeatNs: 520,
  writerState: 528,
  tailFutex: 532,
  waiters: 536,
  writerFd: 540,
  head: 576,
  nextProc: 584,
  lostNested: 592,
  size: 640,
} as const;

/** Byte offsets in struct trj_rec. */
export const REC = {
  commit: 0,
  pid: 4,
  timeNs: 8,
  proc: 16,
  seq: 20,
  tid: 24,
  kind: 28,
  decision: 30,
  verdict: 31,
  reason: 32,
  error: 33,
  cause: 34,
  flags: 35,
  rule: 36,
  evalNs: 40,
  nFields: 44,
  pad: 46,
  askMs: 48,
  pad2: 52,
} as const;

// ---- the decoded record -------------------------------------------------------

/** A byte value: the text when it is valid UTF-8, else the raw bytes. */
export type ByteValue = string | Uint8Array;

export interface RecordFields {
  path?: ByteValue;
  path2?: ByteValue;
  exe?: ByteValue;
  argv?: ByteValue[];
  cmdline?: ByteValue;
  argc?: number;
  host?: ByteValue;
  /** IPv4 as "a.b.c.d" (from ::ffff:a.b.c.d), else IPv6 text. */
  ip?: string;
  port?: number;
  family?: ByteValue;
  cwd?: ByteValue;
  /** hex SHA-256 (proc.start) */
  policyHash?: string;
  note?: ByteValue;
  ppid?: number;
  /** the absolute name a program was run as, when it differs from exe (a symlink); not in log lines yet */
  exeName?: ByteValue;
  /** names of fields whose value was cut to fit the record */
  truncated?: string[];
}

export interface AuditRecord {
  /** "file.read" … (compiler/catalog.ts KINDS), "proc.start", "lost", or "unknown:<n>" */
  kind: string;
  decision: "allow" | "deny";
  verdict: "allow" | "deny" | "ask";
  reason: Reason;
  cause: Cause;
  /** trj_eval_error (reason "eval-error"), or errno (cause "unresolvable"; cause "ask-unavailable": why, 0 = no broker configured) */
  error: number;
  flagged: boolean;
  observed: boolean;
  nested: boolean;
  vfork: boolean;
  /** deciding rule index, -1 for none */
  rule: number;
  pid: number;
  tid: number;
  proc: number;
  seq: number;
  /** CLOCK_REALTIME, ns */
  timeNs: bigint;
  evalNs: number;
  askMs: number;
  fields: RecordFields;
}

// ---- decoding -----------------------------------------------------------------

function bad(why: string): TrjError {
  return new TrjError("bad-record", `audit record: ${why}`);
}

function bytesValue(buf: Buffer, start: number, end: number): ByteValue {
  const slice = buf.subarray(start, end);
  if (isUtf8(slice)) return slice.toString("utf8");
  return new Uint8Array(slice); // a copy: the batch buffer is reused
}

function hex2(n: number): string {
  return n.toString(16);
}

/** 16 bytes → "a.b.c.d" for ::ffff:a.b.c.d, else RFC 5952 IPv6 text. */
export function ipText(b: Uint8Array): string {
  let mapped = b.length === 16 && b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return g.map(hex2).join(":");
  return `${g.slice(0, bestAt).map(hex2).join(":")}::${g.slice(bestAt + bestLen).map(hex2).join(":")}`;
}

export function kindName(k: number): string {
  if (k < KINDS.length) return KINDS[k] as string;
  if (k === REC_PROC_START) return "proc.start";
  if (k === REC_LOST) return "lost";
  return `unknown:${k}`;
}

/**
 * Where one record's fields lie in the batch buffer: the value bytes of the
 * last field of each known id (a later field of the same id wins), every argv
 * element in order, and the names of truncated fields. scanFields() is the one
 * place that checks a record's fields; the decoder below and the line encoder
 * (runtime/audit/encode.ts) both read through it, so they accept and reject
 * the same records with the same messages. Reused from record to record.
 */
export class FieldScan {
  /** value start per field id (index = id), -1 when absent */
  readonly start = new Int32Array(FIELD_NAMES.length);
  /** value end per field id */
  readonly end = new Int32Array(FIELD_NAMES.length);
  /** argv elements: [start, end) pairs; nArgv of them are valid */
  readonly argv: number[] = [];
  nArgv = 0;
  /** names of fields whose value was cut, first-seen order; null for none */
  truncated: string[] | null = null;
}

/**
 * Check the fields of the record at off (len bytes, already checked to lie
 * within buf) and note where they are in s. Throws TrjError "bad-record".
 */
export function scanFields(buf: Buffer, off: number, len: number, s: FieldScan): void {
  s.start.fill(-1);
  s.nArgv = 0;
  s.truncated = null;
  const nFields = buf.readUInt16LE(off + REC.nFields);
  let p = off + REC_SIZE;
  const end = off + len;
  for (let i = 0; i < nFields; i++) {
    if (p + FIELD_HEADER_SIZE > end) throw bad(`field ${i} header runs past the record (len ${len})`);
    const id = buf.readUInt16LE(p);
    const fflags = buf.readUInt16LE(p + 2);
    const flen = buf.readUInt32LE(p + 4);
    const vs = p + FIELD_HEADER_SIZE;
    if (flen > end - vs) throw bad(`field ${i} (id ${id}, ${flen} bytes) runs past the record (len ${len})`);
    const ve = vs + flen;
    if (id === AF.ARGV) {
      s.argv[2 * s.nArgv] = vs;
      s.argv[2 * s.nArgv + 1] = ve;
      s.nArgv++;
    } else if (id > 0 && id < FIELD_NAMES.length) {
      if ((id === AF.ARGC || id === AF.PORT || id === AF.PPID) && flen !== 8) throw bad(`field ${i} (id ${id}) is an int64 but has ${flen} bytes`);
      if (id === AF.IP && flen !== 16) throw bad(`field ${i} (ip) has ${flen} bytes, not 16`);
      if (id === AF.POLICY_HASH && flen !== 32) throw bad(`field ${i} (policy hash) has ${flen} bytes, not 32`);
      s.start[id] = vs;
      s.end[id] = ve;
    } // else: a field this reader does not know, skipped
    if ((fflags & RECF_TRUNCATED) !== 0) {
      const name = FIELD_NAMES[id] ?? `field-${id}`;
      const t = (s.truncated ??= []);
      if (!t.includes(name)) t.push(name);
    }
    p = vs + ((flen + 7) & ~7);
  }
}

/** An int64 field's value (the scan checked it has 8 bytes). */
export function intField(buf: Buffer, s: FieldScan, id: number): number {
  return Number(buf.readBigInt64LE(s.start[id] as number));
}

const scan = new FieldScan();

/** The byte-valued fields, in the order RecordFields lists them. */
const BYTE_FIELDS = [
  [AF.PATH, "path"],
  [AF.PATH2, "path2"],
  [AF.EXE, "exe"],
  [AF.CMDLINE, "cmdline"],
  [AF.HOST, "host"],
  [AF.FAMILY, "family"],
  [AF.CWD, "cwd"],
  [AF.NOTE, "note"],
  [AF.EXE_NAME, "exeName"],
] as const;

/** Decode one record at off (its length already checked to lie within buf). */
function decodeOne(buf: Buffer, off: number, len: number): AuditRecord {
  const kind = buf.readUInt16LE(off + REC.kind);
  const dec = buf[off + REC.decision];
  const ver = buf[off + REC.verdict];
  const reason = buf[off + REC.reason] as number;
  const cause = buf[off + REC.cause] as number;
  const flags = buf[off + REC.flags] as number;
  scanFields(buf, off, len, scan);
  const fields: RecordFields = {};
  const st = scan.start;
  for (const [id, name] of BYTE_FIELDS) {
    const vs = st[id] as number;
    if (vs >= 0) fields[name] = bytesValue(buf, vs, scan.end[id] as number);
  }
  if (scan.nArgv > 0) {
    const argv: ByteValue[] = [];
    for (let i = 0; i < scan.nArgv; i++) argv.push(bytesValue(buf, scan.argv[2 * i] as number, scan.argv[2 * i + 1] as number));
    fields.argv = argv;
  }
  if ((st[AF.ARGC] as number) >= 0) fields.argc = intField(buf, scan, AF.ARGC);
  if ((st[AF.PORT] as number) >= 0) fields.port = intField(buf, scan, AF.PORT);
  if ((st[AF.PPID] as number) >= 0) fields.ppid = intField(buf, scan, AF.PPID);
  if ((st[AF.IP] as number) >= 0) fields.ip = ipText(buf.subarray(st[AF.IP], scan.end[AF.IP]));
  if ((st[AF.POLICY_HASH] as number) >= 0) fields.policyHash = buf.toString("hex", st[AF.POLICY_HASH], scan.end[AF.POLICY_HASH]);
  if (scan.truncated !== null) fields.truncated = scan.truncated;
  return {
    kind: kindName(kind),
    decision: dec === TRJ_ALLOW ? "allow" : "deny",
    verdict: ver === TRJ_ALLOW ? "allow" : ver === TRJ_ASK ? "ask" : "deny",
    reason: REASONS[reason] ?? "eval-error",
    cause: CAUSES[cause] ?? "unknown",
    error: buf[off + REC.error] as number,
    flagged: (flags & RECF.FLAGGED) !== 0,
    observed: (flags & RECF.OBSERVED) !== 0,
    nested: (flags & RECF.NESTED) !== 0,
    vfork: (flags & RECF.VFORK) !== 0,
    rule: buf.readInt32LE(off + REC.rule),
    pid: buf.readInt32LE(off + REC.pid),
    tid: buf.readInt32LE(off + REC.tid),
    proc: buf.readUInt32LE(off + REC.proc),
    seq: buf.readUInt32LE(off + REC.seq),
    timeNs: buf.readBigUInt64LE(off + REC.timeNs),
    evalNs: buf.readUInt32LE(off + REC.evalNs),
    askMs: buf.readUInt32LE(off + REC.askMs),
    fields,
  };
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Length of the published record at off, or throws; 0 when the commit word says "not published". */
export function recordLength(buf: Buffer, off: number, avail: number): number {
  const commit = buf.readUInt32LE(off);
  if (commit === 0 || (commit & REC_PENDING) !== 0) return 0;
  if (commit % 8 !== 0 || commit < REC_SIZE || commit > RING_MAX_RECORD) throw bad(`bad length ${commit} at byte ${off}`);
  if (commit > avail) throw bad(`length ${commit} at byte ${off} runs past the ${avail} bytes left`);
  return commit;
}

/**
 * Decode whole, published records laid end to end (what ring.read() returns).
 * Without onBad, throws TrjError "bad-record" for a record that does not
 * parse. With onBad, a record whose length is sound but whose content does not
 * parse is reported (with its header when that much is readable) and skipped;
 * a bad length still throws, as nothing after it can be found.
 */
export function decodeRecords(bytes: Uint8Array, onBad?: (why: string, header: { pid: number; timeNs: bigint } | undefined) => void): AuditRecord[] {
  const buf = asBuffer(bytes);
  const out: AuditRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < REC_SIZE) throw bad(`${buf.length - off} trailing bytes are not a record`);
    const len = recordLength(buf, off, buf.length - off);
    if (len === 0) throw bad(`unpublished record at byte ${off}`);
    if (onBad === undefined) {
      out.push(decodeOne(buf, off, len));
    } else {
      try {
        out.push(decodeOne(buf, off, len));
      } catch (e) {
        if (!(e instanceof TrjError)) throw e;
        onBad(e.message, { pid: buf.readInt32LE(off + REC.pid), timeNs: buf.readBigUInt64LE(off + REC.timeNs) });
      }
    }
    off += len;
  }
  return out;
}

// ---- a ring file at rest ------------------------------------------------------

export interface RingHeader {
  magic: number;
  version: number;
  mode: "enforce" | "observe";
  ask: "deny" | "broker";
  dataSize: number;
  writerPid: number;
  writerFd: number;
  writerState: WriterStateName;
  policyHash: string;
  agentId: string;
  askAddr: Buffer;
  head: bigint;
  tail: bigint;
  heartbeatNs: bigint;
  waiters: number;
  nextProc: number;
  lostNested: bigint;
}

/** Parse and check a ring's header page (the first HDR.size bytes). */
export function parseRingHeader(page: Uint8Array): RingHeader {
  const b = asBuffer(page);
  if (b.length < HDR.size) throw new TrjError("bad-ring", `ring header: ${b.length} bytes, need ${HDR.size}`);
  const magic = b.readUInt32LE(HDR.magic);
  const version = b.readUInt32LE(HDR.version);
  const dataSize = Number(b.readBigUInt64LE(HDR.dataSize));
  if (magic !== RING_MAGIC) throw new TrjError("bad-ring", `ring header: bad magic 0x${magic.toString(16)}`);
  if (version !== RING_VERSION) throw new TrjError("bad-ring", `ring header: version ${version}, expected ${RING_VERSION}`);
  if (b.readUInt32LE(HDR.headerSize) !== RING_HEADER_SIZE) throw new TrjError("bad-ring", "ring header: bad header_size");
  if (dataSize < RING_MIN_DATA || dataSize > RING_MAX_DATA || (dataSize & (dataSize - 1)) !== 0)
    throw new TrjError("bad-ring", `ring header: bad data_size ${dataSize}`);
  const askLen = Math.min(b.readUInt32LE(HDR.askAddrLen), 108);
  const idLen = Math.min(b.readUInt32LE(HDR.agentIdLen), 256);
  return {
    magic,
    version,
    mode: b.readUInt32LE(HDR.mode) === Mode.OBSERVE ? "observe" : "enforce",
    ask: b.readUInt32LE(HDR.ask) === Ask.BROKER ? "broker" : "deny",
    dataSize,
    writerPid: b.readInt32LE(HDR.writerPid),
    writerFd: b.readInt32LE(HDR.writerFd),
    writerState: WRITER_STATES[b.readUInt32LE(HDR.writerState)] ?? "broken",
    policyHash: b.toString("hex", HDR.policyHash, HDR.policyHash + 32),
    agentId: b.toString("utf8", HDR.agentId, HDR.agentId + idLen),
    askAddr: Buffer.from(b.subarray(HDR.askAddr, HDR.askAddr + askLen)),
    head: b.readBigUInt64LE(HDR.head),
    tail: b.readBigUInt64LE(HDR.tail),
    heartbeatNs: b.readBigUInt64LE(HDR.heartbeatNs),
    waiters: b.readUInt32LE(HDR.waiters),
    nextProc: b.readUInt32LE(HDR.nextProc),
    lostNested: b.readBigUInt64LE(HDR.lostNested),
  };
}

/**
 * The records a ring file holds, from tail up to the first record that is not
 * published (or head). For tests and post-mortems: reads the file, not a
 * mapping, so it sees a snapshot. Throws TrjError "bad-ring" / "bad-record".
 */
export function readRingFile(path: string): AuditRecord[] {
  const file = readFileSync(path);
  const hdr = parseRingHeader(file.subarray(0, RING_HEADER_SIZE));
  if (file.length < RING_HEADER_SIZE + hdr.dataSize) throw new TrjError("bad-ring", `ring file ${path}: shorter than its data area`);
  const data = file.subarray(RING_HEADER_SIZE, RING_HEADER_SIZE + hdr.dataSize);
  const used = hdr.head - hdr.tail;
  if (used < 0n || used > BigInt(hdr.dataSize)) throw new TrjError("bad-ring", `ring file ${path}: head ${hdr.head} and tail ${hdr.tail} are inconsistent`);
  // unroll [tail, head) into one linear buffer
  const n = Number(used);
  const start = Number(hdr.tail & BigInt(hdr.dataSize - 1));
  const lin = Buffer.alloc(n);
  const first = Math.min(n, hdr.dataSize - start);
  data.copy(lin, 0, start, start + first);
  if (first < n) data.copy(lin, first, 0, n - first);
  const out: AuditRecord[] = [];
  let off = 0;
  while (n - off >= REC_SIZE) {
    const len = recordLength(lin, off, n - off);
    if (len === 0) break;
    out.push(decodeOne(lin, off, len));
    off += len;
  }
  return out;
}
