// .trjb → a readable listing: header, fields, atoms, rules with source lines,
// classifiers and classes, entry programs per kind and rule blocks. The golden
// files of every shipped policy are this listing, so it must be deterministic.
// It reads the table independently of the emitter (offsets from format.ts).

import { KINDS } from "./catalog.js";
import { BS_KIND, BSE, BSM, CLS, DECISION_NAME, DFA, F_REQUIRED, HDR, OP, OP_NAME, SEC, SIZE, TYPE_NAME } from "./format.js";
import { metaText, rightsText } from "./lower/backstop.js";

export interface DisasmOptions {
  /** Also print DFA transitions and interval bounds (long). */
  tables?: boolean;
}

export function disassemble(file: Uint8Array, opts: DisasmOptions = {}): string {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u32 = (o: number) => v.getUint32(o, true);
  const sec = (id: number) => ({ off: u32(HDR.sections + id * 8), size: u32(HDR.sections + id * 8 + 4) });
  const strings = sec(SEC.STRINGS);
  const str = (o: number) => {
    const off = u32(o), len = u32(o + 4);
    return Buffer.from(file.subarray(strings.off + off, strings.off + off + len)).toString("latin1");
  };
  const hex = (o: number) => Buffer.from(file.subarray(o, o + 32)).toString("hex");
  const records = (id: number, size: number) => {
    const s = sec(id);
    return Array.from({ length: s.size / size }, (_, i) => s.off + i * size);
  };
  const lists = sec(SEC.LISTS);
  const list = (off: number, len: number) => Array.from({ length: len }, (_, i) => u32(lists.off + (off + i) * 4));

  const fields = records(SEC.FIELDS, SIZE.field).map((o) => ({ name: str(o), type: TYPE_NAME[u32(o + 8)] ?? `?${u32(o + 8)}` }));
  const atoms = records(SEC.ATOMS, SIZE.atom).map((o) => ({ slot: u32(o), text: str(o + 4) }));
  const rules = records(SEC.RULES, SIZE.rule).map((o) => ({
    name: str(o), reason: str(o + 8), decision: DECISION_NAME[u32(o + 16)] ?? "?", timeout: u32(o + 20),
    line: u32(o + 24), col: u32(o + 28), codeOff: u32(o + 32), codeLen: u32(o + 36), kindMask: u32(o + 40),
  }));
  const code = records(SEC.CODE, SIZE.insn).map((o) => ({
    op: v.getUint8(o), flags: v.getUint8(o + 1), jt: v.getUint16(o + 2, true), jf: v.getUint16(o + 4, true), a: u32(o + 8), b: u32(o + 12),
  }));
  const classes = records(SEC.CLASSES, SIZE.class).map((o) => ({ atoms: list(u32(o), u32(o + 4)), rules: list(u32(o + 8), u32(o + 12)) }));
  const data = sec(SEC.DATA).off;

  const out: string[] = [];
  const p = (s = "") => out.push(s);
  p(`; policy ${JSON.stringify(str(HDR.name))} version ${JSON.stringify(str(HDR.policyVersion))}`);
  p(`; format ${v.getUint16(HDR.version, true)}, ${u32(HDR.fileSize)} bytes, default ${DECISION_NAME[u32(HDR.defaultDecision)]}`);
  p(`; body sha256   ${hex(HDR.bodySha)}`);
  p(`; source sha256 ${hex(HDR.sourceSha)}`);
  p();
  p(`fields (${fields.length}):`);
  fields.forEach((f, i) => p(`  slot ${i}  ${f.name}  ${f.type}`));
  p();
  p(`atoms (${atoms.length}):`);
  atoms.forEach((a, i) => p(`  a${i}  ${a.text}`));
  p();
  p(`rules (${rules.length}):`);
  rules.forEach((r, i) => {
    const kinds = KINDS.filter((_, k) => r.kindMask & (1 << k));
    const extra = [r.reason ? `reason ${JSON.stringify(r.reason)}` : "", r.decision === "ask" ? `timeout ${r.timeout}ms` : ""].filter(Boolean).join("  ");
    p(`  r${i}  ${r.name}  ${r.decision}  line ${r.line}:${r.col}  ${kinds.length === KINDS.length ? "*" : kinds.join(",")}${extra ? "  " + extra : ""}`);
  });
  p();
  const bs = readBackstop(file);
  p(`backstop (${bs.length}):`);
  for (const e of bs) {
    if (e.kind === BS_KIND.META) p(`  meta  ${metaText(e.access)}`);
    else if (e.kind === BS_KIND.PATH) p(`  path  ${JSON.stringify(e.path)}  ${rightsText(e.access)}`);
    else if (e.kind === BS_KIND.TCP_CONNECT) p(`  tcp_connect  ${e.port}`);
    else if (e.kind === BS_KIND.TCP_BIND) p(`  tcp_bind  ${e.port}`);
    else p(`  ?kind${e.kind}  access 0x${e.access.toString(16)}  port ${e.port}`);
  }
  p();
  p("classifiers:");
  records(SEC.CLASSIFIERS, SIZE.classifier).forEach((o, i) => {
    const type = TYPE_NAME[u32(o + CLS.type)], slot = u32(o + CLS.slot), n = u32(o + CLS.nStates), cols = u32(o + CLS.nColumns);
    const start = u32(o + CLS.start), off = data + u32(o + CLS.dataOff), base = u32(o + CLS.classBase);
    const nClasses = u32(o + CLS.nClasses), absent = u32(o + CLS.absentClass), nSink = u32(o + CLS.nSink);
    const name = fields[slot]?.name ?? `?${slot}`;
    // DFA transitions and the start are row offsets (state × stride, stride = columns + 1); print state numbers.
    const stride = cols + DFA.rowExtra;
    const state = (row: number) => (cols > 0 && row % stride === 0 ? String(row / stride) : `?row${row}`);
    if (type === "str") p(`  c${i}  ${name}  dfa  ${n} states  n_sink ${nSink}  ${cols} columns  start ${state(start)}  ${nClasses} classes  absent k${absent}`);
    else p(`  c${i}  ${name}  intervals  ${n} bounds  ${nClasses} classes  absent k${absent}${nSink ? `  n_sink ?${nSink}` : ""}`);
    for (let k = 0; k < nClasses; k++) {
      const c = classes[base + k]!;
      p(`    k${k}  atoms [${c.atoms.map((a) => "a" + a).join(" ")}]  candidates [${c.rules.map((r) => "r" + r).join(" ")}]`);
    }
    if (!opts.tables) return;
    if (type === "str") {
      const next = off + DFA.byteClassSize;
      for (let s = 0; s < n; s++) {
        const row = Array.from({ length: cols }, (_, c) => state(u32(next + (s * stride + c) * 4)));
        p(`    s${s}  k${u32(next + (s * stride + cols) * 4)}${s < nSink ? " sink" : ""}  -> ${row.join(" ")}`);
      }
      const cls: string[] = [];
      for (let b = 0; b < 256; b++) cls.push(String(v.getUint8(off + b)));
      p(`    byte columns: ${cls.join(" ")}`);
    } else {
      const bounds = Array.from({ length: n }, (_, j) => (v.getBigUint64(off + j * 16 + 8, true) << 64n) | v.getBigUint64(off + j * 16, true));
      const cls = Array.from({ length: n + 1 }, (_, j) => u32(off + n * 16 + j * 4));
      p(`    bounds ${bounds.map((b) => "0x" + b.toString(16)).join(" ")}`);
      p(`    classes ${cls.map((c) => "k" + c).join(" ")}`);
    }
  });
  p();
  const insn = (pc: number): string => {
    const i = code[pc]!;
    const op = (OP_NAME[i.op] ?? `op${i.op}`).padEnd(10);
    switch (i.op) {
      case OP.CLASSIFY: return `${op} ${fields[i.a]?.name ?? "?"} (slot ${i.a}) with c${i.b}${i.flags & F_REQUIRED ? "  required" : ""}`;
      case OP.CANDIDATES: return `${op} ${fields[i.a]?.name ?? "?"}`;
      case OP.RULES: return `${op} ${list(i.a, i.b).map((r) => `r${r} ${rules[r]?.name ?? "?"}`).join(", ")}`;
      case OP.DECIDE: return `${op} default ${DECISION_NAME[i.a]}`;
      case OP.JATOM: return `${op} a${i.a} (${atoms[i.a]?.text ?? "?"})  true -> ${pc + 1 + i.jt}  false -> ${pc + 1 + i.jf}`;
      case OP.JA: return `${op} -> ${pc + 1 + i.jt}`;
      case OP.RET: return `${op} ${i.a ? "match" : "no match"}`;
      default: return `${op} a=${i.a} b=${i.b}`;
    }
  };
  records(SEC.ENTRIES, SIZE.entry).forEach((o, k) => {
    const off = u32(o), len = u32(o + 4);
    p(`entry ${KINDS[k] ?? "?" + k}:`);
    for (let pc = off; pc < off + len; pc++) p(`  ${String(pc).padStart(5)}: ${insn(pc)}`);
  });
  p();
  rules.forEach((r, i) => {
    p(`block r${i} ${r.name} (line ${r.line}):`);
    for (let pc = r.codeOff; pc < r.codeOff + r.codeLen; pc++) p(`  ${String(pc).padStart(5)}: ${insn(pc)}`);
  });
  return out.join("\n") + "\n";
}

export interface BackstopEntry {
  kind: number; // BS_KIND
  access: number;
  path: string; // latin1 view of the path bytes ("" if none)
  port: number;
}

/** The BACKSTOP section of a table, entry by entry (META first in a valid table). */
export function readBackstop(file: Uint8Array): BackstopEntry[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u32 = (o: number) => v.getUint32(o, true);
  const strOff = u32(HDR.sections + SEC.STRINGS * 8);
  const off = u32(HDR.sections + SEC.BACKSTOP * 8), size = u32(HDR.sections + SEC.BACKSTOP * 8 + 4);
  return Array.from({ length: Math.floor(size / SIZE.bsEntry) }, (_, i) => {
    const o = off + i * SIZE.bsEntry;
    const po = u32(o + BSE.path), pl = u32(o + BSE.path + 4);
    return {
      kind: u32(o + BSE.kind), access: u32(o + BSE.access),
      path: Buffer.from(file.subarray(strOff + po, strOff + po + pl)).toString("latin1"), port: u32(o + BSE.port),
    };
  });
}

/** The backstop for people: rights per path, ports, families (`trajeckt check --backstop`). */
export function describeBackstop(file: Uint8Array): string {
  const bs = readBackstop(file);
  const meta = bs.find((e) => e.kind === BS_KIND.META)?.access ?? 0;
  const paths = bs.filter((e) => e.kind === BS_KIND.PATH);
  const ports = (kind: number, any: number) =>
    meta & any ? "any port" : bs.filter((e) => e.kind === kind).map((e) => String(e.port)).join(", ") || "none";
  const fam = [["inet", BSM.FAMILY_INET], ["inet6", BSM.FAMILY_INET6], ["unix", BSM.FAMILY_UNIX], ["netlink", BSM.FAMILY_NETLINK], ["other", BSM.FAMILY_OTHER]]
    .filter(([, b]) => meta & (b as number)).map(([n]) => n).join(", ") || "none";
  const width = Math.max(4, ...paths.map((e) => JSON.stringify(e.path).length));
  const out = ["kernel backstop (the most the kernel lets the agent do; the policy decides inside it):"];
  const def = DECISION_NAME[new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(HDR.defaultDecision, true)];
  if (def !== "deny") out.push(`  default ${def}: the backstop bounds nothing; only the library's decisions apply`);
  out.push("  files:");
  if (paths.length === 0) out.push("    nothing");
  for (const e of paths) out.push(`    ${JSON.stringify(e.path).padEnd(width)}  ${rightsText(e.access).split(",").join(", ")}`);
  out.push(`  tcp connect: ${ports(BS_KIND.TCP_CONNECT, BSM.TCP_CONNECT_ANY)}`);
  out.push(`  tcp bind: ${ports(BS_KIND.TCP_BIND, BSM.TCP_BIND_ANY)}`);
  out.push(`  socket families: ${fam}`);
  out.push(`  exec of a file descriptor: ${meta & BSM.EXEC_FD ? "allowed" : "refused"}`);
  out.push(`  metadata changes (chmod, chown, utime, xattr): ${meta & BSM.FILE_META ? "allowed" : "refused"}`);
  return out.join("\n") + "\n";
}
