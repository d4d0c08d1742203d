// 256-bit sets of bytes: the alphabet unit every pattern and automaton works in.

/** Bit (b & 31) of word (b >> 5) is set when byte b is in the set. Treat as immutable once built. */
export type ByteSet = Uint32Array;

export function emptySet(): ByteSet {
  return new Uint32Array(8);
}

export function fullSet(): ByteSet {
  return new Uint32Array(8).fill(0xffffffff);
}

export function setOf(...bytes: number[]): ByteSet {
  const s = emptySet();
  for (const b of bytes) addByte(s, b);
  return s;
}

export function rangeSet(lo: number, hi: number): ByteSet {
  const s = emptySet();
  addRange(s, lo, hi);
  return s;
}

/** Mutates s: only for building a set that nobody else holds yet. */
export function addByte(s: ByteSet, b: number): void {
  if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`not a byte: ${b}`);
  s[b >> 5]! |= 1 << (b & 31);
}

/** Mutates s: adds every byte in [lo, hi]. */
export function addRange(s: ByteSet, lo: number, hi: number): void {
  for (let b = lo; b <= hi; b++) addByte(s, b);
}

export function hasByte(s: ByteSet, b: number): boolean {
  return ((s[b >> 5]! >>> (b & 31)) & 1) === 1;
}

export function union(...sets: ByteSet[]): ByteSet {
  const out = emptySet();
  for (const s of sets) for (let w = 0; w < 8; w++) out[w]! |= s[w]!;
  return out;
}

export function complement(s: ByteSet): ByteSet {
  const out = emptySet();
  for (let w = 0; w < 8; w++) out[w] = ~s[w]!;
  return out;
}

export function minus(a: ByteSet, b: ByteSet): ByteSet {
  const out = emptySet();
  for (let w = 0; w < 8; w++) out[w] = a[w]! & ~b[w]!;
  return out;
}

export function isEmptySet(s: ByteSet): boolean {
  for (let w = 0; w < 8; w++) if (s[w] !== 0) return false;
  return true;
}

export function bytesOf(s: ByteSet): number[] {
  const out: number[] = [];
  for (let b = 0; b < 256; b++) if (hasByte(s, b)) out.push(b);
  return out;
}

/** Adds the other case of every ASCII letter in s (the regex `i` flag; non-ASCII is never folded). */
export function foldAsciiCase(s: ByteSet): ByteSet {
  const out = union(s);
  for (let b = 0x41; b <= 0x5a; b++) {
    if (hasByte(s, b) || hasByte(s, b + 0x20)) {
      addByte(out, b);
      addByte(out, b + 0x20);
    }
  }
  return out;
}
