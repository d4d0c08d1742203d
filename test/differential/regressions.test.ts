// Minimal reproductions of disagreements the differential tests found between
// the compiled pipeline (compiler → bytecode → C core) and the spec (the
// reference evaluator in test/oracle). Each test names the expected behaviour;
// one that fails is an open bug in the compiler or the core, not in the test.
// Fixed ones stay as guards.

import { describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { loadPolicy, type Action } from "../../runtime/binding.js";
import { ReferencePolicy } from "../oracle/reference-eval.js";
import { core, oracle, type Outcome } from "./compare.js";

const HEADER = 'policy "r" version "1.0.0"\n';

/** Compile (must succeed), load (must succeed), and decide `action` with both evaluators. */
function both(body: string, action: Action, def = "deny"): { core: Outcome; oracle: Outcome } {
  const source = `${HEADER}default ${def}\n${body}\n`;
  const r = compile(source, { file: "r.trj", examples: false, env: {} });
  const errors = r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`);
  expect(errors).toEqual([]);
  const p = loadPolicy(r.bytes!);
  return { core: core(p.evaluate(action)), oracle: oracle(new ReferencePolicy(r.policy!, {}).evaluate(action)) };
}

describe("regressions found by the differential tests", () => {
  // Found (and fixed by the lead): the block of a rule whose condition is
  // constant (no `if`, `if true`, `if false`, `... and false`) ended with an
  // instruction no path reached (`ja -> 17; ret match; ret no match`), and the
  // verifier rejected the whole table: `unreachable-insn: insn 18 (rule 0 "r0")`.
  it("loads_and_applies_rule_without_condition", () => {
    const r = both("rule r0: allow file.read", { kind: "file.read", path: "/x" });
    expect(r.core).toEqual({ decision: "allow", rule: "r0", flagged: false, why: "rule" });
    expect(r.core).toEqual(r.oracle);
  });

  it("loads_and_applies_rule_with_if_true", () => {
    const r = both("rule r0: deny file.read if true", { kind: "file.read", path: "/x" }, "allow");
    expect(r.core).toEqual({ decision: "deny", rule: "r0", flagged: false, why: "rule" });
  });

  it("loads_rule_whose_condition_folds_to_false", () => {
    const r = both('rule r0: deny file.read if path == "/x" and false', { kind: "file.read", path: "/x" }, "allow");
    expect(r.core).toEqual({ decision: "allow", rule: null, flagged: false, why: "default" });
  });

  it("unconditional_wildcard_rule_still_reads_required_fields_of_other_rules", () => {
    const r = both('rule all: flag *\nrule d: deny file.read if path under "/etc"', { kind: "file.read", path: "/etc/passwd" }, "allow");
    expect(r.core).toEqual({ decision: "deny", rule: "d", flagged: false, why: "rule" });
  });

  // `"\xff"` in a policy string is the raw byte 0xFF (compiler/parse.ts:
  // U+DCFF stands for it). `==` honours that; a glob does not: the glob parser
  // sees the lone surrogate and rejects the policy with "unpaired UTF-16
  // surrogate in glob", so a deny rule for a non-UTF-8 path cannot be written.
  it("glob_with_raw_byte_escape_compiles_and_matches_that_byte", () => {
    const path = Buffer.from("/work/\xffsecret", "latin1");
    const r = both('rule d: deny file.read if path matches "/work/\\xff*"', { kind: "file.read", path }, "allow");
    expect(r.core).toEqual({ decision: "deny", rule: "d", flagged: false, why: "rule" });
    expect(r.core).toEqual(r.oracle);
  });

  // `**` that ends a brace alternative and is followed by `/` after the brace
  // is the `**/` of that alternative: "/{a,**}/x" is "/a/x" or "/**/x", and
  // "**/" also matches zero directories, so "/x" matches. The compiler makes it
  // "/" + any + "/x" (only "//x", "/p/x", ...), so a deny rule such as
  // `path matches "/{root,**}/.ssh/**"` lets "/.ssh/id" through.
  it("brace_alternative_double_star_before_slash_matches_zero_directories", () => {
    const r = both('rule d: deny file.read if path matches "/{a,**}/x"', { kind: "file.read", path: "/x" }, "allow");
    expect(r.oracle).toEqual({ decision: "deny", rule: "d", flagged: false, why: "rule" });
    expect(r.core).toEqual(r.oracle);
  });

  // Every field a rule applicable to the action's kind references is read, and
  // a missing required one is an eval-error — even when the rule's condition
  // folds to a constant. Found by random policies (and fixed by the lead): the
  // compiler folded `tool == "x" or true` to true and dropped the read of
  // `tool`, so a tool.call without `tool` was ALLOWED by r instead of denied.
  it("missing_required_field_is_eval_error_even_when_condition_folds_to_true", () => {
    const r = both('rule r: allow tool.call if tool == "x" or true', { kind: "tool.call" }, "allow");
    expect(r.oracle).toEqual({ decision: "deny", rule: null, flagged: false, why: "eval-error" });
    expect(r.core).toEqual(r.oracle);
  });

  it("missing_required_field_is_eval_error_even_when_condition_folds_to_false", () => {
    const r = both('rule r: deny file.read if false and path == "/x"', { kind: "file.read" }, "allow");
    expect(r.oracle).toEqual({ decision: "deny", rule: null, flagged: false, why: "eval-error" });
    expect(r.core).toEqual(r.oracle);
  });

  it("wrong_type_in_field_of_folded_condition_is_eval_error", () => {
    const r = both('rule r: allow net.connect if port == 443 or true', { kind: "net.connect", port: "443" }, "deny");
    expect(r.oracle).toEqual({ decision: "deny", rule: null, flagged: false, why: "eval-error" });
    expect(r.core).toEqual(r.oracle);
  });
});
