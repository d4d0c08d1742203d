// Product of the minimal DFAs of disjoint pattern groups: one merged DFA, minimal without re-minimizing.
//
// Why this is minimal: two product states behave alike only if, for every
// group, their component states produce the same accept sets on every input;
// in a minimal group DFA that means the component states are equal. So the
// reachable product of minimal DFAs is minimal, and numbering states as they
// are discovered (breadth-first, columns in order) is already canonical.
//
// A product state is the ascending list of its live components, each a global
// "element" id (group base + component state); dead components are left out.

import type { Dfa } from "./dfa.js";
import { DfaTooLarge } from "./errors.js";
import { sinks } from "./group.js";
import { ChunkedU32, SeqInterner, grow } from "./interner.js";
import { MAX_FOLLOW } from "./positions.js";

/** Every group state as an element: transitions in global columns, accept sets in global pattern indices. */
interface Elements {
  next: Int32Array; // element * k + column -> element, or -1 for a dead component
  accOff: Int32Array; // accept set of element e: accData[accOff[e], accOff[e + 1])
  accData: Int32Array;
  start: Int32Array; // live start elements, ascending
}

/** One factor of the product: a minimal DFA and the global index of each of its patterns. */
export interface Part {
  dfa: Dfa;
  index: readonly number[];
}

export function productDfa(parts: readonly Part[], maxStates: number): Dfa {
  const groups = parts.map((p) => p.dfa);
  const { byteClass, nColumns: k, repByte } = refineColumns(groups);
  const el = elements(parts, repByte, k);

  const states = new SeqInterner();
  const accepts = new SeqInterner();
  let acceptId = new Int32Array(64);
  let accScratch = new Int32Array(64);
  const addState = (src: Int32Array, start: number, end: number, h: number): number => {
    const before = states.size;
    const id = states.internHashed(src, start, end, h);
    if (states.size === before) return id;
    if (states.size > maxStates) throw new DfaTooLarge("states", maxStates);
    if (id === acceptId.length) acceptId = grow(acceptId, id * 2);
    // Each element's set is ascending and parts hold disjoint patterns: merge by insertion.
    let n = 0;
    for (let j = start; j < end; j++) {
      const e = src[j]!;
      for (let x = el.accOff[e]!; x < el.accOff[e + 1]!; x++) {
        if (n === accScratch.length) accScratch = grow(accScratch, n * 2);
        const v = el.accData[x]!;
        let at = n++;
        for (; at > 0 && accScratch[at - 1]! > v; at--) accScratch[at] = accScratch[at - 1]!;
        accScratch[at] = v;
      }
    }
    acceptId[id] = accepts.intern(accScratch, 0, n);
    return id;
  };
  addState(el.start, 0, el.start.length, SeqInterner.hash(el.start, 0, el.start.length));

  const rows = new ChunkedU32();
  let bucket = new Int32Array(k * 4); // column c's targets at [c * m, c * m + len[c])
  const len = new Int32Array(k);
  // Columns often lead to the same tuple; a small per-state table avoids global lookups.
  const localMask = 1023;
  const localHash = new Int32Array(localMask + 1);
  const localCol = new Int32Array(localMask + 1);
  const localStamp = new Int32Array(localMask + 1).fill(-1);
  for (let s = 0; s < states.size; s++) {
    const S = states.pool();
    const sOff = states.offset(s);
    const m = states.length(s);
    if (m * k > bucket.length) bucket = new Int32Array(Math.max(m * k, bucket.length * 2));
    len.fill(0);
    for (let j = 0; j < m; j++) {
      const row = S[sOff + j]! * k;
      for (let c = 0; c < k; c++) {
        const t = el.next[row + c]!;
        if (t >= 0) bucket[c * m + len[c]!++] = t;
      }
    }
    const at = rows.append(k);
    const out = rows.chunk();
    for (let c = 0; c < k; c++) {
      const a = c * m;
      const e = a + len[c]!;
      const h = SeqInterner.hash(bucket, a, e);
      let slot = h & localMask;
      let id = -1;
      for (; localStamp[slot] === s; slot = (slot + 1) & localMask) {
        const c2 = localCol[slot]!;
        if (localHash[slot] === h && sameRange(bucket, c2 * m, len[c2]!, a, len[c]!)) {
          id = out[at + c2]!;
          break;
        }
      }
      if (id < 0) {
        id = addState(bucket, a, e, h);
        localStamp[slot] = s;
        localHash[slot] = h;
        localCol[slot] = c;
      }
      out[at + c] = id;
    }
  }

  const n = states.size;
  const acceptSets = accepts.toArrays();
  const accept = Array.from({ length: n }, (_, s) => acceptSets[acceptId[s]!]!);
  const table = rows.toArray();
  return { byteClass, nColumns: k, nStates: n, start: 0, next: table, accept, sink: sinks(table, n, k) };
}

function elements(parts: readonly Part[], repByte: readonly number[], k: number): Elements {
  const base: number[] = [];
  let nElems = 0;
  let nAcc = 0;
  for (const { dfa: g } of parts) {
    base.push(nElems);
    nElems += g.nStates;
    for (const a of g.accept) nAcc += a.length;
  }
  if (nElems * k > MAX_FOLLOW) throw new DfaTooLarge("transitions", MAX_FOLLOW);
  const next = new Int32Array(nElems * k);
  const accOff = new Int32Array(nElems + 1);
  const accData = new Int32Array(nAcc);
  const start: number[] = [];
  let w = 0;
  parts.forEach(({ dfa: g, index }, gi) => {
    const b = base[gi]!;
    // In a minimal DFA the only state that can never accept again is a non-accepting sink.
    const dead = g.accept.map((a, q) => a.length === 0 && g.sink[q]!);
    const colMap = repByte.map((byte) => g.byteClass[byte]!);
    for (let q = 0; q < g.nStates; q++) {
      const row = (b + q) * k;
      for (let c = 0; c < k; c++) {
        const t = g.next[q * g.nColumns + colMap[c]!]!;
        next[row + c] = dead[t] ? -1 : b + t;
      }
      accOff[b + q] = w;
      for (const i of g.accept[q]!) accData[w++] = index[i]!;
    }
    if (!dead[g.start]) start.push(b + g.start);
  });
  accOff[nElems] = w;
  return { next, accOff, accData, start: Int32Array.from(start) };
}

function sameRange(a: Int32Array, x: number, xl: number, y: number, yl: number): boolean {
  if (xl !== yl) return false;
  for (let i = 0; i < xl; i++) if (a[x + i] !== a[y + i]) return false;
  return true;
}

/** Global columns: the common refinement of every group's byte classes, numbered by smallest byte. */
function refineColumns(groups: readonly Dfa[]): { byteClass: Uint8Array; nColumns: number; repByte: number[] } {
  const cls = new Int32Array(256);
  let n = 1;
  const remap = new Int32Array(256 * 256);
  for (const g of groups) {
    const kg = g.nColumns;
    remap.fill(-1, 0, n * kg);
    let m = 0;
    for (let b = 0; b < 256; b++) {
      const key = cls[b]! * kg + g.byteClass[b]!;
      if (remap[key] === -1) remap[key] = m++;
      cls[b] = remap[key]!;
    }
    n = m;
  }
  // Classes are numbered in order of their first byte, so they are canonical already.
  const repByte: number[] = [];
  for (let b = 0; b < 256; b++) if (repByte.length === cls[b]) repByte.push(b);
  return { byteClass: Uint8Array.from(cls), nColumns: n, repByte };
}
