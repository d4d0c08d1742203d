// What every check pass reads: the AST, resolved names, the diagnostics sink,
// and the inferred types of `args.*` fields (filled by infer-args.ts).

import type { CmpCond, Cond, Policy, RuleDecl } from "../ast.js";
import type { FieldType, Kind } from "../catalog.js";
import { expandKind } from "../catalog.js";
import type { Diagnostics } from "../diagnostics.js";
import type { Scope } from "../resolve.js";
import type { IrCond } from "../ir.js";
import type { FieldInfo } from "../lower/predicates.js";

export interface CheckContext {
  policy: Policy;
  source: string;
  scope: Scope;
  diags: Diagnostics;
  argsTypes: Map<string, FieldType>;
  /** What each comparison means, recorded by conditions.ts for the lowering stage. */
  predicates: Map<CmpCond, { field: FieldInfo; ir: IrCond }>;
}

export type CheckPass = (ctx: CheckContext) => void;

export function rules(p: Policy): RuleDecl[] {
  return p.decls.filter((d): d is RuleDecl => d.type === "rule");
}

/** Every comparison in a condition, left to right. */
export function comparisons(c: Cond | null): CmpCond[] {
  if (c === null) return [];
  switch (c.type) {
    case "and":
    case "or":
      return [...comparisons(c.left), ...comparisons(c.right)];
    case "not":
      return comparisons(c.expr);
    case "cmp":
      return [c];
    case "bool":
      return [];
  }
}

/** The concrete kinds a rule applies to (unknown patterns contribute none). */
export function ruleKinds(r: RuleDecl): Kind[] {
  const out = new Set<Kind>();
  for (const k of r.kinds) for (const kk of expandKind(k.text)) out.add(kk);
  return [...out];
}
