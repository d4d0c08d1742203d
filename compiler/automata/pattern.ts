// Byte-level pattern AST (Pat) and its constructors: what globs, regexes and `under` compile to.
//
// A Pat describes a set of byte strings under FULL-MATCH semantics: the whole
// value must be in the language. Search semantics (regexes) are expressed by
// wrapping with anyString() on either side. Nodes are immutable and may be
// shared (a Pat may be a DAG); every consumer treats each occurrence separately.

import { type ByteSet, fullSet, isEmptySet, setOf } from "./byteset.js";

export type Pat =
  /** exactly one byte from the set (an empty set matches nothing) */
  | { readonly kind: "set"; readonly set: ByteSet }
  /** concatenation; no parts = the empty string */
  | { readonly kind: "seq"; readonly parts: readonly Pat[] }
  /** union; no alternatives = matches nothing */
  | { readonly kind: "alt"; readonly alts: readonly Pat[] }
  /** body repeated min..max times (max null = unbounded) */
  | { readonly kind: "repeat"; readonly body: Pat; readonly min: number; readonly max: number | null };

const SLASH = 0x2f;

const EMPTY: Pat = Object.freeze({ kind: "seq", parts: Object.freeze([]) });
const NOTHING: Pat = Object.freeze({ kind: "alt", alts: Object.freeze([]) });
// One shared node per byte: literal paths are most of a policy, so this keeps
// 10,000 literals from allocating 100,000 byte sets.
const BYTE: Pat[] = Array.from({ length: 256 }, (_, b) => Object.freeze({ kind: "set", set: setOf(b) }));
const ANY_BYTE: Pat = Object.freeze({ kind: "set", set: fullSet() });
const ANY_STRING: Pat = Object.freeze({ kind: "repeat", body: ANY_BYTE, min: 0, max: null });

/** Matches only the empty string. */
export function empty(): Pat {
  return EMPTY;
}

/** Matches no string at all. */
export function nothing(): Pat {
  return NOTHING;
}

/** One byte out of `set`. The caller must not mutate `set` afterwards. */
export function bytes(set: ByteSet): Pat {
  return { kind: "set", set };
}

export function byte(b: number): Pat {
  const p = BYTE[b];
  if (p === undefined || !Number.isInteger(b)) throw new RangeError(`not a byte: ${b}`);
  return p;
}

/** Any single byte, including NUL, newline and bytes >= 0x80. */
export function anyByte(): Pat {
  return ANY_BYTE;
}

/** Any byte string, including the empty one. */
export function anyString(): Pat {
  return ANY_STRING;
}

/** Exactly these bytes. */
export function literal(bs: Uint8Array): Pat {
  return seqOf(Array.from(bs, (b) => BYTE[b]!));
}

/** Concatenation; nested sequences are flattened. */
export function seq(...parts: Pat[]): Pat {
  return seqOf(parts);
}

/** seq() over an array (no argument spreading, so any length works). */
export function seqOf(parts: readonly Pat[]): Pat {
  const out: Pat[] = [];
  for (const p of parts) {
    if (p.kind === "seq") for (const q of p.parts) out.push(q);
    else out.push(p);
  }
  return out.length === 1 ? out[0]! : { kind: "seq", parts: out };
}

/** Union; nested unions are flattened. */
export function alt(...alts: Pat[]): Pat {
  return anyOf(alts);
}

/** Union of a list of patterns (an empty list matches nothing). */
export function anyOf(pats: readonly Pat[]): Pat {
  const out: Pat[] = [];
  for (const p of pats) {
    if (p.kind === "alt") for (const q of p.alts) out.push(q);
    else out.push(p);
  }
  return out.length === 1 ? out[0]! : { kind: "alt", alts: out };
}

/** body repeated min..max times; max null = unbounded. */
export function repeat(body: Pat, min: number, max: number | null): Pat {
  if (!Number.isInteger(min) || min < 0) throw new RangeError(`repeat: bad min ${min}`);
  if (max !== null && (!Number.isInteger(max) || max < min)) throw new RangeError(`repeat: bad max ${max}`);
  return { kind: "repeat", body, min, max };
}

export function star(body: Pat): Pat {
  return repeat(body, 0, null);
}

export function plus(body: Pat): Pat {
  return repeat(body, 1, null);
}

export function opt(body: Pat): Pat {
  return repeat(body, 0, 1);
}

/**
 * `path under dir`: exactly `dir`, or `dir` + "/" + anything. Trailing slashes
 * of dir are ignored, except that a dir made only of slashes is "/", which
 * matches every value starting with "/". The comparison is on raw bytes; the
 * runtime normalizes paths before they get here. An empty dir names no
 * directory and matches nothing (so the compiler reports it as never-matching
 * rather than silently widening it).
 */
export function under(dir: Uint8Array): Pat {
  if (dir.length === 0) return NOTHING;
  let end = dir.length;
  while (end > 1 && dir[end - 1] === SLASH) end--;
  if (end === 1 && dir[0] === SLASH) return seq(BYTE[SLASH]!, ANY_STRING);
  return seq(literal(dir.subarray(0, end)), opt(seq(BYTE[SLASH]!, ANY_STRING)));
}

/**
 * Number of byte positions the pattern expands to once counted repetitions
 * are unrolled (what the automaton builder will allocate). Saturates at
 * Number.MAX_SAFE_INTEGER so nested counts cannot overflow into nonsense.
 */
export function patSize(p: Pat): number {
  switch (p.kind) {
    case "set":
      return 1;
    case "seq":
      return sat(p.parts.reduce((n, q) => n + patSize(q), 0));
    case "alt":
      return sat(p.alts.reduce((n, q) => n + patSize(q), 0));
    case "repeat":
      return sat(patSize(p.body) * Math.max(1, p.max ?? p.min));
  }
}

function sat(n: number): number {
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

/** True when the pattern's language is empty (decided on the structure; exact for this AST). */
export function isEmpty(p: Pat): boolean {
  switch (p.kind) {
    case "set":
      return isEmptySet(p.set);
    case "seq":
      return p.parts.some(isEmpty);
    case "alt":
      return p.alts.every(isEmpty);
    case "repeat":
      return p.min > 0 && isEmpty(p.body);
  }
}
