// Literal-shaped patterns (exact bytes, a byte prefix, `under`) as one DFA built from a trie.
//
// Most patterns in a policy are paths: `==`, `under`, globs without wildcards
// and `/dir/**`. For these the DFA is a trie plus one absorbing state per set
// of "already matched for good" patterns, so it is built directly instead of
// through positions and subset construction, then minimized like any other.

import type { ByteSet } from "./byteset.js";
import type { Dfa } from "./dfa.js";
import type { RawDfa } from "./determinize.js";
import { DfaTooLarge } from "./errors.js";
import { finishDfa } from "./group.js";
import { SeqInterner } from "./interner.js";
import type { Pat } from "./pattern.js";

/** bytes exactly ("exact"), bytes then anything ("prefix"), or bytes, or bytes + sep + anything ("under"). */
export interface TrieShape {
  bytes: number[];
  tail: "exact" | "prefix" | "under";
  sep: number;
}

/** The trie shape of p, or null when p needs the general construction. */
export function trieShape(p: Pat): TrieShape | null {
  const parts = p.kind === "seq" ? p.parts : [p];
  const bytes: number[] = [];
  let i = 0;
  for (; i < parts.length; i++) {
    const q = parts[i]!;
    const b = q.kind === "set" ? singleByte(q.set) : -1;
    if (b < 0) break;
    bytes.push(b);
  }
  if (i === parts.length) return { bytes, tail: "exact", sep: -1 };
  if (i !== parts.length - 1) return null;
  const last = parts[i]!;
  if (isAnyString(last)) return { bytes, tail: "prefix", sep: -1 };
  if (last.kind === "repeat" && last.min === 0 && last.max === 1 && last.body.kind === "seq" && last.body.parts.length === 2) {
    const [s, rest] = last.body.parts as [Pat, Pat];
    const sep = s.kind === "set" ? singleByte(s.set) : -1;
    if (sep >= 0 && isAnyString(rest)) return { bytes, tail: "under", sep };
  }
  return null;
}

function isAnyString(p: Pat): boolean {
  if (p.kind !== "repeat" || p.min !== 0 || p.max !== null || p.body.kind !== "set") return false;
  for (let w = 0; w < 8; w++) if (p.body.set[w] !== 0xffffffff) return false;
  return true;
}

/** The byte when the set holds exactly one, else -1. */
function singleByte(set: ByteSet): number {
  let found = -1;
  for (let w = 0; w < 8; w++) {
    const x = set[w]!;
    if (x === 0) continue;
    if (found >= 0 || (x & (x - 1)) !== 0) return -1;
    found = w * 32 + (31 - Math.clz32(x));
  }
  return found;
}

/** Minimal DFA of the shapes; accept sets use indexes into `shapes`. */
export function trieDfa(shapes: readonly TrieShape[], maxStates: number): Dfa {
  // Trie: node 0 is the root; child of (node, byte) in a map keyed node * 256 + byte.
  const child = new Map<number, number>();
  const parent: number[] = [0];
  const edgeByte: number[] = [0]; // byte leading into each node (unused for the root)
  const exact = new Map<number, number[]>(); // node -> patterns matching exactly there
  const settles = new Map<number, number[]>(); // node -> patterns matching everything from there on
  const used = new Uint8Array(256);
  const walk = (node: number, b: number): number => {
    used[b] = 1;
    const key = node * 256 + b;
    let c = child.get(key);
    if (c === undefined) {
      c = parent.length;
      if (c >= maxStates) throw new DfaTooLarge("states", maxStates);
      parent.push(node);
      edgeByte.push(b);
      child.set(key, c);
    }
    return c;
  };
  const mark = (m: Map<number, number[]>, node: number, i: number) => {
    const l = m.get(node);
    if (l === undefined) m.set(node, [i]);
    else l.push(i);
  };
  shapes.forEach((sh, i) => {
    let node = 0;
    for (const b of sh.bytes) node = walk(node, b);
    if (sh.tail === "exact") mark(exact, node, i);
    else if (sh.tail === "prefix") mark(settles, node, i);
    else {
      mark(exact, node, i);
      mark(settles, walk(node, sh.sep), i);
    }
  });
  const nNodes = parent.length;

  // Columns: each byte some pattern spells gets its own; all others share one.
  const byteClass = new Uint8Array(256);
  let k = 0;
  let other = -1;
  for (let b = 0; b < 256; b++) {
    if (used[b]) byteClass[b] = k++;
    else byteClass[b] = other >= 0 ? other : (other = k++);
  }

  // Per node: settled set (inherited from the parent) and accept set, as interned ids.
  const sets = new SeqInterner();
  const settled = new Int32Array(nNodes);
  const acceptId = new Int32Array(2 * nNodes); // nodes, then at most one sink per node
  let scratch = new Int32Array(16);
  /** Interns the ascending union of set `id` and the ascending list `add`. */
  const union = (id: number, add: readonly number[]): number => {
    const pool = sets.pool();
    let i = sets.offset(id);
    const ie = i + sets.length(id);
    if (scratch.length < ie - i + add.length) scratch = new Int32Array(2 * (ie - i + add.length));
    let j = 0;
    let n = 0;
    while (i < ie || j < add.length) {
      const x = j >= add.length || (i < ie && pool[i]! <= add[j]!) ? pool[i++]! : add[j++]!;
      if (n === 0 || scratch[n - 1] !== x) scratch[n++] = x;
    }
    return sets.intern(scratch, 0, n);
  };
  const emptyId = sets.intern(scratch, 0, 0);
  for (let n = 0; n < nNodes; n++) {
    const base = n === 0 ? emptyId : settled[parent[n]!]!;
    const s = settles.get(n);
    settled[n] = s === undefined ? base : union(base, s);
    const e = exact.get(n);
    acceptId[n] = e === undefined ? settled[n]! : union(settled[n]!, e);
  }

  // Falling off the trie leads to an absorbing state that keeps the settled patterns.
  const sinkOf = new Map<number, number>();
  for (let n = 0; n < nNodes; n++) {
    if (!sinkOf.has(settled[n]!)) sinkOf.set(settled[n]!, nNodes + sinkOf.size);
  }
  const nStates = nNodes + sinkOf.size;
  if (nStates > maxStates) throw new DfaTooLarge("states", maxStates);
  const next = new Uint32Array(nStates * k);
  for (let n = 0; n < nNodes; n++) next.fill(sinkOf.get(settled[n]!)!, n * k, (n + 1) * k);
  for (const [set, s] of sinkOf) {
    next.fill(s, s * k, (s + 1) * k);
    acceptId[s] = set;
  }
  for (let n = 1; n < nNodes; n++) next[parent[n]! * k + byteClass[edgeByte[n]!]!] = n;

  const acceptSets = sets.toArrays();
  const raw: RawDfa = { nStates, nColumns: k, next, acceptId: acceptId.subarray(0, nStates), acceptSets };
  return finishDfa(raw, byteClass);
}
