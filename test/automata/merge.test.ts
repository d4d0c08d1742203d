// Properties of merged DFAs: per-pattern agreement, minimality (checked naively), independence from grouping.

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type Dfa, type Pat, anyString, buildDfa, literal, runDfa, seq, under, utf8 } from "../../compiler/automata/index.js";
import { glob, re } from "./helpers.js";

const GLOB_PIECES = ["a", "b", "/", "*", "**", "?", "[ab]", "[!a]", "{a,b/}", "\\*", "/**/"];
const RE_PIECES = ["a", "b", "/", ".", "[ab]", "[^a]", "a*", "(a|b/)", "b+", "/?", "^", "$"];
const word = (pieces: string[]) => fc.array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 5 }).map((ps) => ps.join(""));
const text = fc.array(fc.constantFrom("a", "b", "/", "*"), { maxLength: 4 }).map((cs) => cs.join(""));

/** Small patterns of every kind; regexes keep ^ and $ only where they are legal. */
const pattern: fc.Arbitrary<Pat> = fc.oneof(
  word(GLOB_PIECES).map(glob),
  word(RE_PIECES)
    .map((s) => s.replace(/\^/g, "").replace(/\$/g, ""))
    .chain((s) => fc.tuple(fc.boolean(), fc.boolean()).map(([a, b]) => re(`${a ? "^" : ""}${s}${b ? "$" : ""}`))),
  text.map((s) => literal(utf8(s))),
  text.filter((s) => s.length > 0).map((s) => under(utf8(s))),
  text.map((s) => seq(literal(utf8(s)), anyString())),
);

/** Moore refinement, the slow obvious way: the number of distinguishable states. */
function distinguishable(d: Dfa): number {
  let cls = d.accept.map((a) => a.join(","));
  for (;;) {
    const sig = cls.map((c, s) => {
      const row = Array.from(d.next.subarray(s * d.nColumns, (s + 1) * d.nColumns), (t) => cls[t]);
      return `${c}|${row.join(";")}`;
    });
    const ids = new Map<string, string>();
    const next = sig.map((x) => {
      if (!ids.has(x)) ids.set(x, String(ids.size));
      return ids.get(x)!;
    });
    if (new Set(next).size === new Set(cls).size) return ids.size;
    cls = next;
  }
}

describe("merged DFA properties", () => {
  test("merged_accept_set_equals_union_of_single_pattern_matches", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 4 }), fc.array(text, { maxLength: 10 }), (pats, inputs) => {
        const merged = buildDfa(pats);
        const singles = pats.map((p) => buildDfa([p]));
        for (const s of inputs) {
          const want = singles.flatMap((d, i) => (runDfa(d, utf8(s)).length > 0 ? [i] : []));
          expect(runDfa(merged, utf8(s))).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("merged_dfa_is_minimal", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 0, maxLength: 4 }), (pats) => {
        const d = buildDfa(pats);
        expect(distinguishable(d)).toBe(d.nStates);
      }),
      { numRuns: 200 },
    );
  });

  test("literal_trie_shortcut_never_changes_the_table", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 6 }), (pats) => {
        expect(buildDfa(pats)).toEqual(buildDfa(pats, { literalTrie: false }));
      }),
      { numRuns: 300 },
    );
  });

  test("grouping_never_changes_the_table", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 3 }), (pats, groupSize) => {
        expect(buildDfa(pats, { groupSize, literalTrie: false })).toEqual(buildDfa(pats, { groupSize: 100 }));
      }),
      { numRuns: 200 },
    );
  });
});
