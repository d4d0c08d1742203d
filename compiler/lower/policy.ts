// AST → IR: rules get concrete kinds and conditions over resolved predicates.
// Runs only after the checker found no errors, so every lookup here succeeds.

import type { Cond, RuleDecl } from "../ast.js";
import type { CheckContext } from "../check/context.js";
import { ruleKinds, rules } from "../check/context.js";
import type { FieldType } from "../catalog.js";
import type { IrCond, IrPolicy, IrRule } from "../ir.js";

export const DEFAULT_ASK_TIMEOUT_MS = 30_000;

export function lowerPolicy(ctx: CheckContext): IrPolicy {
  const fieldTypes = new Map<string, FieldType>();
  const out: IrRule[] = rules(ctx.policy).map((r, index) => lowerRule(ctx, r, index, fieldTypes));
  return {
    name: ctx.policy.name.value,
    version: ctx.policy.version.value,
    default: ctx.policy.default!.decision,
    rules: out,
    fieldTypes,
  };
}

function lowerRule(ctx: CheckContext, r: RuleDecl, index: number, fieldTypes: Map<string, FieldType>): IrRule {
  const kinds = ruleKinds(r);
  const cond = (c: Cond): IrCond => {
    switch (c.type) {
      case "and": return { t: "and", a: cond(c.left), b: cond(c.right) };
      case "or": return { t: "or", a: cond(c.left), b: cond(c.right) };
      case "not": return { t: "not", a: cond(c.expr) };
      case "bool": return { t: c.value ? "true" : "false" };
      case "cmp": {
        const p = ctx.predicates.get(c);
        if (!p) throw new Error(`internal: unchecked comparison at line ${c.loc.start.line}`);
        fieldTypes.set(p.field.name, p.field.type);
        return p.ir;
      }
    }
  };
  return {
    index,
    name: r.name.name,
    decision: r.decision.value,
    kinds,
    // Not folded here: a field a rule mentions is read (and must be present if
    // required) even where `or true` makes its value irrelevant.
    cond: r.cond === null ? { t: "true" } : cond(r.cond),
    reason: r.reason?.value ?? null,
    timeoutMs: r.decision.value === "ask" ? (r.timeout?.ms ?? DEFAULT_ASK_TIMEOUT_MS) : 0,
    loc: r.name.loc,
  };
}
