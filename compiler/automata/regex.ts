// JS-like regular expressions parsed into a byte-level Pat with SEARCH semantics.
//
// Decisions (see also the `Semantics` notes in index.ts):
//   - The value matches when the regex matches ANYWHERE in it: the language is
//     .*R.* unless R is anchored with ^ (start) and/or $ (end). ^ is accepted
//     only at the start of the regex or of a top-level alternative, $ only at
//     the end of one; anywhere else it is regex-unsupported.
//   - `.` matches ANY byte, newline included. A deny rule such as
//     /curl.*\|.*sh/ must not be evaded by putting a newline in the command.
//   - Everything is byte-level: `.`, `[^...]` and `\D \W \S` match one byte,
//     so /^.$/ does not match "é" (two bytes). Non-ASCII literals match their
//     UTF-8 bytes; \xHH is the raw byte HH (JS would mean U+00HH), and
//     \uHHHH / \u{H..} are the UTF-8 bytes of that code point.
//   - \d \w \s and their negations are ASCII only. The `i` flag folds ASCII
//     letters only. Lazy quantifiers describe the same language as greedy ones.
//   - Not expressible by a DFA, so regex-unsupported: backreferences,
//     lookaround, \b \B, \p{...}, and counts above MAX_REPEAT.

import { type ByteSet, addByte, addRange, complement, emptySet, foldAsciiCase, setOf, union } from "./byteset.js";
import type { ParseResult, PatternError } from "./errors.js";
import { type Pat, anyByte, anyOf, anyString, byte, bytes, empty, patSize, repeat, seq, seqOf } from "./pattern.js";
import { codePointBytes, isSurrogate } from "./utf8.js";

/** Largest count allowed in {n}, {n,} and {n,m}. */
export const MAX_REPEAT = 1000;
/** Largest number of byte positions a regex may expand to. */
export const MAX_REGEX_SIZE = 100_000;
const MAX_GROUP_DEPTH = 100;

// Sticky lexer patterns, matched at the parser's position.
const COUNTED = /\{(\d+)(,(\d*))?\}/y;
const GROUP_NAME = /\?<([A-Za-z_$][A-Za-z0-9_$]*)>/y;
const HEX2 = /[0-9a-fA-F]{2}/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const HEX_BRACED = /\{([0-9a-fA-F]{1,6})\}/y;
const LOW_SURROGATE = /\\u(d[c-f][0-9a-f]{2})/iy;

const DIGIT = rangeOf(0x30, 0x39);
const WORD = union(DIGIT, rangeOf(0x41, 0x5a), rangeOf(0x61, 0x7a), setOf(0x5f));
const SPACE = setOf(0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d);
const CLASS_ESCAPES: Record<string, ByteSet> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const SIMPLE_QUANTIFIERS: Record<string, { min: number; max: number | null }> = {
  "*": { min: 0, max: null },
  "+": { min: 1, max: null },
  "?": { min: 0, max: 1 },
};
const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, t: 0x09, r: 0x0d, f: 0x0c, v: 0x0b };
const FLAG_HINTS: Record<string, string> = {
  s: "`.` already matches every byte, newline included; drop the flag",
  m: "^ and $ always mean the start and end of the whole value; drop the flag",
  g: "a regex condition always searches the whole value; drop the flag",
  y: "a regex condition always searches the whole value; drop the flag",
  u: "patterns always match bytes, non-ASCII characters as UTF-8; drop the flag",
  v: "patterns always match bytes, non-ASCII characters as UTF-8; drop the flag",
};

function rangeOf(lo: number, hi: number): ByteSet {
  const s = emptySet();
  addRange(s, lo, hi);
  return s;
}

class RegexError extends Error {
  constructor(readonly detail: PatternError) {
    super(detail.message);
  }
}

/**
 * Parses `src` (the text between the slashes) with `flags`. Error offsets are
 * UTF-16 indexes into src; a bad flag at flags[j] is reported at
 * src.length + 1 + j, i.e. where it stands in `/src/flags` counted from after
 * the opening slash.
 */
export function parseRegex(src: string, flags: string): ParseResult {
  try {
    let fold = false;
    for (let j = 0; j < flags.length; j++) {
      const f = flags[j]!;
      const at = src.length + 1 + j;
      if (f !== "i") fail("bad-regex", at, `unsupported regex flag \`${f}\``, FLAG_HINTS[f] ?? "the only flag is `i` (ASCII case-insensitive)");
      if (fold) fail("bad-regex", at, "regex flag `i` given twice", "write it once");
      fold = true;
    }
    const pat = new RegexParser(src, fold).parseTop();
    if (patSize(pat) > MAX_REGEX_SIZE) {
      fail("regex-unsupported", 0, `the regex expands to more than ${MAX_REGEX_SIZE} byte positions`, "lower the repetition counts");
    }
    return { pat };
  } catch (e) {
    if (e instanceof RegexError) return { error: e.detail };
    throw e;
  }
}

function fail(code: PatternError["code"], offset: number, message: string, hint: string): never {
  throw new RegexError({ code, message, offset, hint });
}

/** A parsed escape: one byte value (may take part in ranges) or a class like \d. */
type Escaped = { byte: number } | { cp: number } | { set: ByteSet };

class RegexParser {
  private i = 0;
  private depth = 0;
  private readonly names = new Set<string>();
  constructor(
    private readonly src: string,
    private readonly fold: boolean,
  ) {}

  private get ch(): string | undefined {
    return this.src[this.i];
  }

  /** Matches a sticky regex at i without consuming. */
  private match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.i;
    return re.exec(this.src);
  }

  /** Top level: alternatives, each optionally anchored, each searched for unless anchored. */
  parseTop(): Pat {
    const alts: Pat[] = [];
    for (;;) {
      const atStart = this.ch === "^";
      if (atStart) this.i++;
      const { pat, atEnd } = this.parseSeq(true);
      alts.push(seq(atStart ? empty() : anyString(), pat, atEnd ? empty() : anyString()));
      if (this.ch === undefined) return anyOf(alts);
      if (this.ch === ")") fail("bad-regex", this.i, "unmatched `)`", "remove it or escape it as `\\)`");
      this.i++; // "|"
    }
  }

  /** Alternatives inside a group, up to (not including) ")". */
  private parseAlts(): Pat {
    const alts: Pat[] = [this.parseSeq(false).pat];
    while (this.ch === "|") {
      this.i++;
      alts.push(this.parseSeq(false).pat);
    }
    return anyOf(alts);
  }

  /** Terms up to "|", ")" or the end; at top level a final "$" sets atEnd. */
  private parseSeq(top: boolean): { pat: Pat; atEnd: boolean } {
    const parts: Pat[] = [];
    for (;;) {
      const c = this.ch;
      if (c === undefined || c === "|" || c === ")") return { pat: seqOf(parts), atEnd: false };
      if (c === "^") {
        fail("regex-unsupported", this.i, "`^` in the middle of a regex", "`^` is supported only at the start of the regex or of a top-level alternative");
      }
      if (c === "$") {
        const after = this.src[this.i + 1];
        if (top && (after === undefined || after === "|")) {
          this.i++;
          return { pat: seqOf(parts), atEnd: true };
        }
        fail("regex-unsupported", this.i, "`$` in the middle of a regex", "`$` is supported only at the end of the regex or of a top-level alternative");
      }
      parts.push(this.parseQuantified(this.parseAtom()));
    }
  }

  /** Applies any quantifier following an atom. */
  private parseQuantified(atom: Pat): Pat {
    const q = this.parseQuantifier();
    if (q === null) return atom;
    if (this.ch === "?") this.i++; // lazy: same language
    if (this.isQuantifierStart()) fail("bad-regex", this.i, "nothing to repeat", "a quantifier cannot follow another; group first, e.g. `(?:a+)*`");
    return repeat(atom, q.min, q.max);
  }

  private isQuantifierStart(): boolean {
    const c = this.ch;
    if (c === "*" || c === "+" || c === "?") return true;
    return c === "{" && this.match(COUNTED) !== null;
  }

  private parseQuantifier(): { min: number; max: number | null } | null {
    const simple = SIMPLE_QUANTIFIERS[this.ch ?? ""];
    if (simple !== undefined) {
      this.i++;
      return simple;
    }
    if (this.ch !== "{") return null;
    const m = this.match(COUNTED);
    if (m === null) fail("bad-regex", this.i, "lone `{`", "escape a literal brace as `\\{`");
    const at = this.i;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? null : Number(m[3]);
    if (min > MAX_REPEAT || (max !== null && max > MAX_REPEAT)) {
      fail("regex-unsupported", at, `repetition count above ${MAX_REPEAT}`, `counts are limited to ${MAX_REPEAT}; use \`*\` or \`+\` for "any number"`);
    }
    if (max !== null && max < min) fail("bad-regex", at, "numbers out of order in `{}` quantifier", "write the smaller count first");
    this.i += m[0].length;
    return { min, max };
  }

  private parseAtom(): Pat {
    const at = this.i;
    const c = this.ch!;
    if (c === "(") return this.parseGroup();
    if (c === "[") return this.parseClass();
    if (c === ".") {
      this.i++;
      return anyByte();
    }
    if (c === "\\") {
      const e = this.parseEscape(false);
      if ("set" in e) return bytes(this.folded(e.set));
      return "byte" in e ? this.literalCodePoint(e.byte, true) : this.literalCodePoint(e.cp, false);
    }
    if (c === "*" || c === "+" || c === "?" || this.isQuantifierStart()) {
      fail("bad-regex", at, "nothing to repeat", `escape the character as \`\\${c}\` to match it literally`);
    }
    if (c === "{" || c === "}" || c === "]") fail("bad-regex", at, `lone \`${c}\``, `escape it as \`\\${c}\``);
    const cp = this.src.codePointAt(this.i)!;
    if (isSurrogate(cp)) fail("bad-regex", at, "unpaired UTF-16 surrogate", "the regex text must be valid Unicode");
    this.i += cp > 0xffff ? 2 : 1;
    return this.literalCodePoint(cp, false);
  }

  /** A literal: raw byte (from \xHH) or code point (UTF-8 bytes); ASCII letters folded under `i`. */
  private literalCodePoint(v: number, raw: boolean): Pat {
    if (raw || v < 0x80) return this.fold ? bytes(foldAsciiCase(setOf(v))) : byte(v);
    return seqOf(codePointBytes(v).map(byte));
  }

  private folded(s: ByteSet): ByteSet {
    return this.fold ? foldAsciiCase(s) : s;
  }

  private parseGroup(): Pat {
    const open = this.i++;
    const rest = this.src.slice(this.i, this.i + 3);
    if (rest.startsWith("?")) {
      if (rest.startsWith("?:")) {
        this.i += 2;
      } else if (rest.startsWith("?=") || rest.startsWith("?!") || rest.startsWith("?<=") || rest.startsWith("?<!")) {
        fail("regex-unsupported", open, "lookaround is not supported", "a DFA cannot look ahead or behind; match the context explicitly or split the rule in two conditions");
      } else if (rest.startsWith("?<")) {
        this.parseGroupName(open);
      } else if (/^\?[a-zA-Z-]/.test(rest)) {
        fail("regex-unsupported", open, "inline modifiers are not supported", "use the `i` flag on the whole regex");
      } else {
        fail("bad-regex", open, "invalid group", "write `(...)`, `(?:...)` or `(?<name>...)`");
      }
    }
    if (++this.depth > MAX_GROUP_DEPTH) fail("regex-unsupported", open, `groups nested deeper than ${MAX_GROUP_DEPTH}`, "simplify the regex");
    const inner = this.parseAlts();
    if (this.ch !== ")") fail("bad-regex", open, "unclosed `(`", "close the group with `)` or escape it as `\\(`");
    this.i++;
    this.depth--;
    return inner;
  }

  private parseGroupName(open: number): void {
    const m = this.match(GROUP_NAME);
    if (m === null) fail("bad-regex", open, "invalid group name", "a group name is an identifier: `(?<name>...)`");
    if (this.names.has(m[1]!)) fail("bad-regex", open, `duplicate group name \`${m[1]}\``, "give each group its own name");
    this.names.add(m[1]!);
    this.i += m[0].length;
  }

  /** [...] : one byte out of a set; negated sets are complemented over all 256 bytes. */
  private parseClass(): Pat {
    const open = this.i++;
    let negate = false;
    if (this.ch === "^") {
      negate = true;
      this.i++;
    }
    const set = emptySet();
    for (;;) {
      if (this.ch === undefined) fail("bad-regex", open, "unclosed `[`", "close the class with `]` or escape it as `\\[`");
      if (this.ch === "]") break;
      const loAt = this.i;
      const lo = this.classAtom();
      if (this.ch === "-" && this.src[this.i + 1] !== "]" && this.src[this.i + 1] !== undefined) {
        this.i++;
        const hi = this.classAtom();
        if (typeof lo !== "number" || typeof hi !== "number") {
          fail("bad-regex", loAt, "invalid range in character class", "a range needs single characters on both sides; escape `-` as `\\-`");
        }
        if (hi < lo) fail("bad-regex", loAt, "range out of order in character class", "write the lower bound first, e.g. `[a-z]`");
        addRange(set, lo, hi);
      } else if (typeof lo === "number") {
        addByte(set, lo);
      } else {
        for (let w = 0; w < 8; w++) set[w]! |= lo[w]!;
      }
    }
    this.i++;
    const folded = this.folded(set);
    return bytes(negate ? complement(folded) : folded);
  }

  /** One class member: a byte value, or a set for \d \w \s and negations. */
  private classAtom(): number | ByteSet {
    const at = this.i;
    if (this.ch === "\\") {
      const e = this.parseEscape(true);
      if ("set" in e) return e.set;
      if ("byte" in e) return e.byte;
      if (e.cp > 0x7f) this.nonAsciiInClass(at);
      return e.cp;
    }
    const cp = this.src.codePointAt(this.i)!;
    if (cp > 0x7f) this.nonAsciiInClass(at);
    this.i++;
    return cp;
  }

  private nonAsciiInClass(at: number): never {
    fail("regex-unsupported", at, "non-ASCII character in a character class", "a class matches one byte; use an alternation such as `(?:é|è)`, or \\xHH for raw bytes");
  }

  /** Parses "\..." at i. inClass: \b means backspace and \B, \1.. are errors. */
  private parseEscape(inClass: boolean): Escaped {
    const at = this.i++;
    const c = this.ch;
    if (c === undefined) fail("bad-regex", at, "`\\` at the end of the regex", "write `\\\\` for a literal backslash");
    this.i++;
    const cls = CLASS_ESCAPES[c];
    if (cls !== undefined) return { set: cls };
    const ctl = CONTROL_ESCAPES[c];
    if (ctl !== undefined) return { cp: ctl };
    if (c === "b" && inClass) return { cp: 0x08 };
    if (c === "b" || c === "B") {
      fail("regex-unsupported", at, `word boundary \`\\${c}\` is not supported`, "match the neighbouring characters explicitly, e.g. `(^|\\W)word(\\W|$)`");
    }
    if (c === "p" || c === "P") {
      fail("regex-unsupported", at, "unicode property escapes are not supported", "list the bytes in a class, e.g. `[A-Za-z]`");
    }
    if (c === "k") fail("regex-unsupported", at, "backreferences are not supported", "a DFA cannot remember text; repeat the pattern instead");
    if (c >= "1" && c <= "9") {
      if (inClass) fail("bad-regex", at, `invalid escape \`\\${c}\` in a class`, "write the character itself or \\xHH");
      fail("regex-unsupported", at, "backreferences are not supported", "a DFA cannot remember text; repeat the pattern instead");
    }
    if (c === "0") {
      if (this.ch !== undefined && this.ch >= "0" && this.ch <= "9") fail("bad-regex", at, "octal escapes are not supported", "write \\xHH");
      return { cp: 0 };
    }
    if (c === "x") {
      const m = this.match(HEX2);
      if (m === null) fail("bad-regex", at, "invalid `\\x` escape", "write exactly two hex digits, e.g. `\\x2f`");
      this.i += 2;
      return { byte: parseInt(m[0], 16) };
    }
    if (c === "u") return { cp: this.parseUnicodeEscape(at) };
    if (c === "c") {
      const l = this.ch;
      if (l === undefined || !/[A-Za-z]/.test(l)) fail("bad-regex", at, "invalid `\\c` escape", "write `\\c` followed by a letter, e.g. `\\cJ`");
      this.i++;
      return { cp: l.charCodeAt(0) & 31 };
    }
    if (/[!-/:-@[-`{-~]/.test(c)) return { cp: c.charCodeAt(0) };
    fail("bad-regex", at, `unknown escape \`\\${c}\``, "only punctuation may be escaped; write letters and digits without `\\`");
  }

  /** \uHHHH (with surrogate pairs) or \u{H...}; i is just past "u". */
  private parseUnicodeEscape(at: number): number {
    const braced = this.match(HEX_BRACED);
    if (braced !== null) {
      const cp = parseInt(braced[1]!, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail("bad-regex", at, "invalid code point in `\\u{...}`", "use a code point up to 10FFFF, not a surrogate");
      this.i += braced[0].length;
      return cp;
    }
    const four = this.match(HEX4);
    if (four === null) fail("bad-regex", at, "invalid `\\u` escape", "write `\\uHHHH` or `\\u{H...}`");
    this.i += 4;
    const hi = parseInt(four[0], 16);
    if (hi >= 0xd800 && hi <= 0xdbff) {
      const lo = this.match(LOW_SURROGATE);
      if (lo !== null) {
        this.i += 6;
        return 0x10000 + ((hi - 0xd800) << 10) + (parseInt(lo[1]!, 16) - 0xdc00);
      }
    }
    if (isSurrogate(hi)) fail("bad-regex", at, "unpaired surrogate in `\\u` escape", "write the code point as `\\u{H...}`");
    return hi;
  }
}
