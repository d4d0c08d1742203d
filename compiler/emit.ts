// Program → .trjb bytes. Pure serialization: every decision about layout was
// made in lower/program.ts. Sections are written in SEC order, 8-byte aligned;
// the body hash is computed last, over everything after the header.

import { createHash } from "node:crypto";
import { endianness } from "node:os";
import { BS_KIND, HDR, SEC, SIZE, TRJ_FORMAT_VERSION, TRJ_MAGIC, TYPE } from "./format.js";
import type { BsEntry } from "./lower/backstop.js";
import type { Program } from "./lower/program.js";
import { bytesToString, stringToBytes } from "./parse.js";

const LITTLE_ENDIAN = endianness() === "LE";

class Bytes {
  buf = new Uint8Array(1 << 12);
  view = new DataView(this.buf.buffer);
  len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u8(v: number): void { this.grow(1); this.view.setUint8(this.len, v); this.len += 1; }
  u16(v: number): void { this.grow(2); this.view.setUint16(this.len, v, true); this.len += 2; }
  u32(v: number): void { this.grow(4); this.view.setUint32(this.len, v >>> 0, true); this.len += 4; }
  /** Many u32 at once: one copy on little-endian hosts, per element otherwise. */
  u32s(vs: Uint32Array): void {
    if (!LITTLE_ENDIAN) return vs.forEach((v) => this.u32(v));
    this.bytes(new Uint8Array(vs.buffer, vs.byteOffset, vs.byteLength));
  }
  u64(v: bigint): void { this.grow(8); this.view.setBigUint64(this.len, v, true); this.len += 8; }
  bytes(b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
  align(n: number): void { while (this.len % n !== 0) this.u8(0); }
  /** The bytes written so far, without copying. */
  written(): Uint8Array { return this.buf.subarray(0, this.len); }
}

/** String table with deduplication; entries are (offset, length) pairs. */
class Strings {
  readonly out = new Bytes();
  private readonly at = new Map<string, number>();
  ref(s: string | null): [number, number] {
    if (s === null || s === "") return [0, 0];
    const bytes = stringToBytes(s);
    let off = this.at.get(s);
    if (off === undefined) {
      off = this.out.len;
      this.out.bytes(bytes);
      this.at.set(s, off);
    }
    return [off, bytes.length];
  }
}

/** META alone, no rights: what a table without a computed backstop carries. */
const NO_BACKSTOP: BsEntry[] = [{ kind: BS_KIND.META, access: 0, path: null, port: 0 }];

export function emit(p: Program, sourceSha256: Uint8Array, backstop: BsEntry[] = NO_BACKSTOP): Uint8Array {
  const str = new Strings();
  const sections: Bytes[] = Array.from({ length: SEC.COUNT }, () => new Bytes());
  const w = (id: number) => sections[id]!;
  const strRef = (b: Bytes, s: string | null) => {
    const [off, len] = str.ref(s);
    b.u32(off);
    b.u32(len);
  };

  for (const f of p.fields) {
    strRef(w(SEC.FIELDS), f.name);
    w(SEC.FIELDS).u32(TYPE[f.type]);
  }
  for (const e of p.entries) {
    w(SEC.ENTRIES).u32(e.codeOff);
    w(SEC.ENTRIES).u32(e.codeLen);
  }
  for (const i of p.code) {
    const c = w(SEC.CODE);
    c.u8(i.op); c.u8(i.flags); c.u16(i.jt); c.u16(i.jf); c.u16(0); c.u32(i.a); c.u32(i.b);
  }
  for (const r of p.rules) {
    const b = w(SEC.RULES);
    strRef(b, r.name);
    strRef(b, r.reason);
    b.u32(r.decision); b.u32(r.timeoutMs); b.u32(r.line); b.u32(r.col);
    b.u32(r.codeOff); b.u32(r.codeLen); b.u32(r.kindMask); b.u32(0);
  }
  for (const a of p.atoms) {
    w(SEC.ATOMS).u32(a.slot);
    strRef(w(SEC.ATOMS), a.text);
  }
  const data = w(SEC.DATA);
  for (const c of p.classifiers) {
    data.align(8);
    const dataOff = data.len;
    let nStates: number;
    let nColumns = 0;
    let start = 0;
    let nSink = 0;
    if (c.type === "str") {
      const d = c.dfa; // laid out by lower/layout.ts: sinks first, row offsets, class slot ending each row
      data.bytes(d.byteClass);
      data.u32s(d.next);
      [nStates, nColumns, start, nSink] = [d.nStates, d.nColumns, d.start, d.nSink];
    } else {
      const mask = (1n << 64n) - 1n;
      for (const k of c.bounds) { data.u64(k & mask); data.u64(k >> 64n); }
      for (const cls of c.intervalClass) data.u32(cls);
      nStates = c.bounds.length;
    }
    const b = w(SEC.CLASSIFIERS);
    b.u32(TYPE[c.type]); b.u32(c.slot); b.u32(nStates); b.u32(nColumns); b.u32(start);
    b.u32(dataOff); b.u32(c.classBase); b.u32(c.nClasses); b.u32(c.absentClass); b.u32(nSink);
  }
  for (const c of p.classes) {
    const b = w(SEC.CLASSES);
    b.u32(c.atomsOff); b.u32(c.atomsLen); b.u32(c.rulesOff); b.u32(c.rulesLen);
  }
  for (const x of p.lists) w(SEC.LISTS).u32(x);
  for (const e of backstop) { // computed and sorted by lower/backstop.ts
    const b = w(SEC.BACKSTOP);
    b.u32(e.kind); b.u32(e.access);
    strRef(b, e.path === null ? null : bytesToString(e.path));
    b.u32(e.port); b.u32(0);
  }
  // Header strings go in last so the table above is complete before we copy it.
  const nameRef = str.ref(p.name);
  const versionRef = str.ref(p.version);
  sections[SEC.STRINGS] = str.out;

  // ---- assemble: lay out, allocate once, copy each section in -------------
  const align8 = (n: number) => (n + 7) & ~7;
  const table: [number, number][] = [];
  let size: number = SIZE.header;
  for (const s of sections) {
    size = align8(size);
    table.push([size, s.len]);
    size += s.len;
  }
  const file = new Uint8Array(align8(size)); // zero-filled: padding is zero
  sections.forEach((s, i) => file.set(s.written(), table[i]![0]));
  const v = new DataView(file.buffer);
  v.setUint32(HDR.magic, TRJ_MAGIC, true);
  v.setUint16(HDR.version, TRJ_FORMAT_VERSION, true);
  v.setUint16(HDR.headerSize, SIZE.header, true);
  v.setUint32(HDR.fileSize, file.length, true);
  v.setUint32(HDR.flags, 0, true);
  v.setUint32(HDR.name, nameRef[0], true);
  v.setUint32(HDR.name + 4, nameRef[1], true);
  v.setUint32(HDR.policyVersion, versionRef[0], true);
  v.setUint32(HDR.policyVersion + 4, versionRef[1], true);
  v.setUint32(HDR.defaultDecision, p.defaultDecision, true);
  file.set(sourceSha256, HDR.sourceSha);
  table.forEach(([off, size], i) => {
    v.setUint32(HDR.sections + i * 8, off, true);
    v.setUint32(HDR.sections + i * 8 + 4, size, true);
  });
  file.set(createHash("sha256").update(file.subarray(SIZE.header)).digest(), HDR.bodySha);
  return file;
}
