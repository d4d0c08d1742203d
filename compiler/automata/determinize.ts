// Subset construction over columns: position sets -> DFA states, breadth-first from the start.

import type { Columns } from "./columns.js";
import { DfaTooLarge } from "./errors.js";
import { SeqInterner, grow } from "./interner.js";
import type { Positions } from "./positions.js";

/** A complete DFA straight out of subset construction: start is state 0, every state reachable. */
export interface RawDfa {
  nStates: number;
  nColumns: number;
  next: Uint32Array; // nStates * nColumns, row-major
  acceptId: Int32Array; // state -> index into acceptSets
  acceptSets: number[][]; // distinct accept sets, each ascending
}

export function determinize(pos: Positions, cols: Columns, maxStates: number): RawDfa {
  const k = cols.nColumns;
  const { followOff, followData, setOf, isLast, owner } = pos;
  // Columns of each position, flattened: colData[colOff[p], colOff[p + 1]).
  const colOff = new Int32Array(pos.count + 1);
  for (let p = 0; p < pos.count; p++) colOff[p + 1] = colOff[p]! + cols.colsOfSet[setOf[p]!]!.length;
  const colData = new Int32Array(colOff[pos.count]!);
  for (let p = 0; p < pos.count; p++) colData.set(cols.colsOfSet[setOf[p]!]!, colOff[p]!);
  const states = new SeqInterner();
  const accepts = new SeqInterner();
  let next = new Uint32Array(k * 64);
  let acceptId = new Int32Array(64);
  let scratch = new Int32Array(64);

  /** Accept set of a new state: owners of its "last" positions (ascending since owners are). */
  const addState = (set: Int32Array, start: number, end: number): number => {
    const before = states.size;
    const id = states.intern(set, start, end);
    if (states.size === before) return id;
    if (states.size > maxStates) throw new DfaTooLarge("states", maxStates);
    if (id === acceptId.length) acceptId = grow(acceptId, id * 2);
    let n = 0;
    for (let j = start; j < end; j++) {
      const p = set[j]!;
      if (p === pos.count) {
        for (const a of pos.startAccept) scratch[n++] = a;
      } else if (isLast[p] && (n === 0 || scratch[n - 1] !== owner[p])) {
        scratch[n++] = owner[p]!;
      }
    }
    acceptId[id] = accepts.intern(scratch, 0, n);
    return id;
  };

  scratch = new Int32Array(Math.max(64, pos.startAccept.length));
  addState(Int32Array.of(pos.count), 0, 1);

  const universal = universalPositions(pos);
  const mark = new Int32Array(pos.count + 1).fill(-1);
  let reached = new Int32Array(64); // union of follow sets of the current state
  let bucket = new Int32Array(64); // reached positions grouped by column
  const colStart = new Int32Array(k + 1);
  const cursor = new Int32Array(k);

  for (let s = 0; s < states.size; s++) {
    const S = states.pool();
    const sEnd = states.offset(s) + states.length(s);
    let n = 0;
    for (let j = states.offset(s); j < sEnd; j++) {
      const p = S[j]!;
      const end = followOff[p + 1]!;
      for (let f = followOff[p]!; f < end; f++) {
        const q = followData[f]!;
        if (mark[q] === s) continue;
        mark[q] = s;
        if (n === reached.length) reached = grow(reached, n * 2);
        reached[n++] = q;
      }
    }
    if (n > 1) reached.subarray(0, n).sort();
    // Counting sort of (column, position) pairs; positions stay ascending per column.
    colStart.fill(0);
    for (let j = 0; j < n; j++) {
      const q = reached[j]!;
      for (let x = colOff[q]!, xe = colOff[q + 1]!; x < xe; x++) colStart[colData[x]! + 1]!++;
    }
    for (let c = 0; c < k; c++) colStart[c + 1]! += colStart[c]!;
    const total = colStart[k]!;
    if (total > bucket.length) bucket = new Int32Array(Math.max(total, bucket.length * 2));
    if (total > scratch.length) scratch = new Int32Array(Math.max(total, scratch.length * 2));
    for (let c = 0; c < k; c++) cursor[c] = colStart[c]!;
    let anyUniversal = false;
    for (let j = 0; j < n; j++) {
      const q = reached[j]!;
      anyUniversal ||= universal[q] === 1;
      for (let x = colOff[q]!, xe = colOff[q + 1]!; x < xe; x++) bucket[cursor[colData[x]!]!++] = q;
    }
    if ((s + 1) * k > next.length) next = grow(next, next.length * 2);
    for (let c = 0; c < k; c++) {
      const a = colStart[c]!;
      const b = anyUniversal ? pruneSettled(bucket, a, colStart[c + 1]!, owner, universal) : colStart[c + 1]!;
      next[s * k + c] = addState(bucket, a, b);
    }
  }

  const acceptSets = accepts.toArrays();
  return { nStates: states.size, nColumns: k, next: next.subarray(0, states.size * k), acceptId: acceptId.subarray(0, states.size), acceptSets };
}

/**
 * Positions after which their pattern accepts whatever follows: any byte, a
 * loop to itself, and a possible end (the trailing .* of a search regex, the
 * tail of `under`, a final `**`).
 */
function universalPositions(pos: Positions): Uint8Array {
  const full = pos.sets.map((set) => set.every((w) => w === 0xffffffff));
  const out = new Uint8Array(pos.count + 1);
  for (let p = 0; p < pos.count; p++) {
    if (!pos.isLast[p] || !full[pos.setOf[p]!]) continue;
    for (let f = pos.followOff[p]!; f < pos.followOff[p + 1]!; f++) if (pos.followData[f] === p) out[p] = 1;
  }
  return out;
}

/**
 * Once a pattern has reached a universal position its future is settled (it
 * matches from now on), so its other positions only split states that
 * minimization would merge again: for a search regex they can blow the
 * intermediate DFA up exponentially. Keeps, per pattern, just its first
 * universal position. Positions of one pattern are contiguous (numbered in
 * pattern order). Returns the new end of the range.
 */
function pruneSettled(set: Int32Array, start: number, end: number, owner: Int32Array, universal: Uint8Array): number {
  let w = start;
  for (let i = start; i < end; ) {
    const o = owner[set[i]!]!;
    let j = i;
    let u = -1;
    for (; j < end && owner[set[j]!] === o; j++) if (u < 0 && universal[set[j]!]) u = set[j]!;
    if (u >= 0) set[w++] = u;
    else for (let x = i; x < j; x++) set[w++] = set[x]!;
    i = j;
  }
  return w;
}
