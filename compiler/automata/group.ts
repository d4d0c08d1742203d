// The general pipeline for one group of patterns: positions -> columns -> subsets -> Hopcroft -> BFS order.

import { computeColumns } from "./columns.js";
import type { Dfa } from "./dfa.js";
import { type RawDfa, determinize } from "./determinize.js";
import { minimize } from "./minimize.js";
import type { Pat } from "./pattern.js";
import { buildPositions } from "./positions.js";

/** Subset construction only: every state reachable, not minimal. */
export function rawDfa(patterns: readonly Pat[], maxStates: number): { dfa: RawDfa; byteClass: Uint8Array } {
  const pos = buildPositions(patterns);
  const cols = computeColumns(pos.sets);
  return { dfa: determinize(pos, cols, maxStates), byteClass: cols.byteClass };
}

/** The minimal DFA of the patterns, states numbered breadth-first from the start in column order. */
export function groupDfa(patterns: readonly Pat[], maxStates: number): Dfa {
  const { dfa, byteClass } = rawDfa(patterns, maxStates);
  return finishDfa(dfa, byteClass);
}

/**
 * Minimizes a raw DFA (start = state 0) and numbers the reachable states
 * breadth-first from the start, columns in order: the canonical form.
 */
export function finishDfa(dfa: RawDfa, byteClass: Uint8Array): Dfa {
  const k = dfa.nColumns;
  const { nBlocks, blockOf, rep } = minimize(dfa.nStates, k, dfa.next, dfa.acceptId);
  const order = new Int32Array(nBlocks);
  const newId = new Int32Array(nBlocks).fill(-1);
  newId[blockOf[0]!] = 0;
  order[0] = blockOf[0]!;
  let nSeen = 1;
  const next = new Uint32Array(nBlocks * k);
  for (let s = 0; s < nSeen; s++) {
    const r = rep[order[s]!]!;
    for (let c = 0; c < k; c++) {
      const b = blockOf[dfa.next[r * k + c]!]!;
      if (newId[b] === -1) {
        newId[b] = nSeen;
        order[nSeen++] = b;
      }
      next[s * k + c] = newId[b]!;
    }
  }
  const table = nSeen === nBlocks ? next : next.slice(0, nSeen * k);
  const accept = Array.from({ length: nSeen }, (_, s) => dfa.acceptSets[dfa.acceptId[rep[order[s]!]!]!]!);
  return { byteClass, nColumns: k, nStates: nSeen, start: 0, next: table, accept, sink: sinks(table, nSeen, k) };
}

/** Per state: does every column lead back to the state itself? */
export function sinks(next: Uint32Array, n: number, k: number): boolean[] {
  return Array.from({ length: n }, (_, s) => {
    for (let c = 0; c < k; c++) if (next[s * k + c] !== s) return false;
    return true;
  });
}
