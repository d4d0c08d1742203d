// Policy unit tests: a YAML file of actions and the decisions they must get.
//
//   vars: { WORKSPACE: /work }          # optional, like --var
//   cases:
//     - name: reads the workspace
//       action: { kind: file.read, path: /work/src/main.c }
//       expect: allow                   # allow | deny | ask | flag
//       rule: workspace                 # optional: the rule that must decide
//
// `flag` means "allowed and flagged". Each case is evaluated by the C core
// through the addon, exactly as the enforcer would.

import { parse as parseYaml } from "yaml";
import type { Decision, Policy } from "./binding.js";
import { actionFromJson } from "./actions.js";
import { UsageError } from "./policy-file.js";

export interface PolicyCase {
  name: string;
  action: Record<string, unknown>;
  expect: "allow" | "deny" | "ask" | "flag";
  rule?: string | null;
}

export interface CaseFile {
  vars: Record<string, string>;
  cases: PolicyCase[];
}

export interface CaseOutcome {
  case: PolicyCase;
  got: Decision;
  pass: boolean;
  why: string;
}

export function parseCaseFile(text: string, file: string): CaseFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const bad = (msg: string) => new UsageError(`${file}: ${msg}`);
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { cases?: unknown }).cases)) throw bad("expected a mapping with a `cases:` list");
  const d = doc as { vars?: Record<string, unknown>; cases: unknown[] };
  const cases = d.cases.map((c, i): PolicyCase => {
    const where = `case ${i + 1}`;
    if (typeof c !== "object" || c === null) throw bad(`${where}: expected a mapping`);
    const cc = c as Record<string, unknown>;
    if (!["allow", "deny", "ask", "flag"].includes(cc.expect as string)) throw bad(`${where}: \`expect\` must be allow, deny, ask or flag`);
    if (typeof cc.action !== "object" || cc.action === null) throw bad(`${where}: \`action\` must be a mapping with a \`kind\``);
    return { name: typeof cc.name === "string" ? cc.name : where, action: cc.action as Record<string, unknown>, expect: cc.expect as PolicyCase["expect"], rule: cc.rule as string | null | undefined };
  });
  const vars = Object.fromEntries(Object.entries(d.vars ?? {}).map(([k, v]) => [k, String(v)]));
  return { vars, cases };
}

export function runCases(policy: Policy, cases: PolicyCase[]): CaseOutcome[] {
  return cases.map((c) => {
    const got = policy.evaluate(actionFromJson(c.action));
    const decided = got.decision === "allow" && got.flagged ? "flag" : got.decision;
    const wantRule = c.rule;
    let why = "";
    if (decided !== c.expect) why = `expected ${c.expect}, got ${decided}`;
    else if (wantRule !== undefined && wantRule !== got.rule) why = `expected rule ${wantRule ?? "(default)"}, got ${got.rule ?? "(default)"}`;
    if (why) why += ` (${got.rule ? `rule ${got.rule}` : got.reason})`;
    return { case: c, got, pass: why === "", why };
  });
}
