// A tiny .trjb writer for the addon tests, independent of the compiler: every
// rule is one equality atom `field == literal`, so a test knows exactly which
// value must reach the core for a rule to fire. The table obeys every check in
// native/core/verify*.c (a test asserts verify() accepts what this writes).
//
// Layout: header | STRINGS FIELDS ENTRIES CODE RULES ATOMS CLASSIFIERS CLASSES
// LISTS DATA BACKSTOP, each 8-aligned. CODE = rule blocks (in rule order), then one
// entry program per kind that uses fields, then one shared `DECIDE default`.

import { createHash } from "node:crypto";
import { isIP } from "node:net";

import { KINDS, type Kind } from "../../compiler/catalog.js";

export type FieldType = "str" | "int" | "ip";
export type RuleDecision = "allow" | "deny" | "ask" | "flag";

export interface TableField {
  name: string;
  type: FieldType;
  /** Kinds whose entry classifies this field even without a rule on it. */
  kinds?: Kind[];
  /** Classified with TRJ_F_REQUIRED: absent = eval error missing-field. */
  required?: boolean;
}

export interface TableRule {
  name: string;
  decision: RuleDecision;
  kind: Kind;
  field: string;
  /** str: string (UTF-8) or bytes; int: bigint/number; ip: address text. */
  equals: string | Uint8Array | bigint | number;
  reason?: string;
  timeoutMs?: number;
  line?: number;
}

export interface TableSpec {
  name?: string;
  version?: string;
  default?: "allow" | "deny" | "ask";
  fields: TableField[];
  rules: TableRule[];
}

const DECISION = { allow: 1, deny: 2, ask: 3, flag: 4 } as const;
const TYPE = { str: 1, int: 2, ip: 3 } as const;
const OP = { CLASSIFY: 1, CANDIDATES: 2, DECIDE: 4, JATOM: 16, RET: 18 } as const;
const FORMAT_VERSION = 5;
const HEADER = 192;

class Bytes {
  private buf = Buffer.alloc(1024);
  len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  u8(v: number): void { this.grow(1); this.buf.writeUInt8(v, this.len); this.len += 1; }
  u16(v: number): void { this.grow(2); this.buf.writeUInt16LE(v, this.len); this.len += 2; }
  u32(v: number): void { this.grow(4); this.buf.writeUInt32LE(v >>> 0, this.len); this.len += 4; }
  u64(v: bigint): void { this.grow(8); this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.len); this.len += 8; }
  raw(b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
  pad8(): void { while (this.len % 8 !== 0) this.u8(0); }
  bytes(): Buffer { return this.buf.subarray(0, this.len); }
}

function literalKey(type: FieldType, v: TableRule["equals"]): string {
  if (type === "str") return Buffer.from(typeof v === "string" ? Buffer.from(v, "utf8") : (v as Uint8Array)).toString("hex");
  if (type === "int") return BigInt(v as bigint | number).toString();
  return ipBytes(String(v)).toString("hex");
}

/** 16-byte key of an address: IPv4 as ::ffff:a.b.c.d. */
export function ipBytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  if (isIP(text) === 4) {
    out[10] = 0xff;
    out[11] = 0xff;
    text.split(".").forEach((p, i) => (out[12 + i] = Number(p)));
    return out;
  }
  if (isIP(text) !== 6) throw new Error(`not an address: ${text}`);
  // Expand "::" and an embedded IPv4 tail.
  let t = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const p = v4[1]!.split(".").map(Number);
    t = t.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = t.includes("::") ? t.split("::") : [t, undefined];
  const h = head ? head.split(":") : [];
  const tl = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill("0"), ...tl];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function intervalKey(type: FieldType, hexOrDec: string): bigint {
  // One 128-bit number: hi << 64 | lo.
  if (type === "int") return BigInt.asUintN(64, BigInt(hexOrDec)) ^ (1n << 63n);
  return BigInt("0x" + hexOrDec);
}

export function buildTable(spec: TableSpec): Buffer {
  const strings = new Bytes();
  const str = (s: string | Uint8Array): [number, number] => {
    const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
    const off = strings.len;
    strings.raw(b);
    return [off, b.length];
  };
  const name = str(spec.name ?? "test");
  const version = str(spec.version ?? "1.0.0");
  const def = DECISION[spec.default ?? "deny"];

  const slotOf = new Map(spec.fields.map((f, i) => [f.name, i]));
  const fieldsSec = new Bytes();
  for (const f of spec.fields) {
    const [o, l] = str(f.name);
    fieldsSec.u32(o);
    fieldsSec.u32(l);
    fieldsSec.u32(TYPE[f.type]);
  }

  // Atoms: one per rule, on the rule's field.
  const atoms = new Bytes();
  spec.rules.forEach((r) => {
    const slot = slotOf.get(r.field);
    if (slot === undefined) throw new Error(`rule ${r.name}: no field ${r.field}`);
    const [o, l] = str(`${r.field} == ${String(r.equals)}`);
    atoms.u32(slot);
    atoms.u32(o);
    atoms.u32(l);
  });

  // Per field with rules or kinds: one classifier. Class 0 = no literal; then one class per distinct literal.
  const lists: number[] = [];
  const classes = new Bytes();
  const classifiers = new Bytes();
  const data = new Bytes();
  const classifierOf = new Map<number, number>();
  let classBase = 0;
  spec.fields.forEach((f, slot) => {
    const rules = spec.rules.map((r, i) => ({ r, i })).filter(({ r }) => r.field === f.name);
    if (rules.length === 0 && !(f.kinds && f.kinds.length > 0)) return;
    const literals = new Map<string, number[]>(); // key -> rule ids (= atom ids)
    for (const { r, i } of rules) {
      const k = literalKey(f.type, r.equals);
      literals.set(k, [...(literals.get(k) ?? []), i]);
    }
    const keys = [...literals.keys()];
    const nClasses = 1 + keys.length;
    classes.u32(0); classes.u32(0); classes.u32(0); classes.u32(0); // class 0: nothing
    for (const k of keys) {
      const ids = literals.get(k)!;
      const off = lists.length;
      lists.push(...ids);
      classes.u32(off); classes.u32(ids.length); // atoms
      classes.u32(off); classes.u32(ids.length); // candidate rules
    }
    data.pad8();
    const dataOff = data.len;
    let nStates: number, nColumns: number;
    let start = 0, nSink = 0;
    if (f.type === "str") {
      // A trie over the literals; one column per byte the literals use plus
      // column 0 for every other byte. State 0 is the dead sink (sinks come
      // first: n_sink = 1), trie node i is state i + 1. Rows have a stride of
      // nColumns + 1: the transitions, then the state's class. Transitions and
      // the start are row offsets: state × stride.
      const lits = keys.map((k) => Buffer.from(k, "hex"));
      const used = [...new Set(lits.flatMap((b) => [...b]))].sort((a, b) => a - b);
      const column = new Uint8Array(256); // 0 = other
      used.forEach((b, i) => (column[b] = i + 1));
      const trie: { next: Map<number, number>; cls: number }[] = [{ next: new Map(), cls: 0 }];
      lits.forEach((lit, ci) => {
        let s = 0;
        for (const b of lit) {
          let n = trie[s]!.next.get(b);
          if (n === undefined) {
            n = trie.length;
            trie.push({ next: new Map(), cls: 0 });
            trie[s]!.next.set(b, n);
          }
          s = n;
        }
        trie[s]!.cls = ci + 1;
      });
      nStates = trie.length + 1;
      nColumns = used.length + 1;
      const stride = nColumns + 1;
      const row = (node: number | undefined) => (node === undefined ? 0 : (node + 1) * stride); // dead = state 0
      data.raw(column);
      for (let c = 0; c < nColumns; c++) data.u32(0);
      data.u32(0); // dead: class 0
      for (const node of trie) {
        data.u32(0);
        for (const b of used) data.u32(row(node.next.get(b)));
        data.u32(node.cls);
      }
      start = row(0);
      nSink = 1;
    } else {
      // Intervals: [k, k+1) -> the literal's class, everything else class 0.
      const pts = keys.map((k, ci) => ({ key: intervalKey(f.type, k), cls: ci + 1 })).sort((a, b) => (a.key < b.key ? -1 : 1));
      const bounds: { key: bigint; cls: number }[] = [];
      pts.forEach((p, i) => {
        bounds.push({ key: p.key, cls: p.cls });
        const next = pts[i + 1];
        const top = f.type === "int" ? 1n << 64n : 1n << 128n; // past the largest key: no bound
        if (p.key + 1n < top && (!next || next.key !== p.key + 1n)) bounds.push({ key: p.key + 1n, cls: 0 });
      });
      nStates = bounds.length;
      nColumns = 0;
      for (const b of bounds) {
        data.u64(b.key & ((1n << 64n) - 1n)); // lo
        data.u64(b.key >> 64n); // hi
      }
      data.u32(0);
      for (const b of bounds) data.u32(b.cls);
    }
    classifierOf.set(slot, classifiers.len / 40);
    for (const v of [TYPE[f.type], slot, nStates, nColumns, start, dataOff, classBase, nClasses, 0, nSink]) classifiers.u32(v);
    classBase += nClasses;
  });

  // CODE: rule blocks, then entries.
  const code = new Bytes();
  let nInsns = 0;
  const insn = (op: number, flags: number, jt: number, jf: number, a: number, b: number): void => {
    code.u8(op); code.u8(flags); code.u16(jt); code.u16(jf); code.u16(0); code.u32(a); code.u32(b);
    nInsns++;
  };
  const rulesSec = new Bytes();
  spec.rules.forEach((r, i) => {
    const off = nInsns;
    insn(OP.JATOM, 0, 0, 1, i, 0);
    insn(OP.RET, 0, 0, 0, 1, 0);
    insn(OP.RET, 0, 0, 0, 0, 0);
    const [no, nl] = str(r.name);
    const [ro, rl] = r.reason !== undefined ? str(r.reason) : [0, 0];
    for (const v of [no, nl, ro, rl, DECISION[r.decision], r.decision === "ask" ? (r.timeoutMs ?? 30000) : 0, r.line ?? i + 1, 1, off, 3, 1 << KINDS.indexOf(r.kind), 0])
      rulesSec.u32(v);
  });
  const entries: [number, number][] = [];
  let plain: [number, number] | null = null;
  for (const kind of KINDS) {
    const slots = spec.fields
      .map((f, slot) => ({ f, slot }))
      .filter(({ f }) => (f.kinds ?? []).includes(kind) || spec.rules.some((r) => r.kind === kind && r.field === f.name));
    if (slots.length === 0) {
      if (!plain) {
        plain = [nInsns, 1];
        insn(OP.DECIDE, 0, 0, 0, def, 0);
      }
      entries.push(plain);
      continue;
    }
    const off = nInsns;
    for (const { f, slot } of slots) insn(OP.CLASSIFY, f.required ? 1 : 0, 0, 0, slot, classifierOf.get(slot)!);
    for (const { slot } of slots) insn(OP.CANDIDATES, 0, 0, 0, slot, 0);
    insn(OP.DECIDE, 0, 0, 0, def, 0);
    entries.push([off, nInsns - off]);
  }
  const entriesSec = new Bytes();
  for (const [o, l] of entries) { entriesSec.u32(o); entriesSec.u32(l); }
  const listsSec = new Bytes();
  for (const v of lists) listsSec.u32(v);

  // Assemble.
  // BACKSTOP: the META entry alone (no rights), the smallest valid section.
  const backstop = new Bytes();
  for (let i = 0; i < 6; i++) backstop.u32(0);
  const sections = [strings, fieldsSec, entriesSec, code, rulesSec, atoms, classifiers, classes, listsSec, data, backstop];
  const body = new Bytes();
  const table: [number, number][] = [];
  let pos = HEADER;
  const lead = 192 - HEADER; // first section at 192 (the header is 192 bytes itself)
  for (let i = 0; i < lead; i++) body.u8(0);
  pos += lead;
  for (const s of sections) {
    table.push([pos, s.len]);
    body.raw(s.bytes());
    pos += s.len;
    while (pos % 8 !== 0) { body.u8(0); pos++; }
  }
  const bodyBytes = body.bytes();
  const head = new Bytes();
  head.u32(0x424a5254); head.u16(FORMAT_VERSION); head.u16(HEADER); head.u32(HEADER + bodyBytes.length); head.u32(0);
  head.u32(name[0]); head.u32(name[1]); head.u32(version[0]); head.u32(version[1]);
  head.u32(def); head.u32(0);
  head.raw(createHash("sha256").update("test source").digest());
  head.raw(createHash("sha256").update(bodyBytes).digest());
  for (const [o, l] of table) { head.u32(o); head.u32(l); }
  if (head.len !== HEADER) throw new Error(`header is ${head.len} bytes`);
  return Buffer.concat([head.bytes(), bodyBytes]);
}
