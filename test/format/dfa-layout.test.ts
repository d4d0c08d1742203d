// layoutDfa (compiler/lower/layout.ts): the DFA as the .trjb stores it — sink
// states first, rows of nColumns + 1 (transitions, then the state's class),
// premultiplied row offsets — must accept exactly what the automaton accepts
// and end in the automaton's class, walked the way native/core/eval.c walks it.

import { describe, expect, it } from "vitest";
import { buildDfa, literal, nothing, parseGlob, parseRegex, under, utf8, type Dfa, type Pat } from "../../compiler/automata/index.js";
import { layoutDfa, type DfaLayout } from "../../compiler/lower/layout.js";

const glob = (s: string): Pat => {
  const r = parseGlob(s);
  if ("error" in r) throw new Error(r.error.message);
  return r.pat;
};
const regex = (s: string): Pat => {
  const r = parseRegex(s, "");
  if ("error" in r) throw new Error(r.error.message);
  return r.pat;
};

/** eval.c's walk_dfa, in TypeScript: final state number and the class read from its row's class slot. */
function walk(t: DfaLayout, input: Uint8Array): { state: number; cls: number } {
  const sinkLimit = t.nSink * t.stride;
  let row = t.start;
  for (let i = 0; i < input.length && row >= sinkLimit; i++) row = t.next[row + t.byteClass[input[i]!]!]!;
  return { state: row / t.stride, cls: t.next[row + t.nColumns]! };
}

/** A class per automaton state that differs between most states: the walk must land on the right one. */
const classesOf = (d: Dfa): number[] => Array.from({ length: d.nStates }, (_, s) => (s * 7 + 3) % 11);

/** The automaton's own walk, without early exit: final state number. */
function run(d: Dfa, input: Uint8Array): number {
  let s = d.start;
  for (const b of input) s = d.next[s * d.nColumns + d.byteClass[b]!]!;
  return s;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}

const CASES: { name: string; pats: Pat[]; alphabet: string; sinks?: number }[] = [
  { name: "literal (dead state is a sink)", pats: [literal(utf8("/usr/bin/git"))], alphabet: "/usrbingtx", sinks: 1 },
  { name: "under (accepting sink and dead sink)", pats: [under(utf8("/usr")), under(utf8("/tmp"))], alphabet: "/usrtmpx", sinks: 3 },
  { name: "floating glob (no sink at all)", pats: [glob("**/*.pem")], alphabet: "/.pemx", sinks: 0 },
  { name: "mixed", pats: [glob("**/.ssh/**"), under(utf8("/work")), literal(utf8("/etc/passwd")), regex("^/w.*k$")], alphabet: "/.sshworketcpadx" },
  { name: "nothing matches (the start is the only state, a sink)", pats: [nothing()], alphabet: "ab", sinks: 1 },
];

describe("layoutDfa", () => {
  for (const c of CASES) {
    it(`${c.name}: sinks first, row offsets, class slots, same language`, () => {
      const d = buildDfa(c.pats);
      const cls = classesOf(d);
      const t = layoutDfa(d, cls);
      expect(t.nStates).toBe(d.nStates);
      expect(t.nColumns).toBe(d.nColumns);
      expect(t.stride).toBe(d.nColumns + 1);
      expect(t.next.length).toBe(d.nStates * t.stride);
      if (c.sinks !== undefined) expect(t.nSink).toBe(c.sinks);
      expect([...t.order].sort((a, b) => a - b)).toEqual(Array.from({ length: d.nStates }, (_, i) => i));
      // States [0, nSink) are exactly the states whose every transition loops.
      for (let s = 0; s < t.nStates; s++) {
        const row = Array.from(t.next.subarray(s * t.stride, s * t.stride + t.nColumns));
        for (const r of row) {
          expect(r % t.stride).toBe(0);
          expect(r).toBeLessThan(t.nStates * t.stride);
        }
        expect(row.every((r) => r === s * t.stride), `state ${s}`).toBe(s < t.nSink);
        // The trailing slot is the class of the automaton's state this row came from.
        expect(t.next[s * t.stride + t.nColumns], `class slot of state ${s}`).toBe(cls[t.order[s]!]);
      }
      expect(t.start % t.stride).toBe(0);
      // Each group keeps the automaton's order.
      expect(t.order.slice(0, t.nSink)).toEqual([...t.order.slice(0, t.nSink)].sort((a, b) => a - b));
      expect(t.order.slice(t.nSink)).toEqual([...t.order.slice(t.nSink)].sort((a, b) => a - b));
      // Same final state (mapped back) for random inputs over the interesting bytes and a few others.
      const rand = rng(c.name.length * 7919);
      const alphabet = [...utf8(c.alphabet), 0, 0xff];
      for (let n = 0; n < 2000; n++) {
        const input = Uint8Array.from({ length: Math.floor(rand() * 24) }, () => alphabet[Math.floor(rand() * alphabet.length)]!);
        const w = walk(t, input), want = run(d, input), label = Buffer.from(input).toString("latin1");
        expect(t.order[w.state], label).toBe(want);
        expect(w.cls, label).toBe(cls[want]);
      }
    });
  }

  it("is deterministic and does not touch the automaton", () => {
    const d = buildDfa([glob("**/.ssh/**"), under(utf8("/work"))]);
    const before = Array.from(d.next);
    expect(layoutDfa(d, classesOf(d))).toEqual(layoutDfa(d, classesOf(d)));
    expect(Array.from(d.next)).toEqual(before);
  });
});
