// Glob syntax (`*`, `**`, `?`, `[...]`, `{a,b}`, `\x`) parsed into a byte-level Pat, full-match.
//
// Semantics (a glob must match the WHOLE value):
//   *        any run of bytes except "/" (a run of 2+ stars that is not a whole
//            path component means the same)
//   **       as a whole path component: any run of bytes including "/";
//            "**/" also matches zero directories, so "**/.ssh/**" matches
//            "/home/u/.ssh/id_rsa" and "/.ssh/x", and "/a/**" matches "/a/b/c"
//            and "/a/" (not "/a": use `under` for a directory and its contents)
//   ?        one byte except "/" (one BYTE: a non-ASCII character is several)
//   [abc] [a-z] [!a-z] [^a-z]   one byte out of a set, never "/"; ASCII only
//   {a,b,c}  alternation, may nest; inside braces the start and end of an
//            alternative count as component boundaries when the braces do
//   \x       the character x itself
// Other characters match their UTF-8 bytes.

import { type ByteSet, addByte, addRange, complement, emptySet, isEmptySet, setOf, minus } from "./byteset.js";
import type { ParseResult, PatternError } from "./errors.js";
import { type Pat, anyOf, anyString, bytes, byte, empty, opt, seq, seqOf, star } from "./pattern.js";
import { codePointBytes, isSurrogate } from "./utf8.js";

const SLASH = 0x2f;
const MAX_BRACE_DEPTH = 64;
const NOT_SLASH = complement(setOf(SLASH));

type Item =
  | { t: "lit"; bytes: number[] }
  | { t: "slash" }
  | { t: "stars"; n: number }
  | { t: "one" }
  | { t: "class"; set: ByteSet }
  | { t: "brace"; alts: Item[][] };

class GlobError extends Error {
  constructor(readonly detail: PatternError) {
    super(detail.message);
  }
}

/** Brace expansion beyond this many alternatives is an error, not a slow compile. */
const MAX_ALTERNATIVES = 1024;

export function parseGlob(src: string): ParseResult {
  try {
    const p = new GlobParser(src);
    const items = p.parseSeq(0);
    // Braces expand first, like a shell: "/{a,**}/x" is "/a/x" or "/**/x", so
    // each alternative's stars see the slashes around the braces.
    const expanded = expandBraces(items);
    if (expanded === null) {
      return { error: { code: "bad-glob", message: `the braces expand to more than ${MAX_ALTERNATIVES} alternatives`, offset: 0, hint: "split the glob into a list of simpler globs" } };
    }
    return { pat: anyOf(expanded.map((alt) => toPat(alt, true, true))) };
  } catch (e) {
    if (e instanceof GlobError) return { error: e.detail };
    throw e;
  }
}

/** Every brace-free item sequence the braces in `items` stand for; null if too many. */
function expandBraces(items: Item[]): Item[][] | null {
  let out: Item[][] = [[]];
  for (const it of items) {
    if (it.t !== "brace") {
      for (const o of out) o.push(it);
      continue;
    }
    const alts: Item[][] = [];
    for (const a of it.alts) {
      const e = expandBraces(a);
      if (e === null) return null;
      alts.push(...e);
    }
    if (out.length * alts.length > MAX_ALTERNATIVES) return null;
    out = out.flatMap((o) => alts.map((a) => [...o, ...a]));
  }
  return out;
}

class GlobParser {
  private i = 0;
  constructor(private readonly src: string) {}

  private fail(offset: number, message: string, hint: string): never {
    throw new GlobError({ code: "bad-glob", message, offset, hint });
  }

  /** The code point at i and its width in UTF-16 units. */
  private peek(): [number, number] {
    const cp = this.src.codePointAt(this.i)!;
    if (isSurrogate(cp)) this.fail(this.i, "unpaired UTF-16 surrogate in glob", "the glob text must be valid Unicode");
    return [cp, cp > 0xffff ? 2 : 1];
  }

  /** Items up to the end of input, or (inside braces) up to an unconsumed "," or "}". */
  parseSeq(depth: number): Item[] {
    const items: Item[] = [];
    const src = this.src;
    while (this.i < src.length) {
      const ch = src[this.i]!;
      if (depth > 0 && (ch === "," || ch === "}")) break;
      if (ch === "}") this.fail(this.i, "unmatched `}`", "escape a literal brace as `\\}`");
      if (ch === "*") {
        const from = this.i;
        while (src[this.i] === "*") this.i++;
        items.push({ t: "stars", n: this.i - from });
      } else if (ch === "?") {
        this.i++;
        items.push({ t: "one" });
      } else if (ch === "[") {
        items.push({ t: "class", set: this.parseClass() });
      } else if (ch === "{") {
        items.push(this.parseBrace(depth));
      } else if (ch === "/") {
        this.i++;
        items.push({ t: "slash" });
      } else if (ch === "\\") {
        this.i++;
        if (this.i >= src.length) this.fail(this.i - 1, "the glob ends with a lone `\\`", "write `\\\\` for a literal backslash");
        const [cp, w] = this.peek();
        this.i += w;
        items.push(cp === SLASH ? { t: "slash" } : { t: "lit", bytes: codePointBytes(cp) });
      } else {
        const [cp, w] = this.peek();
        this.i += w;
        items.push({ t: "lit", bytes: codePointBytes(cp) });
      }
    }
    return items;
  }

  private parseBrace(depth: number): Item {
    const open = this.i++;
    if (depth + 1 > MAX_BRACE_DEPTH) this.fail(open, `braces nested deeper than ${MAX_BRACE_DEPTH}`, "flatten the alternatives");
    if (this.src[this.i] === "}") this.fail(open, "empty `{}`", "write `\\{\\}` for literal braces");
    const alts: Item[][] = [];
    for (;;) {
      alts.push(this.parseSeq(depth + 1));
      const ch = this.src[this.i];
      if (ch === undefined) this.fail(open, "unclosed `{`", "close the alternation with `}` or escape the brace as `\\{`");
      this.i++;
      if (ch === "}") return { t: "brace", alts };
    }
  }

  private parseClass(): ByteSet {
    const src = this.src;
    const open = this.i++;
    let negate = false;
    if (src[this.i] === "!" || src[this.i] === "^") {
      negate = true;
      this.i++;
    }
    const set = emptySet();
    let first = true;
    for (;;) {
      if (this.i >= src.length) this.fail(open, "unclosed `[`", "close the set with `]` or escape the bracket as `\\[`");
      // `]` right after `[` or `[!` is a literal, as in POSIX.
      if (src[this.i] === "]" && !first) break;
      first = false;
      const lo = this.classChar();
      if (src[this.i] === "-" && this.i + 1 < src.length && src[this.i + 1] !== "]") {
        const dash = this.i++;
        const hi = this.classChar();
        if (hi < lo) this.fail(dash, "range out of order in `[...]`", "write the lower bound first, e.g. `[a-z]`");
        addRange(set, lo, hi);
      } else {
        addByte(set, lo);
      }
    }
    this.i++;
    // A bracket expression never matches the separator, even negated or through a range.
    const result = minus(negate ? complement(set) : set, setOf(SLASH));
    if (isEmptySet(result)) this.fail(open, "`[...]` matches no byte", "a set never matches `/`; list the bytes to match");
    return result;
  }

  /** One (possibly escaped) ASCII character inside [...], as a byte. */
  private classChar(): number {
    const at = this.i;
    if (this.src[this.i] === "\\") {
      this.i++;
      if (this.i >= this.src.length) this.fail(at, "unclosed `[`", "close the set with `]`");
    }
    const [cp, w] = this.peek();
    if (cp > 0x7f) {
      this.fail(this.i, "non-ASCII character inside `[...]`", "a set matches one byte; use alternation instead, e.g. `{é,è}`");
    }
    if (cp === SLASH) this.fail(this.i, "`/` inside `[...]`", "a set never matches `/`; write the `/` outside the brackets");
    this.i += w;
    return cp;
  }
}

/** Converts items to a Pat; atStart/atEnd say whether the items' edges are path-component boundaries. */
function toPat(items: Item[], atStart: boolean, atEnd: boolean): Pat {
  const out: Pat[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const prevBoundary = i === 0 ? atStart : items[i - 1]!.t === "slash";
    const nextIsSlash = items[i + 1]?.t === "slash";
    const nextBoundary = i === items.length - 1 ? atEnd : nextIsSlash;
    switch (it.t) {
      case "lit":
        out.push(seqOf(it.bytes.map(byte)));
        break;
      case "slash":
        out.push(byte(SLASH));
        break;
      case "one":
        out.push(bytes(NOT_SLASH));
        break;
      case "class":
        out.push(bytes(it.set));
        break;
      case "stars":
        if (it.n >= 2 && prevBoundary && nextIsSlash) {
          // "**/": zero or more whole directories.
          out.push(opt(seq(anyString(), byte(SLASH))));
          i++;
        } else if (it.n >= 2 && prevBoundary && nextBoundary) {
          out.push(anyString());
        } else {
          out.push(star(bytes(NOT_SLASH)));
        }
        break;
      case "brace":
        out.push(anyOf(it.alts.map((a) => toPat(a, prevBoundary, nextBoundary))));
        break;
    }
  }
  return out.length === 0 ? empty() : seqOf(out);
}
