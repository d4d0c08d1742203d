// Property: for a generated family of simple regexes, runDfa agrees with JS RegExp
// (flag `s`, so `.` matches newline as ours does) on random ASCII strings.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DfaTooLarge, buildDfa, parseRegex, runDfa, utf8 } from "../../compiler/automata/index.js";

const ATOMS = ["a", "b", "c", ".", "\\d", "\\w", "\\s", "\\W", "[ab]", "[^a]", "[a-c1]", "[^\\s]", "\\.", "\\n", "1"];
const QUANTS = ["*", "+", "?", "{2}", "{1,2}", "{0,3}", "{2,}", "*?", "+?", "??", "{1,2}?"];

const node: fc.Arbitrary<string> = fc.letrec<{ re: string; term: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ATOMS) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("(", "(?:"), tie("re")).map(([open, r]) => `${open}${r})`) },
  ),
  term: fc.tuple(tie("atom"), fc.option(fc.constantFrom(...QUANTS), { nil: "" })).map(([a, q]) => a + q),
  re: fc.oneof(
    { depthSize: "xsmall", withCrossShrink: true },
    fc.array(tie("term"), { minLength: 1, maxLength: 3 }).map((ts) => ts.join("")),
    fc.array(fc.array(tie("term"), { minLength: 1, maxLength: 2 }).map((ts) => ts.join("")), { minLength: 2, maxLength: 3 }).map((as) => as.join("|")),
  ),
})).re;

/** Top level: alternatives, each optionally anchored with ^ and/or $. */
const topRegex = fc
  .array(fc.tuple(fc.boolean(), node, fc.boolean()), { minLength: 1, maxLength: 2 })
  .map((alts) => alts.map(([s, r, e]) => `${s ? "^" : ""}${r}${e ? "$" : ""}`).join("|"));

function agrees(src: string, flags: string, inputs: string[]): void {
  const parsed = parseRegex(src, flags);
  if ("error" in parsed) throw new Error(`/${src}/${flags}: ${parsed.error.message}`);
  let dfa;
  try {
    dfa = buildDfa([parsed.pat], { maxStates: 20_000 });
  } catch (e) {
    // Some generated regexes legitimately need huge DFAs (`.{2,}` nested under
    // counts, unanchored); they say nothing about agreement, so skip them.
    if (e instanceof DfaTooLarge) return fc.pre(false);
    throw e;
  }
  const js = new RegExp(src, flags + "s");
  for (const s of inputs) expect([src, s, runDfa(dfa, utf8(s)).length > 0]).toEqual([src, s, js.test(s)]);
}

describe("regexes agree with JS RegExp", () => {
  test("regex_dfa_matches_js_regexp_on_random_ascii", () => {
    const input = fc.string({ unit: fc.constantFrom("a", "b", "c", "1", " ", "\n", "."), maxLength: 8 });
    fc.assert(
      fc.property(topRegex, fc.array(input, { minLength: 1, maxLength: 20 }), (src, inputs) => agrees(src, "", inputs)),
      { numRuns: 300 },
    );
  });

  test("regex_dfa_matches_js_regexp_case_insensitive", () => {
    const input = fc.string({ unit: fc.constantFrom("a", "A", "b", "B", "c", "C", "1", "\n"), maxLength: 8 });
    fc.assert(
      fc.property(topRegex, fc.array(input, { minLength: 1, maxLength: 20 }), (src, inputs) => agrees(src, "i", inputs)),
      { numRuns: 200 },
    );
  });
});
