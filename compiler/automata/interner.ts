// Interns int32 sequences (sorted position sets, accept sets) as dense ids, without string keys.

/**
 * Open-addressing hash table over sequences stored back to back in one pool.
 * Ids are assigned 0, 1, 2 ... in first-seen order, which keeps everything
 * built on top deterministic. Views returned by get() stay valid forever:
 * the pool is only ever appended to (growing copies into a new buffer and
 * leaves old views pointing at identical old data).
 */
export class SeqInterner {
  private data = new Int32Array(1024);
  private dataLen = 0;
  private offs = new Int32Array(64);
  private lens = new Int32Array(64);
  private hashes = new Int32Array(64);
  private table = new Int32Array(128).fill(-1);
  size = 0;

  /** Id of src[start, end), adding it if new (check size before and after to tell). */
  intern(src: Int32Array, start: number, end: number): number {
    return this.internHashed(src, start, end, SeqInterner.hash(src, start, end));
  }

  /** intern() with h = SeqInterner.hash(src, start, end) already computed. */
  internHashed(src: Int32Array, start: number, end: number, h: number): number {
    const len = end - start;
    const mask = this.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = this.table[slot]!;
      if (id < 0) return this.add(src, start, end, h, slot);
      if (this.hashes[id] === h && this.lens[id] === len && this.equal(id, src, start, len)) return id;
    }
  }

  /** Where sequence id lives: pool()[offset(id), offset(id) + length(id)). */
  offset(id: number): number {
    return this.offs[id]!;
  }

  length(id: number): number {
    return this.lens[id]!;
  }

  /** The current pool; a later intern may replace it, but old pools keep their data. */
  pool(): Int32Array {
    return this.data;
  }

  /** Every sequence as a plain array, by id. */
  toArrays(): number[][] {
    const out: number[][] = [];
    for (let id = 0; id < this.size; id++) {
      const a: number[] = [];
      for (let x = this.offs[id]!, e = x + this.lens[id]!; x < e; x++) a.push(this.data[x]!);
      out.push(a);
    }
    return out;
  }

  get(id: number): Int32Array {
    const off = this.offs[id]!;
    return this.data.subarray(off, off + this.lens[id]!);
  }

  private equal(id: number, src: Int32Array, start: number, len: number): boolean {
    const off = this.offs[id]!;
    const pool = this.data;
    for (let k = 0; k < len; k++) if (pool[off + k] !== src[start + k]) return false;
    return true;
  }

  private add(src: Int32Array, start: number, end: number, h: number, slot: number): number {
    const id = this.size++;
    const len = end - start;
    if (id === this.offs.length) {
      this.offs = grow(this.offs, id * 2);
      this.lens = grow(this.lens, id * 2);
      this.hashes = grow(this.hashes, id * 2);
    }
    if (this.dataLen + len > this.data.length) this.data = grow(this.data, Math.max(this.data.length * 2, this.dataLen + len));
    for (let k = 0; k < len; k++) this.data[this.dataLen + k] = src[start + k]!;
    this.offs[id] = this.dataLen;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.dataLen += len;
    this.table[slot] = id;
    if (this.size * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.hashes[id]! & mask;
      while (table[slot]! >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }

  static hash(a: Int32Array, start: number, end: number): number {
    return hashRange(a, start, end);
  }
}

export function grow<T extends Int32Array | Uint32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

function hashRange(a: Int32Array, start: number, end: number): number {
  let h = 0x9747b28c ^ (end - start);
  for (let k = start; k < end; k++) {
    h = Math.imul(h ^ a[k]!, 0x5bd1e995);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/**
 * Append-only u32 storage in fixed chunks, copied once into an exact array at
 * the end. Doubling a big table would touch (and page-fault) about twice as
 * much fresh memory, which dominates build time for large DFAs.
 */
export class ChunkedU32 {
  private readonly chunks: Uint32Array[] = [];
  private cur = new Uint32Array(0);
  private used = 0;
  length = 0;
  constructor(private readonly chunkSize = 1 << 16) {}

  /** Appends n zeroed entries; write them at chunk()[at, at + n) where at is the return value. */
  append(n: number): number {
    if (this.used + n > this.cur.length) {
      if (this.used > 0) this.chunks.push(this.cur.subarray(0, this.used));
      this.cur = new Uint32Array(Math.max(this.chunkSize, n));
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.length += n;
    return at;
  }

  /** The chunk the last append() went into. */
  chunk(): Uint32Array {
    return this.cur;
  }

  toArray(): Uint32Array {
    const out = new Uint32Array(this.length);
    let at = 0;
    for (const c of [...this.chunks, this.cur.subarray(0, this.used)]) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
