// Error values of the automata library: parse errors as data, size limits as a thrown class.

import type { Pat } from "./pattern.js";

/** A glob or regex that cannot be compiled. `offset` is a UTF-16 index into the source text. */
export interface PatternError {
  code: "bad-glob" | "bad-regex" | "regex-unsupported";
  message: string;
  offset: number;
  hint: string;
}

export type ParseResult = { pat: Pat } | { error: PatternError };

/**
 * Thrown when building an automaton would exceed a size limit. The limit is
 * checked on the automaton before minimization, so a pattern set whose minimal
 * DFA would fit may still be rejected; that is the price of bounding memory.
 */
export class DfaTooLarge extends Error {
  readonly code = "too-large";
  constructor(
    readonly what: "states" | "positions" | "transitions",
    readonly limit: number,
  ) {
    super(`automaton too large: more than ${limit} ${what}`);
    this.name = "DfaTooLarge";
  }
}
