// IR → Program: the complete layout of a .trjb, as plain data, before it is
// serialized by emit.ts.
//
//   atoms        one per distinct predicate (deduplicated by key)
//   classifiers  one per field (slot), shared by every kind: a merged DFA over
//                all string atoms of that field, or an interval table over all
//                int/ip atoms. Each class = {atoms true, candidate rules}.
//   rule blocks  each rule's condition as JATOM/JA/RET code
//   entries      per kind: CLASSIFY the kind's fields, CANDIDATES per field,
//                RULES for rules with no guard atom, DECIDE default
//
// Candidate rules: every rule gets a set of guard atoms such that the rule can
// only match when one of them is true. A class lists the rules guarded by any
// of its atoms, so evaluation looks only at rules the value could satisfy; the
// interpreter skips candidates whose kind mask lacks the current kind.

import { buildDfa } from "../automata/index.js";
import { KINDS, kindId, type FieldType, type Kind } from "../catalog.js";
import { isRequired } from "../fields.js";
import { DECISION, F_REQUIRED, LIMITS, OP, TYPE, intKey } from "../format.js";
import type { IrCond, IrPolicy, IrRule, Pred } from "../ir.js";
import { layoutDfa, type DfaLayout } from "./layout.js";

export interface Insn { op: number; flags: number; jt: number; jf: number; a: number; b: number }

export interface ClassRec { atomsOff: number; atomsLen: number; rulesOff: number; rulesLen: number }

export type ClassifierRec =
  | { type: "str"; slot: number; dfa: DfaLayout; classBase: number; nClasses: number; absentClass: number }
  | { type: "int" | "ip"; slot: number; bounds: bigint[]; intervalClass: number[]; classBase: number; nClasses: number; absentClass: number };

export interface RuleRec {
  name: string;
  reason: string | null;
  decision: number;
  timeoutMs: number;
  line: number;
  col: number;
  kindMask: number;
  codeOff: number;
  codeLen: number;
}

export interface Program {
  name: string;
  version: string;
  defaultDecision: number;
  fields: { name: string; type: FieldType }[];
  atoms: { slot: number; text: string }[];
  rules: RuleRec[];
  code: Insn[];
  entries: { codeOff: number; codeLen: number }[];
  classifiers: ClassifierRec[];
  classes: ClassRec[];
  lists: number[];
  /** Predicate key → atom id (not emitted; for lints over the program). */
  atomIds: Map<string, number>;
}

export class ProgramTooLarge extends Error {}

export function buildProgram(ir: IrPolicy): Program {
  // ---- fields and atoms ----------------------------------------------------
  const fieldNames = [...ir.fieldTypes.keys()].sort();
  if (fieldNames.length > LIMITS.maxSlots) throw new ProgramTooLarge(`${fieldNames.length} fields (limit ${LIMITS.maxSlots})`);
  const slotOf = new Map(fieldNames.map((n, i) => [n, i]));
  const atoms: { slot: number; pred: Pred }[] = [];
  const atomOf = new Map<string, number>();
  const atomId = (p: Pred): number => {
    let id = atomOf.get(p.key);
    if (id === undefined) {
      id = atoms.length;
      atoms.push({ slot: slotOf.get(p.field)!, pred: p });
      atomOf.set(p.key, id);
    }
    return id;
  };
  const walk = (c: IrCond): void => {
    if (c.t === "pred") atomId(c.pred);
    else if (c.t === "and" || c.t === "or") (walk(c.a), walk(c.b));
    else if (c.t === "not") walk(c.a);
  };
  for (const r of ir.rules) walk(r.cond);
  if (atoms.length > LIMITS.maxAtoms) throw new ProgramTooLarge(`${atoms.length} atoms (limit ${LIMITS.maxAtoms})`);

  // ---- guards: which atoms a rule needs ------------------------------------
  const guards = ir.rules.map((r) => guardsOf(r.cond, atomId, (a) => atoms[a]!.pred.type === "str"));

  // ---- lists pool (deduplicated) -------------------------------------------
  const lists: number[] = [];
  const listAt = new Map<string, number>();
  const addList = (xs: number[]): number => {
    if (xs.length === 0) return 0;
    const k = xs.join(",");
    let off = listAt.get(k);
    if (off === undefined) {
      off = lists.length;
      lists.push(...xs);
      listAt.set(k, off);
    }
    return off;
  };

  // ---- classifiers, one per slot --------------------------------------------
  const byAtom = new Map<number, number[]>(); // atom -> rules it guards
  guards.forEach((g, r) => {
    if (g === "always" || g === "never") return;
    for (const a of g) byAtom.set(a, [...(byAtom.get(a) ?? []), r]);
  });
  const classes: ClassRec[] = [];
  const classifiers: ClassifierRec[] = [];
  const candidateKinds: Set<Kind>[] = fieldNames.map(() => new Set());
  fieldNames.forEach((name, slot) => {
    const slotAtoms = atoms.flatMap((a, id) => (a.slot === slot ? [id] : []));
    // Group "which atoms are true" sets into classes; the empty set is the absent class.
    const classIndex = new Map<string, number>();
    const classOf = (set: number[]): number => {
      const k = set.join(",");
      let c = classIndex.get(k);
      if (c === undefined) {
        c = classIndex.size;
        classIndex.set(k, c);
        const rules = [...new Set(set.flatMap((a) => byAtom.get(a) ?? []))].sort((x, y) => x - y);
        for (const r of rules) for (const k of ir.rules[r]!.kinds) candidateKinds[slot]!.add(k);
        classes.push({ atomsOff: addList(set), atomsLen: set.length, rulesOff: addList(rules), rulesLen: rules.length });
      }
      return c;
    };
    const classBase = classes.length;
    const type = ir.fieldTypes.get(name)!;
    if (type === "str") {
      const dfa = buildDfa(slotAtoms.map((a) => (atoms[a]!.pred as Extract<Pred, { type: "str" }>).pat), { maxStates: LIMITS.maxDfaStates });
      // Classes are numbered in the automaton's state order; the table's states are
      // renumbered after, each row carrying its state's class in its last slot.
      // States with one accept set often share one array: look each array up once.
      const seen = new Map<number[], number>();
      const classOfState = dfa.accept.map((acc) => {
        let c = seen.get(acc);
        if (c === undefined) seen.set(acc, (c = classOf(acc.map((i) => slotAtoms[i]!))));
        return c;
      });
      const absentClass = classOf([]);
      const table = layoutDfa(dfa, classOfState);
      classifiers.push({ type, slot, dfa: table, classBase, nClasses: classes.length - classBase, absentClass });
    } else {
      const { bounds, intervalClass } = intervals(slotAtoms.map((a) => atoms[a]!.pred), type, (set) => classOf(set.map((i) => slotAtoms[i]!)));
      const absentClass = classOf([]);
      classifiers.push({ type, slot, bounds, intervalClass, classBase, nClasses: classes.length - classBase, absentClass });
    }
  });

  // ---- code: entries first, then rule blocks ----------------------------------
  const code: Insn[] = [];
  const entries: Program["entries"] = [];
  const ruleSlots = ir.rules.map((r) => slotsOf(r.cond, slotOf));
  const blockStart = new Map<number, number>();
  const entryCode: Insn[][] = KINDS.map((kind) => {
    const mine = ir.rules.filter((r) => r.kinds.includes(kind));
    const slots = [...new Set(mine.flatMap((r) => ruleSlots[r.index]!))].sort((a, b) => a - b);
    const out: Insn[] = slots.map((s) => ins(OP.CLASSIFY, isRequired(kind, fieldNames[s]!) ? F_REQUIRED : 0, s, s));
    for (const s of slots) if (candidateKinds[s]!.has(kind)) out.push(ins(OP.CANDIDATES, 0, s, 0));
    const always = mine.filter((r) => guards[r.index] === "always").map((r) => r.index);
    if (always.length > 0) out.push(ins(OP.RULES, 0, addList(always), always.length));
    out.push(ins(OP.DECIDE, 0, DECISION[ir.default], 0));
    return out;
  });
  for (const e of entryCode) {
    entries.push({ codeOff: code.length, codeLen: e.length });
    code.push(...e);
  }
  const rules: RuleRec[] = ir.rules.map((r) => {
    const block = compileCondition(r.cond, atomId);
    if (block.length > LIMITS.maxBlockLen) throw new ProgramTooLarge(`rule \`${r.name}\` compiles to ${block.length} instructions (limit ${LIMITS.maxBlockLen})`);
    blockStart.set(r.index, code.length);
    const rec: RuleRec = {
      name: r.name,
      reason: r.reason,
      decision: DECISION[r.decision],
      timeoutMs: r.timeoutMs,
      line: r.loc.start.line,
      col: r.loc.start.col,
      kindMask: r.kinds.reduce((m, k) => m | (1 << kindId(k)), 0),
      codeOff: code.length,
      codeLen: block.length,
    };
    code.push(...block);
    return rec;
  });
  if (code.length > LIMITS.maxInsns) throw new ProgramTooLarge(`${code.length} instructions (limit ${LIMITS.maxInsns})`);

  return {
    name: ir.name,
    version: ir.version,
    defaultDecision: DECISION[ir.default],
    fields: fieldNames.map((name) => ({ name, type: ir.fieldTypes.get(name)! })),
    atoms: atoms.map((a) => ({ slot: a.slot, text: a.pred.text })),
    rules,
    code,
    entries,
    classifiers,
    classes,
    lists,
    atomIds: atomOf,
  };
}

/**
 * For every atom, the atoms that are true whenever it is true: the
 * intersection of all classes it appears in. Exact, because every class of a
 * classifier is reached by some value (DFA states are all reachable, every
 * interval is non-empty) and a class records all atoms true for its values.
 */
export function impliedAtoms(p: Program): Set<number>[] {
  const implied: (Set<number> | undefined)[] = p.atoms.map(() => undefined);
  for (const c of p.classes) {
    const set = p.lists.slice(c.atomsOff, c.atomsOff + c.atomsLen);
    for (const a of set) {
      const prev = implied[a];
      implied[a] = prev === undefined ? new Set(set) : new Set(set.filter((x) => prev.has(x)));
    }
  }
  return implied.map((s, a) => s ?? new Set([a]));
}

function ins(op: number, flags: number, a: number, b: number, jt = 0, jf = 0): Insn {
  return { op, flags, jt, jf, a, b };
}

/**
 * Guard atoms: a set G such that the condition implies "some atom of G is true";
 * "always" when no such set exists (negations), "never" for constant false.
 */
type Guards = number[] | "always" | "never";
function guardsOf(c: IrCond, atomId: (p: Pred) => number, isStr: (a: number) => boolean): Guards {
  switch (c.t) {
    case "true": return "always";
    case "false": return "never";
    case "not": return "always";
    case "pred": return [atomId(c.pred)];
    case "or": {
      const a = guardsOf(c.a, atomId, isStr);
      const b = guardsOf(c.b, atomId, isStr);
      if (a === "always" || b === "always") return "always";
      if (a === "never") return b;
      if (b === "never") return a;
      return [...new Set([...a, ...b])].sort((x, y) => x - y);
    }
    case "and": {
      const a = guardsOf(c.a, atomId, isStr);
      const b = guardsOf(c.b, atomId, isStr);
      if (a === "never" || b === "never") return "never";
      if (a === "always") return b;
      if (b === "always") return a;
      // Prefer string atoms (selective: a path or a name) over numbers (port 443
      // is true for most connects), then the smaller set.
      const score = (g: number[]) => g.filter((x) => !isStr(x)).length * 1000 + g.length;
      return score(b) < score(a) ? b : a;
    }
  }
}

function slotsOf(c: IrCond, slotOf: Map<string, number>): number[] {
  switch (c.t) {
    case "pred": return [slotOf.get(c.pred.field)!];
    case "and": case "or": return [...slotsOf(c.a, slotOf), ...slotsOf(c.b, slotOf)];
    case "not": return slotsOf(c.a, slotOf);
    default: return [];
  }
}

/**
 * A condition as a block of forward jumps, in the classic BPF style: each
 * node is compiled with a "true" and a "false" target that lie ahead of it.
 */
function compileCondition(raw: IrCond, atomId: (p: Pred) => number): Insn[] {
  // Folding constants first means every remaining atom can reach both outcomes,
  // so no instruction is unreachable (the verifier rejects dead code).
  const cond = fold(raw);
  if (cond.t === "true" || cond.t === "false") return [ins(OP.RET, 0, cond.t === "true" ? 1 : 0, 0)];
  type Label = { at: number };
  const out: { insn: Insn; t?: Label; f?: Label }[] = [];
  const T: Label = { at: -1 };
  const F: Label = { at: -1 };
  const gen = (c: IrCond, t: Label, f: Label): void => {
    switch (c.t) {
      case "true": out.push({ insn: ins(OP.JA, 0, 0, 0), t }); return;
      case "false": out.push({ insn: ins(OP.JA, 0, 0, 0), t: f }); return;
      case "pred": out.push({ insn: ins(OP.JATOM, 0, atomId(c.pred), 0), t, f }); return;
      case "not": gen(c.a, f, t); return;
      case "and": {
        const mid: Label = { at: -1 };
        gen(c.a, mid, f);
        mid.at = out.length;
        gen(c.b, t, f);
        return;
      }
      case "or": {
        const mid: Label = { at: -1 };
        gen(c.a, t, mid);
        mid.at = out.length;
        gen(c.b, t, f);
        return;
      }
    }
  };
  gen(cond, T, F);
  T.at = out.length;
  out.push({ insn: ins(OP.RET, 0, 1, 0) });
  F.at = out.length;
  out.push({ insn: ins(OP.RET, 0, 0, 0) });
  return out.map(({ insn, t, f }, pc) => {
    if (t) insn.jt = t.at - pc - 1;
    if (f) insn.jf = f.at - pc - 1;
    return insn;
  });
}

/** Remove `true`/`false` from inside a condition (and/or/not identities). */
export function fold(c: IrCond): IrCond {
  switch (c.t) {
    case "not": {
      const a = fold(c.a);
      return a.t === "true" ? { t: "false" } : a.t === "false" ? { t: "true" } : { t: "not", a };
    }
    case "and": {
      const a = fold(c.a), b = fold(c.b);
      if (a.t === "false" || b.t === "false") return { t: "false" };
      return a.t === "true" ? b : b.t === "true" ? a : { t: "and", a, b };
    }
    case "or": {
      const a = fold(c.a), b = fold(c.b);
      if (a.t === "true" || b.t === "true") return { t: "true" };
      return a.t === "false" ? b : b.t === "false" ? a : { t: "or", a, b };
    }
    default:
      return c;
  }
}

/** Interval table for int/ip atoms: bounds and the class of each interval. */
function intervals(preds: Pred[], type: "int" | "ip", classOf: (atomsTrue: number[]) => number): { bounds: bigint[]; intervalClass: number[] } {
  const key = (v: bigint): bigint => (type === "int" ? intKey(v) : v);
  const max = type === "int" ? (1n << 64n) - 1n : (1n << 128n) - 1n;
  const ranges = preds.map((p) => (p.type === "str" ? [] : p.ranges.map(([lo, hi]) => [key(lo), key(hi)] as const)));
  const points = new Set<bigint>();
  for (const rs of ranges) for (const [lo, hi] of rs) {
    points.add(lo);
    if (hi < max) points.add(hi + 1n);
  }
  const bounds = [...points].filter((p) => p > 0n).sort((a, b) => (a < b ? -1 : 1));
  const starts = [0n, ...bounds];
  const intervalClass = starts.map((s) => classOf(ranges.flatMap((rs, i) => (rs.some(([lo, hi]) => lo <= s && s <= hi) ? [i] : []))));
  return { bounds, intervalClass };
}

export const typeCode = (t: FieldType): number => TYPE[t];
export type { IrRule };
