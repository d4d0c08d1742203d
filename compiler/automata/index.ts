// Public API of the automata library: byte patterns, glob and regex parsers, merged DFAs.
//
// Semantics in one place:
//   - Everything matches raw bytes. Text in a pattern stands for its UTF-8 bytes.
//   - literal / under / globs are FULL-MATCH; regexes SEARCH (.*R.*) unless anchored.
//   - under(dir): dir itself or anything below it, on path-component boundaries.
//   - Regex `.` and negated classes match any byte, newline included, so a deny
//     rule cannot be dodged with a newline. See regex.ts and glob.ts for details.
//   - buildDfa, isSubset and intersects throw DfaTooLarge past their limits
//     (some regexes need exponentially many states); callers turn it into a
//     diagnostic. Parsers never throw: they return { error }.

export type { ByteSet } from "./byteset.js";
export { emptySet, fullSet, setOf, rangeSet, union, complement, minus, hasByte, isEmptySet, foldAsciiCase } from "./byteset.js";
export type { Pat } from "./pattern.js";
export {
  empty,
  nothing,
  bytes,
  byte,
  anyByte,
  anyString,
  literal,
  seq,
  seqOf,
  alt,
  anyOf,
  repeat,
  star,
  plus,
  opt,
  under,
  patSize,
  isEmpty,
} from "./pattern.js";
export { utf8 } from "./utf8.js";
export { parseGlob } from "./glob.js";
export { parseRegex, MAX_REPEAT, MAX_REGEX_SIZE } from "./regex.js";
export type { PatternError, ParseResult } from "./errors.js";
export { DfaTooLarge } from "./errors.js";
export type { Dfa, DfaOptions } from "./dfa.js";
export { buildDfa, runDfa, isSubset, intersects, DEFAULT_MAX_STATES } from "./dfa.js";
