// A DFA as the .trjb stores it (native/core/trj_isa.h, trj_classifier):
//
//   - sink states first: states 0 .. nSink-1 are exactly the states whose every
//     transition leads to themselves, so the C walk stops at `row < nSink * nColumns`
//     without loading anything;
//   - then every other state, each group in the automaton's own order
//     (deterministic: the automaton's numbering is);
//   - transitions and the start are PREMULTIPLIED row offsets: a transition to
//     state t holds t * nColumns, so a step of the walk is `row = next[row + col]`.
//
// Pure: reads the automaton, returns new arrays.

import type { Dfa } from "../automata/index.js";

export interface DfaLayout {
  byteClass: Uint8Array; // 256 entries: byte -> column (unchanged)
  nColumns: number;
  nStates: number;
  /** States [0, nSink) are the sinks, and they are all of them. */
  nSink: number;
  /** Row offset of the start state: state × nColumns. */
  start: number;
  /** nStates × nColumns, row-major in the new numbering; each entry a row offset (target state × nColumns). */
  next: Uint32Array;
  /** New state number → the automaton's state number. */
  order: number[];
}

export function layoutDfa(dfa: Dfa): DfaLayout {
  const { nStates, nColumns } = dfa;
  // Sinks decided from the transitions themselves, so the table's promise
  // (every transition of a state below nSink leads to itself) holds by construction.
  const isSink = (s: number): boolean => {
    for (let c = 0; c < nColumns; c++) if (dfa.next[s * nColumns + c] !== s) return false;
    return true;
  };
  const sinks: number[] = [];
  const rest: number[] = [];
  for (let s = 0; s < nStates; s++) (isSink(s) ? sinks : rest).push(s);
  const order = [...sinks, ...rest];
  const numberOf = new Uint32Array(nStates);
  order.forEach((old, s) => (numberOf[old] = s));
  const next = new Uint32Array(nStates * nColumns);
  order.forEach((old, s) => {
    for (let c = 0; c < nColumns; c++) next[s * nColumns + c] = numberOf[dfa.next[old * nColumns + c]!]! * nColumns;
  });
  return { byteClass: dfa.byteClass, nColumns, nStates, nSink: sinks.length, start: numberOf[dfa.start]! * nColumns, next, order };
}
