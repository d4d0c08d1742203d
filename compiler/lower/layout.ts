// A DFA as the .trjb stores it (native/core/trj_isa.h, trj_classifier; format v3):
//
//   - sink states first: states 0 .. nSink-1 are exactly the states whose every
//     transition leads to themselves, so the C walk stops at `row < nSink * stride`
//     without loading anything;
//   - then every other state, each group in the automaton's own order
//     (deterministic: the automaton's numbering is);
//   - each row is nColumns transitions followed by ONE class slot holding the
//     state's class index, so rows have a stride of nColumns + 1 and the class
//     of the state the walk ends in is `next[row + nColumns]` (no division, no
//     separate state → class array);
//   - transitions and the start are PREMULTIPLIED row offsets: a transition to
//     state t holds t * stride, so a step of the walk is `row = next[row + col]`.
//
// Pure: reads the automaton, returns new arrays.

import type { Dfa } from "../automata/index.js";
import { DFA } from "../format.js";

export interface DfaLayout {
  byteClass: Uint8Array; // 256 entries: byte -> column (unchanged)
  nColumns: number;
  /** Row stride: nColumns + 1 (the transitions, then the class slot). */
  stride: number;
  nStates: number;
  /** States [0, nSink) are the sinks, and they are all of them. */
  nSink: number;
  /** Row offset of the start state: state × stride. */
  start: number;
  /**
   * nStates × stride, row-major in the new numbering: entries [0, nColumns) of a
   * row are row offsets (target state × stride), entry nColumns is the state's class.
   */
  next: Uint32Array;
  /** New state number → the automaton's state number. */
  order: number[];
}

/** `classOfState[s]` is the class of the automaton's state s (its own numbering). */
export function layoutDfa(dfa: Dfa, classOfState: ArrayLike<number>): DfaLayout {
  const { nStates, nColumns } = dfa;
  const stride = nColumns + DFA.rowExtra;
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
  const next = new Uint32Array(nStates * stride);
  order.forEach((old, s) => {
    for (let c = 0; c < nColumns; c++) next[s * stride + c] = numberOf[dfa.next[old * nColumns + c]!]! * stride;
    next[s * stride + nColumns] = classOfState[old]!;
  });
  return { byteClass: dfa.byteClass, nColumns, stride, nStates, nSink: sinks.length, start: numberOf[dfa.start]! * stride, next, order };
}
