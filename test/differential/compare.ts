// What the differential tests compare: the decision, the deciding rule, the
// flag, and why (a rule, the default, or an evaluation error).

import type { OracleResult } from "../oracle/reference-eval.js";

export type Why = "rule" | "default" | "eval-error";

export interface Outcome {
  decision: string;
  rule: string | null;
  flagged: boolean;
  why: Why;
}

const why = (reason: string | null, rule: string | null): Why =>
  reason === "eval-error" ? "eval-error" : rule === null ? "default" : "rule";

/** The comparable part of a Decision from the addon. */
export function core(d: { decision: string; rule: string | null; reason: string | null; flagged: boolean }): Outcome {
  return { decision: d.decision, rule: d.rule, flagged: d.flagged, why: why(d.reason, d.rule) };
}

/** The comparable part of a reference result. */
export function oracle(d: OracleResult): Outcome {
  return { decision: d.decision, rule: d.rule, flagged: d.flagged, why: why(d.reason, d.rule) };
}
