// Warns about allow/ask/flag rules that can never take effect because a deny
// rule covering the same kinds matches everything they match (deny wins).
// Sound but incomplete: it proves implication only for conjunctions of
// predicates, using language inclusion for patterns and ranges for numbers.

import { isSubset } from "../automata/index.js";
import type { Diagnostics } from "../diagnostics.js";
import type { IrCond, IrPolicy, Pred } from "../ir.js";

export function checkShadowed(ir: IrPolicy, diags: Diagnostics): void {
  const denies = ir.rules.filter((r) => r.decision === "deny");
  for (const r of ir.rules) {
    if (r.decision === "deny" || r.cond.t === "false") continue;
    const by = denies.find((d) => r.kinds.every((k) => d.kinds.includes(k)) && implies(conjuncts(r.cond), d.cond));
    if (by) {
      diags.warning("shadowed-rule", r.loc, `rule \`${r.name}\` can never take effect: deny rule \`${by.name}\` (line ${by.loc.start.line}) matches everything it matches`,
        "deny wins over every other decision; narrow the deny rule or remove this one");
    }
  }
}

function conjuncts(c: IrCond): IrCond[] {
  return c.t === "and" ? [...conjuncts(c.a), ...conjuncts(c.b)] : [c];
}

/** Does the conjunction `have` imply `want`? */
function implies(have: IrCond[], want: IrCond): boolean {
  switch (want.t) {
    case "true": return true;
    case "and": return implies(have, want.a) && implies(have, want.b);
    case "or": return implies(have, want.a) || implies(have, want.b);
    case "pred": return have.some((h) => h.t === "pred" && predImplies(h.pred, want.pred));
    default: return have.some((h) => h.t === "false");
  }
}

function predImplies(a: Pred, b: Pred): boolean {
  if (a.field !== b.field) return false;
  if (a.key === b.key) return true;
  if (a.type === "str" && b.type === "str") return isSubset(a.pat, b.pat);
  if (a.type !== "str" && b.type !== "str") return a.ranges.every(([lo, hi]) => b.ranges.some(([l, h]) => l <= lo && hi <= h));
  return false;
}
