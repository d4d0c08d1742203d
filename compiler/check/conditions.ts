// Checks every comparison: the field exists for each of the rule's kinds, and
// the operator and value fit its type (patterns parse and can match).

import { resolveField } from "../fields.js";
import { predicateOf } from "../lower/predicates.js";
import { comparisons, ruleKinds, rules, type CheckPass } from "./context.js";

export const checkConditions: CheckPass = ({ policy, scope, diags, argsTypes, source }) => {
  for (const r of rules(policy)) {
    const kinds = ruleKinds(r);
    if (kinds.length === 0) continue; // reported by kinds.ts
    for (const c of comparisons(r.cond)) {
      const f = resolveField(kinds, c.field.name, argsTypes);
      if ("code" in f) {
        diags.error(f.code, c.field.loc, f.message, f.hint);
        continue;
      }
      predicateOf(c, f, scope, diags, source);
    }
  }
};
