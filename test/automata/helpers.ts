// Shared helpers for the automata tests: parse-or-throw and one-pattern matching.

import { type Pat, buildDfa, parseGlob, parseRegex, runDfa, utf8 } from "../../compiler/automata/index.js";

export function glob(src: string): Pat {
  const r = parseGlob(src);
  if ("error" in r) throw new Error(`glob ${src}: ${r.error.message}`);
  return r.pat;
}

export function re(src: string, flags = ""): Pat {
  const r = parseRegex(src, flags);
  if ("error" in r) throw new Error(`regex /${src}/${flags}: ${r.error.message}`);
  return r.pat;
}

export function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? utf8(s) : s;
}

/** Full-match test of one pattern against one value. */
export function matches(p: Pat, value: string | Uint8Array): boolean {
  return runDfa(buildDfa([p]), bytesOf(value)).length > 0;
}
