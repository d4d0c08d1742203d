// The public automaton: many patterns merged into one minimal DFA whose states carry accept sets.
//
// Why our own automata and not a library such as `refa`: policy field values
// are raw bytes (paths may be non-UTF-8 and may contain NUL), while JS regex
// libraries work on UTF-16 code units; and the bytecode needs ONE merged DFA
// for all patterns of a field whose states carry the SET of pattern indices
// matched, which is not what a single-language automaton library produces.
//
// Pipeline: Pat[] -> Glushkov positions -> byte classes (columns) -> subset
// construction -> Hopcroft minimization -> canonical BFS numbering (group.ts);
// literal-shaped patterns take a shortcut through a trie (trie.ts); several
// parts are merged by a product of minimal DFAs (product.ts).

import { groupDfa, rawDfa } from "./group.js";
import type { Pat } from "./pattern.js";
import { type Part, productDfa } from "./product.js";
import { type TrieShape, trieDfa, trieShape } from "./trie.js";

export interface Dfa {
  byteClass: Uint8Array; // 256 entries: byte -> column
  nColumns: number; // <= 256
  nStates: number;
  start: number;
  next: Uint32Array; // nStates * nColumns, row-major
  /** Per state: ascending indices of the patterns whose full-match language contains the bytes read so far.
   *  States with equal sets may share one array: do not mutate. */
  accept: number[][];
  sink: boolean[]; // per state: every transition leads back to itself
}

export interface DfaOptions {
  /** Limit on states, checked before minimization. Default 1 << 22 (TRJ_MAX_DFA_STATES). */
  maxStates?: number;
  /** Patterns per independently minimized group; the result does not depend on it (tests check). */
  groupSize?: number;
  /** false forces literal-shaped patterns through the general construction; same result (tests check). */
  literalTrie?: boolean;
}

export const DEFAULT_MAX_STATES = 1 << 22;
const GROUP_SIZE = 64;

/**
 * One minimal DFA for all patterns. Deterministic: the same patterns give an
 * identical table (columns numbered by smallest byte, states in BFS order from
 * the start, exploring columns in order; the start state is 0). The dead state
 * (no pattern can match any more) is present whenever some input reaches it.
 * Throws DfaTooLarge past the limits.
 *
 * Literal-shaped patterns (exact, prefix, under) go into one trie-built DFA;
 * the others are cut into groups, each minimized on its own; the parts are
 * combined by a product construction (product.ts). The table is the same as
 * building everything at once, only much faster.
 */
export function buildDfa(patterns: Pat[], opts?: DfaOptions): Dfa {
  const maxStates = opts?.maxStates ?? DEFAULT_MAX_STATES;
  const size = Math.max(1, opts?.groupSize ?? GROUP_SIZE);
  const parts: Part[] = [];
  const shapes: TrieShape[] = [];
  const shaped: number[] = [];
  const general: number[] = [];
  patterns.forEach((p, i) => {
    const shape = opts?.literalTrie === false ? null : trieShape(p);
    if (shape === null) {
      general.push(i);
    } else {
      shapes.push(shape);
      shaped.push(i);
    }
  });
  if (shapes.length > 0) parts.push({ dfa: trieDfa(shapes, maxStates), index: shaped });
  for (let i = 0; i < general.length; i += size) {
    const index = general.slice(i, i + size);
    parts.push({ dfa: groupDfa(index.map((j) => patterns[j]!), maxStates), index });
  }
  // A single part holds every pattern in order, so its indexes are already global.
  if (parts.length === 0) return groupDfa([], maxStates);
  if (parts.length === 1) return parts[0]!.dfa;
  return productDfa(parts, maxStates);
}

/** The accept set of the state reached after reading all of input (a fresh array). */
export function runDfa(dfa: Dfa, input: Uint8Array): number[] {
  const { next, byteClass, nColumns: k, sink } = dfa;
  let s = dfa.start;
  for (let i = 0; i < input.length && !sink[s]; i++) s = next[s * k + byteClass[input[i]!]!]!;
  return dfa.accept[s]!.slice();
}

/** L(a) ⊆ L(b): no reachable state of the product accepts a without b. */
export function isSubset(a: Pat, b: Pat, opts?: DfaOptions): boolean {
  return !rawDfa([a, b], opts?.maxStates ?? DEFAULT_MAX_STATES).dfa.acceptSets.some((set) => set.length === 1 && set[0] === 0);
}

/** L(a) ∩ L(b) ≠ ∅: some reachable state of the product accepts both. */
export function intersects(a: Pat, b: Pat, opts?: DfaOptions): boolean {
  return rawDfa([a, b], opts?.maxStates ?? DEFAULT_MAX_STATES).dfa.acceptSets.some((set) => set.length === 2);
}
