// Conditions bind `not` tighter than `and`, and `and` tighter than `or`; both
// binary operators associate to the left; parentheses override.

import { describe, expect, it } from "vitest";
import { parseCondition } from "../../compiler/parse.js";
import { cmp, cond, num, ref, str, stripLocs } from "./helpers.js";

const a = cmp("a", "==", num(1));
const b = cmp("b", "==", num(2));
const c = cmp("c", "==", num(3));
const d = cmp("d", "==", num(4));
const A = "a == 1";
const B = "b == 2";
const C = "c == 3";
const D = "d == 4";

describe("condition precedence", () => {
  it("binds_and_tighter_than_or_and_not_tighter_than_and", () => {
    expect(cond(`${A} or ${B} and not ${C}`)).toEqual({
      type: "or", left: a, right: { type: "and", left: b, right: { type: "not", expr: c } },
    });
  });

  it("associates_or_and_and_to_the_left", () => {
    expect(cond(`${A} or ${B} or ${C}`)).toEqual({ type: "or", left: { type: "or", left: a, right: b }, right: c });
    expect(cond(`${A} and ${B} and ${C}`)).toEqual({ type: "and", left: { type: "and", left: a, right: b }, right: c });
  });

  it("lets_parentheses_override_precedence", () => {
    expect(cond(`(${A} or ${B}) and ${C}`)).toEqual({ type: "and", left: { type: "or", left: a, right: b }, right: c });
    expect(cond(`not (${A} or ${B})`)).toEqual({ type: "not", expr: { type: "or", left: a, right: b } });
  });

  it("applies_not_to_the_nearest_operand_and_allows_repeating_it", () => {
    expect(cond(`not ${A} and ${B}`)).toEqual({ type: "and", left: { type: "not", expr: a }, right: b });
    expect(cond(`not not ${A}`)).toEqual({ type: "not", expr: { type: "not", expr: a } });
  });

  it("mixes_all_levels", () => {
    expect(cond(`${A} and ${B} or ${C} and not (${D} or true)`)).toEqual({
      type: "or",
      left: { type: "and", left: a, right: b },
      right: { type: "and", left: c, right: { type: "not", expr: { type: "or", left: d, right: { type: "bool", value: true } } } },
    });
  });

  it("parses_true_and_false_as_conditions", () => {
    expect(cond("true")).toEqual({ type: "bool", value: true });
    expect(cond("false or true")).toEqual({ type: "or", left: { type: "bool", value: false }, right: { type: "bool", value: true } });
  });

  it("parses_every_comparison_operator", () => {
    for (const op of ["==", "!=", "<", "<=", ">", ">=", "in", "under", "matches"]) {
      expect(cond(`x ${op} 1`)).toEqual(cmp("x", op, num(1)));
    }
    expect(cond("x =~ /a/i")).toEqual(cmp("x", "=~", { type: "regex", source: "a", flags: "i" }));
    expect(cond("x =~ R")).toEqual(cmp("x", "=~", ref("R")));
    expect(cond("x =~ [/curl/, /wget/i, R,]")).toEqual(cmp("x", "=~", {
      type: "list", items: [{ type: "regex", source: "curl", flags: "" }, { type: "regex", source: "wget", flags: "i" }, ref("R")],
    }));
  });

  it("reads_any_as_sugar_for_the_same_operator", () => {
    expect(cond("path matches any secrets")).toEqual(cond("path matches secrets"));
    expect(cond("path under any dirs")).toEqual(cond("path under dirs"));
    expect(cond('host in any ["a"]')).toEqual(cmp("host", "in", { type: "list", items: [str("a")] }));
  });

  it("needs_no_spaces_around_symbolic_operators", () => {
    expect(cond("port>=1024 and port<=2048")).toEqual({
      type: "and", left: cmp("port", ">=", num(1024)), right: cmp("port", "<=", num(2048)),
    });
  });

  it("parses_a_condition_alone_with_the_condition_start_rule", () => {
    const r = parseCondition(`${A} or ${B} and not ${C}`, "x.yaml", { line: 1, col: 1, offset: 0 });
    expect(r.diagnostics).toEqual([]);
    expect(stripLocs(r.cond)).toEqual(cond(`${A} or ${B} and not ${C}`));
  });
});
