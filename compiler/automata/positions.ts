// Glushkov position automaton of a list of Pats: one position per byte-set leaf, follow sets in CSR form.
//
// A DFA state is then a set of positions (the leaves that could have read the
// last byte), so no epsilon closure is ever computed. Positions are numbered
// in pattern order, which makes accept sets come out sorted for free.

import { type ByteSet, isEmptySet } from "./byteset.js";
import { DfaTooLarge } from "./errors.js";
import { SeqInterner } from "./interner.js";
import type { Pat } from "./pattern.js";

export const MAX_POSITIONS = 1 << 24;
export const MAX_FOLLOW = 1 << 25;

export interface Positions {
  /** Number of real positions; the virtual start position is `count`. */
  count: number;
  setOf: Int32Array; // position -> id of its byte set in `sets`
  owner: Int32Array; // position -> index of the pattern it belongs to
  isLast: Uint8Array; // 1 when its pattern may end right after this position
  followOff: Int32Array; // count + 2 entries; follow(p) = followData[followOff[p], followOff[p+1])
  followData: Int32Array; // sorted, without duplicates, per position
  startAccept: number[]; // patterns that match the empty string, ascending
  sets: ByteSet[]; // distinct byte sets
}

/** Glushkov summary of a sub-pattern. */
interface Frag {
  nullable: boolean;
  first: number[];
  last: number[];
}

const EPS: Frag = { nullable: true, first: [], last: [] };
const NONE: Frag = { nullable: false, first: [], last: [] };

export function buildPositions(patterns: readonly Pat[]): Positions {
  const b = new Builder();
  const startFirst: number[] = [];
  const startAccept: number[] = [];
  const lastOf: number[][] = [];
  patterns.forEach((p, i) => {
    b.owner = i;
    const f = b.build(p);
    if (f.nullable) startAccept.push(i);
    for (const x of f.first) startFirst.push(x);
    lastOf.push(f.last);
  });
  return b.finish(startFirst, startAccept, lastOf);
}

class Builder {
  owner = 0;
  private readonly posSet: number[] = [];
  private readonly posOwner: number[] = [];
  // follow edges recorded lazily as (from-list, to-list) pairs; expanded in finish()
  private readonly linkFrom: number[][] = [];
  private readonly linkTo: number[][] = [];
  private readonly chain: number[] = []; // p -> p + 1 edges of literal runs
  private edges = 0;
  private readonly sets: ByteSet[] = [];
  private readonly setIds = new Map<ByteSet, number>();
  private readonly setInterner = new SeqInterner();

  build(p: Pat): Frag {
    switch (p.kind) {
      case "set":
        return isEmptySet(p.set) ? NONE : this.position(p.set);
      case "seq":
        return this.seq(this.seqParts(p.parts));
      case "alt": {
        const fs = p.alts.map((q) => this.build(q));
        return { nullable: fs.some((f) => f.nullable), first: fs.flatMap((f) => f.first), last: fs.flatMap((f) => f.last) };
      }
      case "repeat":
        return this.repeat(p.body, p.min, p.max);
    }
  }

  private position(set: ByteSet): Frag {
    const pos = this.newPosition(set);
    return { nullable: false, first: [pos], last: [pos] };
  }

  private newPosition(set: ByteSet): number {
    const pos = this.posSet.length;
    if (pos >= MAX_POSITIONS) throw new DfaTooLarge("positions", MAX_POSITIONS);
    this.posSet.push(this.setId(set));
    this.posOwner.push(this.owner);
    return pos;
  }

  /** Dedupes byte sets by object first (shared literal nodes), then by content. */
  private setId(set: ByteSet): number {
    let id = this.setIds.get(set);
    if (id === undefined) {
      const words = new Int32Array(set.buffer, set.byteOffset, 8);
      id = this.setInterner.intern(words, 0, 8);
      if (id === this.sets.length) this.sets.push(set);
      this.setIds.set(set, id);
    }
    return id;
  }

  private link(from: number[], to: number[]): void {
    if (from.length === 0 || to.length === 0) return;
    this.edges += from.length * to.length;
    if (this.edges > MAX_FOLLOW) throw new DfaTooLarge("transitions", MAX_FOLLOW);
    this.linkFrom.push(from);
    this.linkTo.push(to);
  }

  /**
   * Frags of a sequence's parts. A run of single-byte parts (a literal) becomes
   * one frag with its chain edges recorded directly: literal paths are most of
   * a policy, and one frag per byte was most of the garbage.
   */
  private seqParts(parts: readonly Pat[]): Frag[] {
    const out: Frag[] = [];
    for (let i = 0; i < parts.length; ) {
      let j = i;
      while (j < parts.length && parts[j]!.kind === "set" && !isEmptySet((parts[j] as { set: ByteSet }).set)) j++;
      if (j - i >= 2) {
        const p0 = this.posSet.length;
        for (let x = i; x < j; x++) this.newPosition((parts[x] as { set: ByteSet }).set);
        for (let x = p0; x + 1 < p0 + (j - i); x++) this.chain.push(x);
        out.push({ nullable: false, first: [p0], last: [p0 + (j - i) - 1] });
        i = j;
      } else {
        out.push(this.build(parts[i]!));
        i++;
      }
    }
    return out;
  }

  /** Concatenation, linked right to left so "first of the rest" is built once. */
  private seq(fs: Frag[]): Frag {
    let restFirst: number[] = [];
    let last: number[] = [];
    let restNullable = true;
    for (let i = fs.length - 1; i >= 0; i--) {
      const f = fs[i]!;
      this.link(f.last, restFirst);
      if (restNullable) last = f.last.concat(last);
      restFirst = f.nullable ? f.first.concat(restFirst) : f.first;
      restNullable &&= f.nullable;
    }
    return { nullable: restNullable, first: restFirst, last };
  }

  /** body{min,max}: unrolled into copies, each copy with fresh positions. */
  private repeat(body: Pat, min: number, max: number | null): Frag {
    if (max === 0) return EPS;
    const before = this.posSet.length;
    const f0 = this.build(body);
    // A body without positions matches only "" (or nothing): no need to unroll.
    if (this.posSet.length === before) return f0.nullable || min === 0 ? EPS : NONE;
    const copies = (n: number): Frag[] => {
      const out = [f0];
      for (let k = 1; k < n; k++) out.push(this.build(body));
      return out;
    };
    if (max === null) {
      // body{min,}: min-1 plain copies, then one copy that loops (body+), or body* for min 0.
      const fs = copies(Math.max(1, min));
      const loop = fs[fs.length - 1]!;
      this.link(loop.last, loop.first);
      if (min === 0) return { nullable: true, first: loop.first, last: loop.last };
      return this.seq(fs);
    }
    const fs = copies(max);
    // A nullable body makes every copy optional already: body{min,max} = body{max}.
    if (f0.nullable) return this.seq(fs);
    // Optional copies nest as (b(b(b)?)?)?, which keeps follow sets linear in max.
    const opt = fs.slice(min);
    for (let k = 0; k + 1 < opt.length; k++) this.link(opt[k]!.last, opt[k + 1]!.first);
    const chain: Frag = { nullable: true, first: opt[0]?.first ?? [], last: opt.flatMap((f) => f.last) };
    return this.seq([...fs.slice(0, min), chain]);
  }

  finish(startFirst: number[], startAccept: number[], lastOf: number[][]): Positions {
    const count = this.posSet.length;
    const isLast = new Uint8Array(count);
    for (const l of lastOf) for (const x of l) isLast[x] = 1;
    // Counting pass, fill pass, then sort and dedupe each row in place.
    const off = new Int32Array(count + 2);
    for (let k = 0; k < this.linkFrom.length; k++) {
      const n = this.linkTo[k]!.length;
      for (const x of this.linkFrom[k]!) off[x + 1]! += n;
    }
    for (const x of this.chain) off[x + 1]!++;
    off[count + 1] = startFirst.length;
    for (let p = 0; p <= count; p++) off[p + 1]! += off[p]!;
    const data = new Int32Array(off[count + 1]!);
    const cursor = off.slice(0, count + 1);
    for (let k = 0; k < this.linkFrom.length; k++) {
      const to = this.linkTo[k]!;
      for (const x of this.linkFrom[k]!) {
        let c = cursor[x]!;
        for (const y of to) data[c++] = y;
        cursor[x] = c;
      }
    }
    for (const x of this.chain) data[cursor[x]!++] = x + 1;
    data.set(startFirst, off[count]!);
    let w = 0;
    for (let p = 0; p <= count; p++) {
      const a = off[p]!;
      const b = off[p + 1]!;
      if (b - a > 1) data.subarray(a, b).sort();
      off[p] = w;
      const start = w;
      for (let k = a; k < b; k++) {
        const v = data[k]!;
        if (w === start || data[w - 1] !== v) data[w++] = v;
      }
    }
    off[count + 1] = w;
    return {
      count,
      setOf: Int32Array.from(this.posSet),
      owner: Int32Array.from(this.posOwner),
      isLast,
      followOff: off,
      followData: data.subarray(0, w),
      startAccept,
      sets: this.sets,
    };
  }
}
