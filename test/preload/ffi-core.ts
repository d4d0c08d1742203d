// The C core as exported by the shipped libtrajeckt.so, called through ffi-rs:
// the very artifact that is injected, not a second build of native/core.
//
//   buildPreload()              make -s -C native/preload (serialized with flock; ./support.ts)
//   coreLayout()                sizeof/offsetof of trj_policy, trj_value, trj_result, from cc
//   const so = SharedCore.open(LIB)
//   so.verify(bytes)            {ok: true} | {ok: false, code, message}, codes as the addon makes them
//   const p = so.load(bytes)    a SharedPolicy (throws SharedCoreError with the verifier's code)
//   p.evaluate(action)          {decision, rule, reason, flagged, timeoutMs?, error?, index}, like the addon
//   p.evalRaw(kind, values)     trj_eval on hand-made trj_value records
//   p.close()                   frees the native memory
//
// All memory the core sees (table, trj_policy storage, trj_value arrays, byte
// values, messages) is malloc'd native memory, written through a Buffer that
// aliases it (createExternalBuffer); pointers are passed as 64-bit integers.
// Values are read from an action by the reference evaluator's readField(), so
// the marshalling spec is test/oracle's, and the core is the .so's.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { createExternalBuffer, DataType, define, open, type JsExternal } from "ffi-rs";

import { HDR, SEC, SIZE, TYPE_NAME } from "../../compiler/format.js";
import { readField, type Action } from "../oracle/reference-eval.js";
import { LIB, PRELOAD_OUT, ROOT, sh } from "./support.js";

export { buildPreload, LIB, PRELOAD_OUT, ROOT } from "./support.js";

const MAX_VALUE_LEN = 1 << 20;
/** Bytes reserved for one trj_policy; coreLayout() must report no more. */
export const POLICY_STORAGE = 1024;
/** sizeof(trj_value) and sizeof(trj_result) this file writes and reads (x86_64/aarch64 LP64). */
export const VALUE_SIZE = 24;
export const RESULT_SIZE = 24;
const V_ABSENT = 0;
const V_BYTES = 1;
const V_INT = 2;
const V_IP = 3;

export interface CoreLayout {
  policySize: number;
  policyAlign: number;
  valueSize: number;
  valueUnionOffset: number;
  resultSize: number;
}

/** The struct layout of native/core/trj.h as the C compiler sees it. */
export function coreLayout(): CoreLayout {
  const dir = join(PRELOAD_OUT, "test/ffi");
  mkdirSync(dir, { recursive: true });
  const src = join(dir, "layout.c");
  const bin = join(dir, "layout");
  const text = `#include <stdio.h>
#include <stddef.h>
#include "trj.h"
int main(void) {
  printf("%zu %zu %zu %zu %zu\\n", sizeof(trj_policy), _Alignof(trj_policy), sizeof(trj_value),
         offsetof(trj_value, u), sizeof(trj_result));
  return 0;
}
`;
  spawnSync("sh", ["-c", `cat > '${src}'`], { input: text });
  sh("cc", ["-std=c11", "-I", join(ROOT, "native/core"), src, "-o", bin]);
  const [policySize, policyAlign, valueSize, valueUnionOffset, resultSize] = sh(bin, []).trim().split(" ").map(Number);
  return { policySize: policySize!, policyAlign: policyAlign!, valueSize: valueSize!, valueUnionOffset: valueUnionOffset!, resultSize: resultSize! };
}

/** A verifier rejection or a load failure, with the code the addon would give. */
export class SharedCoreError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** The addon's CodeOf(): the kebab-case word before the first ':' of the core's message. */
export function codeOf(message: string, fallback = "invalid-table"): string {
  const colon = message.indexOf(":");
  const head = colon < 0 ? "" : message.slice(0, colon);
  return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(head) ? head : fallback;
}

/** One native block: its address and a Buffer over it. */
interface Block {
  ext: JsExternal;
  addr: bigint;
  buf: Buffer;
}

type Fns = ReturnType<typeof defineFns>;

function defineFns(lib: string) {
  const P = DataType.BigInt; // every pointer and size_t goes as a 64-bit integer
  return define({
    malloc: { library: "libc", retType: DataType.External, paramsType: [DataType.U64] },
    free: { library: "libc", retType: DataType.Void, paramsType: [DataType.External] },
    memcpy: { library: "libc", retType: P, paramsType: [DataType.External, DataType.External, DataType.U64] },
    trj_verify: { library: lib, retType: DataType.I32, paramsType: [P, P, P, P] },
    trj_load: { library: lib, retType: DataType.I32, paramsType: [P, P, P, P, P] },
    trj_eval: { library: lib, retType: DataType.U32, paramsType: [P, DataType.U32, P, DataType.U32, P] },
    trj_slot_by_name: { library: lib, retType: DataType.I32, paramsType: [P, P, P] },
    trj_kind_by_name: { library: lib, retType: DataType.I32, paramsType: [DataType.String, P] },
    trj_kind_name: { library: lib, retType: DataType.String, paramsType: [DataType.U32] }, // never NULL
    trj_decision_name: { library: lib, retType: DataType.String, paramsType: [DataType.U32] }, // never NULL
    trj_eval_error_name: { library: lib, retType: DataType.String, paramsType: [DataType.U32] }, // never NULL
    trj_policy_name: { library: lib, retType: P, paramsType: [P, P] },
    trj_rule_name: { library: lib, retType: P, paramsType: [P, DataType.U32, P] },
    trj_rule_reason: { library: lib, retType: P, paramsType: [P, DataType.U32, P] },
    trj_policy_hash: { library: lib, retType: P, paramsType: [P] },
  });
}

/** A trj_value to hand to evalRaw(). */
export type RawValue =
  | { type: "absent" }
  | { type: "bytes"; bytes: Uint8Array }
  | { type: "too-long" }
  | { type: "int"; value: bigint }
  | { type: "ip"; bytes: Uint8Array }; // 16 bytes

export interface RawResult {
  decision: number;
  reason: number; // 0 rule, 1 default, 2 eval-error
  rule: number;
  flagged: number;
  timeoutMs: number;
  error: number;
}

export interface SharedDecision {
  decision: string;
  rule: string | null;
  reason: string | null;
  flagged: boolean;
  timeoutMs?: number;
  error?: string;
  /** The deciding rule's index, -1 if none. */
  index: number;
}

let opened = 0;

export class SharedCore {
  /** Scratch: [0, 4096) message, [4096, 4096+RESULT) result, [8192, ...) length out-param, [12288, ...) names. */
  private readonly scratch: Block;

  private constructor(readonly fns: Fns) {
    this.scratch = this.alloc(16384);
  }

  static open(path = LIB): SharedCore {
    const key = `trj${opened++}`;
    open({ library: "libc", path: "" });
    open({ library: key, path });
    return new SharedCore(defineFns(key));
  }

  alloc(size: number): Block {
    const ext = this.fns.malloc([size]);
    const addr = BigInt(this.fns.memcpy([ext, ext, 0]) as unknown as bigint);
    if (addr === 0n) throw new Error(`malloc(${size}) failed`);
    const buf = createExternalBuffer(ext, size);
    buf.fill(0);
    return { ext, addr, buf };
  }

  release(b: Block): void {
    this.fns.free([b.ext]);
  }

  private msg(): string {
    const b = this.scratch.buf;
    const nul = b.indexOf(0);
    return b.subarray(0, nul < 0 ? 4096 : Math.min(nul, 4096)).toString("utf8");
  }

  verify(bytes: Uint8Array): { ok: true } | { ok: false; code: string; message: string } {
    const t = this.alloc(Math.max(bytes.length, 1));
    try {
      t.buf.set(bytes);
      this.scratch.buf.fill(0, 0, 4096);
      const rc = this.fns.trj_verify([t.addr, BigInt(bytes.length), this.scratch.addr, 4096n]);
      if (rc === 0) return { ok: true };
      const m = this.msg();
      return { ok: false, code: codeOf(m), message: m !== "" ? m : "invalid-table: rejected" };
    } finally {
      this.release(t);
    }
  }

  load(bytes: Uint8Array): SharedPolicy {
    const table = this.alloc(Math.max(bytes.length, 1));
    table.buf.set(bytes);
    const storage = this.alloc(POLICY_STORAGE);
    this.scratch.buf.fill(0, 0, 4096);
    const rc = this.fns.trj_load([storage.addr, table.addr, BigInt(bytes.length), this.scratch.addr, 4096n]);
    if (rc !== 0) {
      this.release(table);
      this.release(storage);
      const m = this.msg();
      throw new SharedCoreError(codeOf(m), m);
    }
    return new SharedPolicy(this, table, storage, bytes.length);
  }

  kindByName(name: string): number {
    return this.fns.trj_kind_by_name([name, BigInt(Buffer.byteLength(name))]);
  }
  kindName(kind: number): string {
    return this.fns.trj_kind_name([kind]);
  }
  decisionName(d: number): string {
    return this.fns.trj_decision_name([d]);
  }
  evalErrorName(e: number): string {
    return this.fns.trj_eval_error_name([e]);
  }

  /** For SharedPolicy: scratch addresses. */
  get scratchBlock(): Block {
    return this.scratch;
  }
}

export interface TableField {
  name: string;
  type: "str" | "int" | "ip";
}

/** The FIELDS section of a .trjb table, index = slot (read with compiler/format.ts offsets). */
export function tableFields(bytes: Uint8Array): TableField[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sec = (id: number): [number, number] => [
    dv.getUint32(HDR.sections + id * 8, true),
    dv.getUint32(HDR.sections + id * 8 + 4, true),
  ];
  const [strOff] = sec(SEC.STRINGS);
  const [off, size] = sec(SEC.FIELDS);
  const out: TableField[] = [];
  for (let p = off; p < off + size; p += SIZE.field) {
    const s = dv.getUint32(p, true);
    const n = dv.getUint32(p + 4, true);
    const type = TYPE_NAME[dv.getUint32(p + 8, true)]!;
    out.push({ name: Buffer.from(bytes.subarray(strOff + s, strOff + s + n)).toString("latin1"), type });
  }
  return out;
}

export class SharedPolicy {
  readonly fields: TableField[];
  private readonly slots: number[];
  private values: Block;
  private arena: Block;
  private closed = false;

  constructor(
    private readonly so: SharedCore,
    private readonly table: Block,
    private readonly storage: Block,
    private readonly size: number,
  ) {
    this.fields = tableFields(table.buf.subarray(0, size));
    this.slots = this.fields.map((f) => this.slot(f.name));
    this.values = so.alloc(Math.max(1, this.fields.length) * VALUE_SIZE);
    this.arena = so.alloc(MAX_VALUE_LEN + 1 + 65536);
  }

  /** trj_slot_by_name of the .so, -1 if the policy does not use the field. */
  slot(name: string): number {
    const b = Buffer.from(name, "latin1");
    const sc = this.so.scratchBlock;
    sc.buf.set(b, 12288);
    return this.so.fns.trj_slot_by_name([this.storage.addr, sc.addr + 12288n, BigInt(b.length)]);
  }

  /** Slots as the .so reports them, for each field of the table (should be 0..n-1). */
  get reportedSlots(): readonly number[] {
    return this.slots;
  }

  /** A string the core returns as (pointer into the table, length). */
  private tableString(ptr: bigint, lenAt: number): string | null {
    if (ptr === 0n) return null;
    const len = this.so.scratchBlock.buf.readUInt32LE(lenAt);
    const off = Number(ptr - this.table.addr);
    if (off < 0 || off + len > this.size) throw new Error(`core returned a string outside the table (offset ${off})`);
    return this.table.buf.subarray(off, off + len).toString("utf8");
  }

  ruleName(rule: number): string | null {
    const sc = this.so.scratchBlock;
    return this.tableString(this.so.fns.trj_rule_name([this.storage.addr, rule, sc.addr + 8192n]) as unknown as bigint, 8192);
  }
  ruleReason(rule: number): string | null {
    const sc = this.so.scratchBlock;
    return this.tableString(this.so.fns.trj_rule_reason([this.storage.addr, rule, sc.addr + 8192n]) as unknown as bigint, 8192);
  }
  name(): string | null {
    const sc = this.so.scratchBlock;
    return this.tableString(this.so.fns.trj_policy_name([this.storage.addr, sc.addr + 8192n]) as unknown as bigint, 8192);
  }
  hash(): string {
    const p = this.so.fns.trj_policy_hash([this.storage.addr]) as unknown as bigint;
    const off = Number(p - this.table.addr);
    if (off < 0 || off + 32 > this.size) throw new Error("policy hash outside the table");
    return this.table.buf.subarray(off, off + 32).toString("hex");
  }

  /** trj_eval on raw values (index = slot); nValues defaults to values.length. */
  evalRaw(kind: number, values: RawValue[], nValues = values.length): RawResult {
    if (values.length * VALUE_SIZE > this.values.buf.length) {
      this.so.release(this.values);
      this.values = this.so.alloc(values.length * VALUE_SIZE);
    }
    const vb = this.values.buf;
    vb.fill(0, 0, values.length * VALUE_SIZE);
    let used = 0;
    values.forEach((v, i) => {
      const o = i * VALUE_SIZE;
      switch (v.type) {
        case "absent":
          vb.writeUInt32LE(V_ABSENT, o);
          break;
        case "bytes":
          if (used + v.bytes.length > this.arena.buf.length) throw new Error("value arena full");
          this.arena.buf.set(v.bytes, used);
          vb.writeUInt32LE(V_BYTES, o);
          vb.writeUInt32LE(v.bytes.length, o + 4);
          vb.writeBigUInt64LE(this.arena.addr + BigInt(used), o + 8);
          used += v.bytes.length;
          break;
        case "too-long":
          // The core must refuse it by its length; it points at MAX+1 readable (zero) bytes anyway.
          vb.writeUInt32LE(V_BYTES, o);
          vb.writeUInt32LE(MAX_VALUE_LEN + 1, o + 4);
          vb.writeBigUInt64LE(this.arena.addr, o + 8);
          break;
        case "int":
          vb.writeUInt32LE(V_INT, o);
          vb.writeBigInt64LE(v.value, o + 8);
          break;
        case "ip":
          vb.writeUInt32LE(V_IP, o);
          vb.set(v.bytes.subarray(0, 16), o + 8);
          break;
      }
    });
    const sc = this.so.scratchBlock;
    sc.buf.fill(0xa5, 4096, 4096 + RESULT_SIZE); // garbage: trj_eval must fill every member
    this.so.fns.trj_eval([this.storage.addr, kind, this.values.addr, nValues, sc.addr + 4096n]);
    const r = sc.buf;
    return {
      decision: r.readUInt32LE(4096),
      reason: r.readUInt32LE(4100),
      rule: r.readInt32LE(4104),
      flagged: r.readUInt32LE(4108),
      timeoutMs: r.readUInt32LE(4112),
      error: r.readUInt32LE(4116),
    };
  }

  /** The action's values by slot, read as the addon documents it (readField of test/oracle). */
  marshal(action: Action): RawValue[] {
    return this.fields.map((f) => {
      const g = readField(action, f.name, f.type);
      switch (g.t) {
        case "absent":
          return { type: "absent" } as const;
        case "bad":
          if (g.error === "value-too-long") return { type: "too-long" } as const;
          // A value of another type: what the addon passes for a mismatch.
          return f.type === "str" ? ({ type: "int", value: 0n } as const) : ({ type: "bytes", bytes: new Uint8Array(0) } as const);
        case "str":
          return { type: "bytes", bytes: Buffer.from(g.b, "latin1") } as const;
        case "int":
          return { type: "int", value: g.v } as const;
        case "ip": {
          const b = Buffer.alloc(16);
          b.writeBigUInt64BE(g.v >> 64n, 0);
          b.writeBigUInt64BE(g.v & 0xffffffffffffffffn, 8);
          return { type: "ip", bytes: b } as const;
        }
      }
    });
  }

  /** Decide an action the way runtime/binding.ts's evaluate() reports it. */
  evaluate(action: Action): SharedDecision {
    const kind = this.so.kindByName(action.kind);
    if (kind < 0) throw new Error(`unknown kind ${action.kind}`);
    const r = this.evalRaw(kind, this.marshal(action));
    const decision = this.so.decisionName(r.decision);
    const out: SharedDecision = { decision, rule: null, reason: null, flagged: r.flagged === 1, index: r.rule };
    if (r.reason === 0 && r.rule >= 0) {
      out.rule = this.ruleName(r.rule);
      const why = this.ruleReason(r.rule);
      out.reason = why === "" ? null : why;
    } else {
      out.reason = r.reason === 1 ? "default" : "eval-error";
    }
    if (r.decision === 3) out.timeoutMs = r.timeoutMs;
    if (r.reason === 2) out.error = this.so.evalErrorName(r.error);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of [this.values, this.arena, this.storage, this.table]) this.so.release(b);
  }
}
