// Helpers for the audit tests: records built in TypeScript with trj_ring.h's
// layout, a producer that writes them into a ring *file* (pwrite on the file
// is what the addon's MAP_SHARED mapping sees), the C helpers built with cc,
// and a policy to write logs against.

import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { loadPolicy, type Policy } from "../../runtime/binding.js";
import { FIELD_HEADER_SIZE, HDR, REC, REC_SIZE, RING_HEADER_SIZE } from "../../runtime/audit/records.js";
import { mustCompile } from "../support/compile.js";

export const ROOT = join(import.meta.dirname, "../..");

export type FieldValue = string | Uint8Array | number | bigint;

export interface RecSpec {
  kind: number;
  pid?: number;
  tid?: number;
  proc?: number;
  seq?: number;
  timeNs?: bigint;
  decision?: number;
  verdict?: number;
  reason?: number;
  error?: number;
  cause?: number;
  flags?: number;
  rule?: number;
  evalNs?: number;
  askMs?: number;
  /** [field id, value, field flags] */
  fields?: [number, FieldValue, number?][];
}

function fieldBytes(v: FieldValue): Buffer {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (typeof v === "number" || typeof v === "bigint") {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    return b;
  }
  return Buffer.from(v);
}

/** One record, published (commit = its length). */
export function encodeRecord(s: RecSpec): Buffer {
  const parts = (s.fields ?? []).map(([id, v, flags]) => {
    const val = fieldBytes(v);
    const b = Buffer.alloc(FIELD_HEADER_SIZE + ((val.length + 7) & ~7));
    b.writeUInt16LE(id, 0);
    b.writeUInt16LE(flags ?? 0, 2);
    b.writeUInt32LE(val.length, 4);
    val.copy(b, FIELD_HEADER_SIZE);
    return b;
  });
  const len = REC_SIZE + parts.reduce((n, p) => n + p.length, 0);
  const h = Buffer.alloc(REC_SIZE);
  h.writeUInt32LE(len, REC.commit);
  h.writeInt32LE(s.pid ?? 4242, REC.pid);
  h.writeBigUInt64LE(s.timeNs ?? 1_700_000_000_123_456_789n, REC.timeNs);
  h.writeUInt32LE(s.proc ?? 1, REC.proc);
  h.writeUInt32LE(s.seq ?? 0, REC.seq);
  h.writeInt32LE(s.tid ?? s.pid ?? 4242, REC.tid);
  h.writeUInt16LE(s.kind, REC.kind);
  h[REC.decision] = s.decision ?? 1;
  h[REC.verdict] = s.verdict ?? s.decision ?? 1;
  h[REC.reason] = s.reason ?? 1;
  h[REC.error] = s.error ?? 0;
  h[REC.cause] = s.cause ?? 0;
  h[REC.flags] = s.flags ?? 0;
  h.writeInt32LE(s.rule ?? -1, REC.rule);
  h.writeUInt32LE(s.evalNs ?? 100, REC.evalNs);
  h.writeUInt16LE(parts.length, REC.nFields);
  h.writeUInt32LE(s.askMs ?? 0, REC.askMs);
  return Buffer.concat([h, ...parts]);
}

/**
 * A single-threaded producer writing into a ring file by pwrite: record
 * first, then head. Good for tests; the real producer is ring_producer.c.
 */
export class FileProducer {
  private readonly fd: number;
  constructor(path: string) {
    this.fd = openSync(path, "r+");
  }
  private read64(off: number): bigint {
    const b = Buffer.alloc(8);
    readSync(this.fd, b, 0, 8, off);
    return b.readBigUInt64LE(0);
  }
  private write64(off: number, v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    writeSync(this.fd, b, 0, 8, off);
  }
  /** Append raw record bytes (published or not) and move head past them. */
  put(rec: Buffer): void {
    const ds = Number(this.read64(HDR.dataSize));
    const head = this.read64(HDR.head);
    const tail = this.read64(HDR.tail);
    if (Number(head - tail) + rec.length > ds) throw new Error("FileProducer: ring full");
    const off = Number(head % BigInt(ds));
    const first = Math.min(rec.length, ds - off);
    writeSync(this.fd, rec, 0, first, RING_HEADER_SIZE + off);
    if (first < rec.length) writeSync(this.fd, rec, first, rec.length - first, RING_HEADER_SIZE);
    this.write64(HDR.head, head + BigInt(rec.length));
  }
  publish(...specs: RecSpec[]): void {
    for (const s of specs) this.put(encodeRecord(s));
  }
  close(): void {
    closeSync(this.fd);
  }
}

export function tempDir(): string {
  const base = join(tmpdir(), "trajeckt-audit-tests");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, "t-"));
}

let fillBin: string | undefined;
/** native/ring/test/ring_fill.c linked with the real producer, built once per run. */
export function ringFill(): string {
  if (fillBin) return fillBin;
  const out = join(tempDir(), "ring_fill");
  const r = spawnSync(
    "cc",
    ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", `-I${ROOT}/native/ring`, "-pthread", `${ROOT}/native/ring/test/ring_fill.c`, `${ROOT}/native/ring/ring_producer.c`, "-o", out],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`cannot build ring_fill:\n${r.stderr}`);
  fillBin = out;
  return out;
}

export const POLICY_SOURCE = `policy "audit-test" version "1.2.0"
default allow

rule ssh_out:     ask net.connect if port == 22 timeout 2s reason "ssh needs a person"
rule no_curl:     deny exec if exe matches "**/curl" reason "no curl"
rule no_tmp:      deny file.read if path matches "/tmp/**" reason "tmp is off limits"
rule no_shadow:   deny file.read if path == "/etc/shadow"
rule git_flag:    flag exec if exe matches "**/git"
`;

let policy: Policy | undefined;
export function testPolicy(): Policy {
  policy ??= loadPolicy(mustCompile(POLICY_SOURCE));
  return policy;
}

/** Rule index by name in the test policy. */
export function ruleIndex(name: string): number {
  const i = testPolicy()
    .info()
    .rules.findIndex((r) => r.name === name);
  if (i < 0) throw new Error(`no rule ${name}`);
  return i;
}
