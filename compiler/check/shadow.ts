// Warns about allow/ask/flag rules that can never take effect because a deny
// rule covering the same kinds matches everything they match (deny wins).
// Sound but incomplete: it proves "rule r implies deny d" when d's condition
// is true or a combination of atoms each implied by one of r's conjuncts.
// Atom implication comes from the compiled classifiers (impliedAtoms), so
// the lint costs set lookups, not automaton constructions, per rule pair.

import type { Diagnostics } from "../diagnostics.js";
import type { IrCond, IrPolicy, IrRule } from "../ir.js";
import { impliedAtoms, type Program } from "../lower/program.js";

export function checkShadowed(ir: IrPolicy, program: Program, diags: Diagnostics): void {
  const implied = impliedAtoms(program);
  const id = (c: IrCond): number | undefined => (c.t === "pred" ? program.atomIds.get(c.pred.key) : undefined);
  const conjuncts = (c: IrCond): IrCond[] => (c.t === "and" ? [...conjuncts(c.a), ...conjuncts(c.b)] : [c]);

  // Index deny rules: unconditional ones, single-atom ones by atom, the rest.
  const denies = ir.rules.filter((r) => r.decision === "deny");
  const byAtom = new Map<number, IrRule[]>();
  const general: IrRule[] = [];
  for (const d of denies) {
    const a = id(d.cond);
    if (a === undefined) general.push(d);
    else byAtom.set(a, [...(byAtom.get(a) ?? []), d]);
  }

  for (const r of ir.rules) {
    if (r.decision === "deny" || r.cond.t === "false") continue;
    const have = conjuncts(r.cond).flatMap((c) => [id(c)].filter((x): x is number => x !== undefined));
    const covers = (d: IrRule) => r.kinds.every((k) => d.kinds.includes(k));
    const holds = (want: IrCond): boolean => {
      switch (want.t) {
        case "true": return true;
        case "and": return holds(want.a) && holds(want.b);
        case "or": return holds(want.a) || holds(want.b);
        case "pred": {
          const b = id(want);
          return b !== undefined && have.some((a) => implied[a]!.has(b));
        }
        default: return false;
      }
    };
    let by: IrRule | undefined;
    for (const a of have) {
      for (const b of implied[a]!) by ??= byAtom.get(b)?.find(covers);
    }
    by ??= general.find((d) => covers(d) && holds(d.cond));
    if (by && by.index !== r.index) {
      diags.warning("shadowed-rule", r.loc, `rule \`${r.name}\` can never take effect: deny rule \`${by.name}\` (line ${by.loc.start.line}) matches everything it matches`,
        "deny wins over every other decision; narrow the deny rule or remove this one");
    }
  }
}
