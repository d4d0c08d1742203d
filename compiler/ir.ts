// The typed IR the lowering stage works on: rules with concrete kinds and
// conditions over predicates whose meaning is fully resolved (byte patterns,
// integer ranges, address ranges). The TypeScript reference evaluator in
// test/ reads the AST, not this, so the two stay independent.

import type { Decision, DefaultDecision, Loc } from "./ast.js";
import type { Pat } from "./automata/index.js";
import type { FieldType, Kind } from "./catalog.js";

/** Inclusive ranges [lo, hi] over int64 (int) or 128-bit addresses (ip), sorted, disjoint. */
export type Ranges = Array<[bigint, bigint]>;

export type Pred =
  | { type: "str"; field: string; pat: Pat; key: string; text: string; loc: Loc }
  | { type: "int" | "ip"; field: string; ranges: Ranges; key: string; text: string; loc: Loc };

export type IrCond =
  | { t: "true" }
  | { t: "false" }
  | { t: "and"; a: IrCond; b: IrCond }
  | { t: "or"; a: IrCond; b: IrCond }
  | { t: "not"; a: IrCond }
  | { t: "pred"; pred: Pred };

export interface IrRule {
  index: number;
  name: string;
  decision: Decision;
  kinds: Kind[];
  cond: IrCond;
  reason: string | null;
  timeoutMs: number;
  loc: Loc;
}

export interface IrPolicy {
  name: string;
  version: string;
  default: DefaultDecision;
  rules: IrRule[];
  /** Field name → type, for every field some rule uses. */
  fieldTypes: Map<string, FieldType>;
}
