// Diagnostics are data: a stable code, a severity, a position, a message and a
// hint. Rendering (caret snippet or JSON) is separate, in render().

import type { Loc } from "./ast.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  code: string; // stable, kebab-case: "unknown-field"
  severity: Severity;
  message: string;
  hint?: string;
  loc: Loc;
}

/** Every diagnostic code the compiler can emit, with one line on what it means. */
export const CODES = {
  "syntax-error": "the text does not follow the grammar",
  "yaml-error": "the YAML document is malformed or has the wrong shape",
  "missing-header": 'the policy does not start with `policy "name" version "x.y.z"`',
  "bad-version": "the version is not semantic (x.y.z)",
  "missing-default": "the policy has no `default allow|deny|ask`",
  "duplicate-default": "`default` is given twice",
  "duplicate-name": "two consts, lists or rules share a name",
  "undefined-name": "a name is used that no const or list defines",
  "unknown-kind": "an action kind that does not exist",
  "unknown-field": "a field no kind has",
  "field-not-in-kind": "a field used with a kind that lacks it",
  "type-mismatch": "an operator or value that does not fit the field's type",
  "bad-regex": "a regular expression that does not parse",
  "regex-unsupported": "a regex construct a DFA cannot express (backreference, lookaround)",
  "bad-glob": "a glob that does not parse",
  "never-matches": "a pattern that can never match a value of its field",
  "bad-ip": "an IP address or CIDR that does not parse",
  "bad-number": "a number out of range for its field",
  "env-unset": "env() of an unset variable with no default",
  "bad-timeout": "a timeout on a rule that is not `ask`, or an impossible duration",
  "empty-list": "an empty list, which can never match",
  "shadowed-rule": "an allow/ask/flag rule that a broader deny always overrides",
  "example-failed": "an inline example evaluated to another decision",
  "too-large": "the policy exceeds a size limit of the bytecode format",
  "backstop-wide": "a rule's condition has no fixed directory, so the kernel backstop grants a right on /",
} as const;

export type Code = keyof typeof CODES;

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(code: Code, loc: Loc, message: string, hint?: string): void {
    this.list.push({ code, severity: "error", message, hint, loc });
  }
  warning(code: Code, loc: Loc, message: string, hint?: string): void {
    this.list.push({ code, severity: "warning", message, hint, loc });
  }
  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === "error");
  }
}

/** Thrown by a stage that cannot go on; carries everything collected so far. */
export class CompileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.loc.file}:${d.loc.start.line}:${d.loc.start.col}: ${d.code}: ${d.message}`).join("\n"));
    this.name = "CompileError";
  }
}

/**
 * rustc-style rendering:
 *   policies/x.trj:3:25: error[unknown-field]: ...
 *      3 | rule a: allow net.connect if hots == "x"
 *        |                              ^^^^
 *     = hint: did you mean `host`?
 */
export function render(d: Diagnostic, source?: string): string {
  const { file, start, end } = d.loc;
  let out = `${file}:${start.line}:${start.col}: ${d.severity}[${d.code}]: ${d.message}\n`;
  if (source !== undefined) {
    const lines = source.split("\n");
    const text = (lines[start.line - 1] ?? "").replace(/\r$/, "").replace(/\t/g, " ");
    const num = String(start.line);
    const pad = " ".repeat(num.length);
    const width = end.line === start.line ? Math.max(1, end.col - start.col) : Math.max(1, text.length - start.col + 1);
    out += `${pad} |\n${num} | ${text}\n${pad} | ${" ".repeat(start.col - 1)}${"^".repeat(width)}\n`;
  }
  if (d.hint) out += `  = hint: ${d.hint}\n`;
  return out;
}

/** The closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
