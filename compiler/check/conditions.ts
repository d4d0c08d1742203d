// Checks every comparison: the field exists for each of the rule's kinds, and
// the operator and value fit its type (patterns parse and can match). The
// predicate each comparison becomes is kept in ctx.predicates, so lowering
// uses exactly what was checked and nothing is built twice.

import { resolveField } from "../fields.js";
import { predicateOf } from "../lower/predicates.js";
import { comparisons, ruleKinds, rules, type CheckPass } from "./context.js";

export const checkConditions: CheckPass = ({ policy, scope, diags, argsTypes, source, predicates }) => {
  for (const r of rules(policy)) {
    const kinds = ruleKinds(r);
    if (kinds.length === 0) continue; // reported by kinds.ts
    for (const c of comparisons(r.cond)) {
      const f = resolveField(kinds, c.field.name, argsTypes);
      if ("code" in f) {
        diags.error(f.code, c.field.loc, f.message, f.hint);
        continue;
      }
      const ir = predicateOf(c, f, scope, diags, source);
      if (ir !== null) predicates.set(c, { field: f, ir });
    }
  }
};
