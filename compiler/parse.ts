// Text front-end: runs the Peggy parser generated from grammar/trajeckt.peggy
// and turns its failures into syntax diagnostics people can act on.
//
// The grammar is loose and builds the AST itself; this file owns everything
// around it: positions (file name, BOM, offsets of embedded conditions), the
// wording of errors ("expected `:` after the rule name `x`"), the hints, and
// the byte convention of string values (stringToBytes and friends).

import type { Cond, Loc, Policy, Pos } from "./ast.js";
import { closest, type Diagnostic } from "./diagnostics.js";

// ------------------------------------------------------------ the generated parser

/** A position as Peggy reports it (1-based line and column, 0-based offset). */
export interface PeggyPos {
  offset: number;
  line: number;
  column: number;
}

interface PeggyLocation {
  source: unknown;
  start: PeggyPos;
  end: PeggyPos;
}

interface PeggyExpectation {
  type: "literal" | "class" | "any" | "end" | "other";
  text?: string;
  description?: string;
}

interface PeggySyntaxError extends Error {
  expected: PeggyExpectation[] | null;
  found: string | null;
  location: PeggyLocation;
}

interface ParseOptions {
  startRule: "policy" | "condition";
  mkLoc: (l: PeggyLocation) => Loc;
  canonical: (s: string) => string;
}

interface GeneratedParser {
  StartRules: string[];
  parse(input: string, options: ParseOptions): unknown;
  SyntaxError: abstract new (...args: never[]) => PeggySyntaxError;
}

const GENERATED = new URL("../build/grammar/trajeckt.js", import.meta.url);
let generated: GeneratedParser | null = null;
let loadFailure = "";
try {
  generated = (await import(GENERATED.href)) as GeneratedParser;
} catch (e) {
  loadFailure = e instanceof Error ? e.message : String(e);
}

function parser(): GeneratedParser {
  if (generated === null) {
    throw new Error(
      `trajeckt: the generated parser ${GENERATED.pathname} cannot be loaded (${loadFailure}); run \`npm run build:grammar\``,
    );
  }
  if (!["policy", "condition"].every((r) => generated!.StartRules.includes(r))) {
    throw new Error(
      `trajeckt: the generated parser ${GENERATED.pathname} was built without the start rules policy,condition; ` +
        "run `npm run build:grammar` (peggy --format es --allowed-start-rules policy,condition ...)",
    );
  }
  return generated;
}

// ---------------------------------------------------------------- the byte convention

/**
 * The bytes a string value stands for. Characters are UTF-8 encoded, except
 * the lone surrogates U+DC80..U+DCFF, which stand for the single raw bytes
 * 0x80..0xFF (written `\x80`..`\xff` in a policy). Any other lone surrogate
 * has no meaning and throws a RangeError (the parsers never produce one).
 */
export function stringToBytes(value: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      out.push(c);
    } else if (c < 0x800) {
      out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(value.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (value.charCodeAt(i + 1) - 0xdc00);
      i++;
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out.push(c - 0xdc00);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      throw new RangeError(`lone surrogate U+${c.toString(16).toUpperCase()} in a string value has no byte meaning`);
    } else {
      out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    }
  }
  return Uint8Array.from(out);
}

/**
 * The canonical string value for some bytes (inverse of stringToBytes): valid
 * UTF-8 becomes characters, every other byte 0x80..0xFF becomes U+DC00+byte.
 */
export function bytesToString(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(b < 0x80 ? b : 0xdc00 + b);
      i++;
      continue;
    }
    let cp = n === 1 ? b : b & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

/**
 * A string literal in trajeckt syntax (with quotes) that stands for exactly
 * these bytes: printable UTF-8 as is, `\" \\ \n \t \r`, other control bytes
 * and bytes outside valid UTF-8 as `\xHH`. For messages and disassembly; it
 * parses back to the same bytes.
 */
export function bytesToDisplay(bytes: Uint8Array): string {
  let out = '"';
  for (const ch of bytesToString(bytes)) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + hex2(c);
    else if (c >= 0xdc80 && c <= 0xdcff) out += "\\x" + hex2(c - 0xdc00);
    else if ((c >= 0x80 && c <= 0x9f) || c === 0xfeff || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e)) {
      out += `\\u{${c.toString(16)}}`;
    } else out += ch;
  }
  return out + '"';
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Length of the valid UTF-8 sequence at i (1..4), or 0 if the byte there starts none. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80; // no overlong forms
    const hi = b0 === 0xed ? 0x9f : 0xbf; // no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The canonical form of a decoded string: `"\xc3\xa9"` and `"é"` are the same value. */
function canonicalString(s: string): string {
  return /[\udc80-\udcff]/.test(s) ? bytesToString(stringToBytes(s)) : s;
}

// ------------------------------------------------------------------------ positions

/**
 * Where the text handed to Peggy sits in the real file. `start` maps the
 * position of a character, `end` the (exclusive) position just after one.
 */
export interface PosMap {
  start(p: PeggyPos): Pos;
  end(p: PeggyPos): Pos;
}

/** Text that starts at `base` in its file (line 1 of the text is on base.line, from base.col). */
export function shiftedBy(base: Pos): PosMap {
  const f = (p: PeggyPos): Pos => ({
    line: p.line + base.line - 1,
    col: p.line === 1 ? p.column + base.col - 1 : p.column,
    offset: p.offset + base.offset,
  });
  return { start: f, end: f };
}

const ORIGIN: Pos = { line: 1, col: 1, offset: 0 };

/**
 * A span of the parsed text as a Loc in the real file. An empty span (a point,
 * e.g. "missing after `and`") is placed with `end` on both sides, so a map that
 * folds text (YAML) never puts its start after its end.
 */
function spanLoc(map: PosMap, file: string, s: PeggyPos, e: PeggyPos): Loc {
  const start = s.offset === e.offset ? map.end(s) : map.start(s);
  const end = map.end(e);
  return { file, start, end: end.offset < start.offset ? start : end };
}

/** Line and column (Peggy's way: lines end at \n, columns count UTF-16 units) of an offset. */
function peggyPos(text: string, offset: number): PeggyPos {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset, line, column: offset - lineStart + 1 };
}

// -------------------------------------------------------------------------- parsing

export interface ParsePolicyResult {
  policy: Policy | null;
  diagnostics: Diagnostic[];
}

export interface ParseConditionResult {
  cond: Cond | null;
  diagnostics: Diagnostic[];
}

/** Parses a whole `.trj` policy. `file` is only used in locations. */
export function parsePolicy(source: string, file: string): ParsePolicyResult {
  // A BOM is not part of the text: columns of line 1 start after it, offsets still count it.
  const bom = source.charCodeAt(0) === 0xfeff;
  const text = bom ? source.slice(1) : source;
  const map = shiftedBy(bom ? { line: 1, col: 1, offset: 1 } : ORIGIN);
  const run = runParser(text, file, map, "policy");
  if (run.error !== null) return { policy: null, diagnostics: [run.error] };
  const { policy, extraDefaults } = run.value as {
    policy: Policy;
    extraDefaults: { decision: string; loc: Loc }[];
  };
  const diagnostics: Diagnostic[] = [];
  const first = policy.default;
  for (const d of extraDefaults) {
    diagnostics.push({
      code: "duplicate-default",
      severity: "error",
      message: `\`default\` is given twice (here \`default ${d.decision}\`)`,
      hint: first ? `the first is \`default ${first.decision}\` at line ${first.loc.start.line}; keep one` : "keep one",
      loc: d.loc,
    });
  }
  return { policy, diagnostics };
}

/** Parses a condition alone (as written after `if`); positions are shifted by `base`. */
export function parseCondition(source: string, file: string, base: Pos): ParseConditionResult {
  return parseConditionMapped(source, file, shiftedBy(base));
}

/** parseCondition with an arbitrary position map (YAML scalars fold and escape their text). */
export function parseConditionMapped(source: string, file: string, map: PosMap): ParseConditionResult {
  const run = runParser(source, file, map, "condition");
  if (run.error !== null) return { cond: null, diagnostics: [run.error] };
  return { cond: run.value as Cond, diagnostics: [] };
}

function runParser(
  text: string,
  file: string,
  map: PosMap,
  startRule: "policy" | "condition",
): { value: unknown; error: null } | { value: null; error: Diagnostic } {
  const p = parser();
  const mkLoc = (l: PeggyLocation): Loc => spanLoc(map, file, l.start, l.end);
  try {
    return { value: p.parse(text, { startRule, mkLoc, canonical: canonicalString }), error: null };
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      // Thousands of nested parentheses or lists: refuse rather than crash.
      const origin = map.start({ offset: 0, line: 1, column: 1 });
      return {
        value: null,
        error: {
          code: "syntax-error", severity: "error", message: "the text is nested too deeply to parse",
          hint: "flatten the nested parentheses or lists", loc: { file, start: origin, end: origin },
        },
      };
    }
    if (!(e instanceof p.SyntaxError)) throw e;
    return { value: null, error: explain(e, { text, file, map, startRule }) };
  }
}

// ------------------------------------------------------------ explaining failures

interface ErrorContext {
  text: string;
  file: string;
  map: PosMap;
  startRule: "policy" | "condition";
}

type TokenKind = "word" | "number" | "string" | "regex" | "punct" | "char";

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const TOP_LEVEL = ["rule", "const", "list", "example", "default", "policy"];

/** Words that cannot name a const, list, rule or field (the grammar has the same list). */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  ...TOP_LEVEL, "version", "if", "reason", "timeout", "and", "or", "not", "in", "under",
  "matches", "any", "true", "false", "allow", "deny", "ask", "flag",
]);
const RESERVED = RESERVED_WORDS;
const DECISION_WORDS = ["allow", "deny", "ask", "flag"];
const DECISION_DESC = "a decision (allow, deny, ask or flag)";
const PUNCT = ["==", "!=", "<=", ">=", "=~", "&&", "||"];

/**
 * A rough tokenizer, used only to describe where an error happened (the token
 * found, the ones before it). It never decides whether the text is valid.
 */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "#" || text.startsWith("//", i)) {
      while (i < n && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const e = text.indexOf("*/", i + 2);
      i = e === -1 ? n : e + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z0-9_]+|\*)|\[[0-9]+\])*/.exec(text.slice(i))!;
      out.push({ kind: "word", text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(text[i + 1] ?? ""))) {
      const m = /^-?[0-9][0-9A-Za-z_.]*(\/[0-9]+)?/.exec(text.slice(i))!;
      out.push({ kind: "number", text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"' && text[j] !== "\n" && text[j] !== "\r") j += text[j] === "\\" ? 2 : 1;
      j = Math.min(n, text[j] === '"' ? j + 1 : j);
      out.push({ kind: "string", text: text.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === "/" && out.at(-1)?.text === "=~") {
      let j = i + 1;
      while (j < n && text[j] !== "/" && text[j] !== "\n" && text[j] !== "\r") j += text[j] === "\\" ? 2 : 1;
      if (text[j] === "/") j++;
      while (j < n && /[A-Za-z]/.test(text[j]!)) j++;
      j = Math.min(n, j);
      out.push({ kind: "regex", text: text.slice(i, j), start: i, end: j });
      i = j;
    } else {
      const p = PUNCT.find((q) => text.startsWith(q, i));
      const t = p ?? String.fromCodePoint(text.codePointAt(i)!);
      out.push({ kind: p || /[-=!<>:,.[\](){}*/&|~]/.test(t) ? "punct" : "char", text: t, start: i, end: i + t.length });
      i += t.length;
    }
  }
  return out;
}

interface Explanation {
  code?: "syntax-error" | "missing-header";
  message: string;
  hint?: string;
  /** Where to point: the found token (default) or just after the previous token. */
  at?: "found" | "after-prev";
}

function explain(err: PeggySyntaxError, ctx: ErrorContext): Diagnostic {
  const { text, file, map } = ctx;
  const at = (start: number, end: number): Loc => spanLoc(map, file, peggyPos(text, start), peggyPos(text, end));

  // Faults the grammar reports itself through error(): the message is final.
  if (err.expected === null) {
    const { start, end } = err.location;
    const sameLine = start.line === end.line;
    return {
      code: "syntax-error",
      severity: "error",
      message: err.message,
      hint: grammarHint(err.message),
      loc: at(start.offset, sameLine ? end.offset : start.offset + 1),
    };
  }

  const offset = err.location.start.offset;
  const tokens = tokenize(text);
  const idx = tokens.findIndex((t) => t.end > offset);
  let found: Token | null = idx === -1 ? null : tokens[idx]!;
  if (found && found.start < offset) found = { ...found, text: found.text.slice(offset - found.start), start: offset };
  const before = tokens.filter((t) => t.end <= offset);
  const prev = before.at(-1) ?? null;
  const expected = describeExpected(err.expected);
  const ex = rewrite({ ctx, found, prev, before, expected });

  // Point just after the previous token when something is missing there (the
  // next token is the next declaration, or the end); at the found token otherwise.
  let loc: Loc;
  const nextDecl = found === null || (found.kind === "word" && TOP_LEVEL.includes(found.text));
  const laterLine = found === null || (prev !== null && text.slice(prev.end, found.start).includes("\n"));
  if (ex.code === "missing-header") loc = found ? at(found.start, found.end) : at(0, 0);
  else if (prev !== null && (ex.at === "after-prev" || (nextDecl && laterLine))) loc = at(prev.end, prev.end);
  else if (found !== null) loc = at(found.start, found.end);
  else loc = at(offset, offset);

  return { code: ex.code ?? "syntax-error", severity: "error", message: ex.message, hint: ex.hint, loc };
}

/** Peggy's expectations as display strings, deduplicated and merged into readable groups. */
function describeExpected(list: PeggyExpectation[]): string[] {
  const set = new Set<string>();
  for (const e of list) {
    if (e.type === "literal") set.add("`" + (e.text ?? "") + "`");
    else if (e.type === "other") set.add(e.description ?? "?");
    else if (e.type === "end") set.add("end of input");
    else set.add("a character");
  }
  if (set.has("a condition")) set.delete("a field name");
  const decl = ["`rule`", "`const`", "`list`", "`example`", "`default`"];
  if (decl.every((d) => set.has(d))) {
    for (const d of decl) set.delete(d);
    set.delete("end of input");
    set.add("a new declaration");
  }
  const order = (s: string): number => (s === "a new declaration" ? 2 : s === "end of input" ? 3 : s.startsWith("`") ? 0 : 1);
  return [...set].sort((a, b) => order(a) - order(b));
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "nothing";
  return items.slice(0, -1).join(", ") + " or " + items.at(-1);
}

function describeToken(t: Token | null): string {
  if (t === null) return "end of input";
  if (t.kind === "string") return t.text.length > 24 ? "a string" : `the string \`${t.text}\``;
  if (t.kind === "regex") return "a regex";
  if (t.kind === "char") {
    const cp = t.text.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp === 0xfeff) {
      return `the character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return "`" + (t.text.length > 24 ? t.text.slice(0, 24) + "…" : t.text) + "`";
}

interface RewriteInput {
  ctx: ErrorContext;
  found: Token | null;
  prev: Token | null;
  before: Token[];
  expected: string[];
}

/** Targeted messages for the common mistakes; the generic "expected X after Y, found Z" otherwise. */
function rewrite(r: RewriteInput): Explanation {
  const { found, prev, before, expected } = r;
  const has = (s: string): boolean => expected.includes(s);
  const f = found?.text ?? "";
  const prev2 = before.at(-2) ?? null;
  const afterPrev = prev ? ` after ${describePrev(prev, prev2)}` : "";
  const generic = `expected ${joinOr(expected)}${afterPrev}, found ${describeToken(found)}`;

  // Missing or misplaced header.
  if (r.ctx.startRule === "policy" && has("`policy`") && prev === null) {
    const guess = found?.kind === "word" ? closest(found.text, ["policy"]) : undefined;
    return {
      code: "missing-header",
      message: found === null
        ? 'the policy is empty: a policy starts with `policy "name" version "x.y.z"`'
        : 'a policy must start with `policy "name" version "x.y.z"`',
      hint: guess ? `did you mean \`${guess}\`?` : 'add a first line such as `policy "my-agent" version "1.0.0"`',
    };
  }

  // C-style operators.
  if (f === "&&" || f === "&") return { message: "`&&` is not an operator; use `and`", hint: "conditions combine with `and`, `or`, `not` and parentheses" };
  if (f === "||" || f === "|") return { message: "`||` is not an operator; use `or`", hint: "conditions combine with `and`, `or`, `not` and parentheses" };
  if (f === "!" && (has("a condition") || has("a comparison operator"))) {
    return { message: "`!` is not an operator; use `not`", hint: "e.g. `not (path under \"/tmp\")`; `!=` compares" };
  }
  if (f === "=" && has("a comparison operator")) {
    return { message: "`=` is not a comparison; use `==`", hint: "`=` only appears in `const` and `list` declarations" };
  }
  if (f === ":" && prev?.text === "default") {
    return { message: "`default` takes no colon", hint: "write `default deny` (or allow, ask)" };
  }

  // A reserved word where a name belongs.
  if (found?.kind === "word" && RESERVED.has(f)) {
    if (has("a name")) {
      return { message: `\`${f}\` is a reserved word and cannot be used as a name`, hint: `choose another name, e.g. \`${f}_1\`; reserved: ${[...RESERVED].join(", ")}` };
    }
    if ((has("a field name") || has("a condition")) && !TOP_LEVEL.includes(f) && !["not", "true", "false"].includes(f)) {
      return { message: `\`${f}\` is a reserved word, not a field name`, hint: "fields are names such as path, exe, host, port, args.amount, argv[1]" };
    }
    if (f === "any" && has("a value")) {
      return { message: "`any` only follows `in`, `under` or `matches`", hint: "e.g. `path matches any secrets`; `==` compares one value" };
    }
    if (f === "not" && has("a comparison operator")) {
      return { message: `\`not\` goes before a comparison, not after the field${prev ? ` \`${prev.text}\`` : ""}`, hint: "e.g. `not (ip in nets)`" };
    }
  }

  // Missing `:` after a rule name.
  if (has("`:`") && prev?.kind === "word" && prev2?.text === "rule") {
    return { message: `expected \`:\` after the rule name \`${prev.text}\`, found ${describeToken(found)}`, hint: `write \`rule ${prev.text}: allow ...\``, at: "after-prev" };
  }

  // A misspelled or missing decision.
  if (has(DECISION_DESC)) {
    const guess = found?.kind === "word" ? closest(found.text, DECISION_WORDS) : undefined;
    return {
      message: `expected ${DECISION_DESC}${afterPrev}, found ${describeToken(found)}`,
      hint: guess ? `did you mean \`${guess}\`?` : "a rule reads `rule name: deny file.* if ...`",
    };
  }

  if (has("an action kind")) {
    return { message: `expected an action kind${afterPrev}, found ${describeToken(found)}`, hint: "e.g. `file.read`, `file.*`, `exec`, `net.connect` or `*`; several are separated by commas" };
  }

  // A regex or an unquoted path where a value belongs.
  if (f === "/" && has("a value")) {
    return { message: `expected a value${afterPrev}, found \`/\``, hint: 'paths and patterns are strings: write "/usr"; a /regex/ is only allowed after `=~`' };
  }

  // A list or parenthesis left open.
  if (has("`]`") && (found === null || (found.kind === "word" && TOP_LEVEL.includes(found.text)))) {
    const open = unclosed(before, "[", "]");
    return { message: "unterminated list: expected `,` or `]`", hint: open ? `the list opened at line ${lineOf(r.ctx, open)} is not closed` : "close the list with `]`", at: "after-prev" };
  }
  if (has("`]`") && found !== null && prev?.text !== "," && prev?.text !== "[") {
    return { message: generic, hint: "separate list items with `,` and close the list with `]`" };
  }
  if (has("`)`") && (found === null || (found.kind === "word" && TOP_LEVEL.includes(found.text)))) {
    const open = unclosed(before, "(", ")");
    return { message: "expected `)`: a parenthesis is not closed", hint: open ? `the \`(\` at line ${lineOf(r.ctx, open)} is not closed` : "close it with `)`", at: "after-prev" };
  }
  if (has("`}`") && (found === null || (found.kind === "word" && TOP_LEVEL.includes(found.text)))) {
    return { message: "unterminated example: expected `,` or `}`", hint: "close the example's fields with `}`", at: "after-prev" };
  }

  // A condition without `if`.
  if (has("`if`") && found?.kind === "word" && !RESERVED.has(f)) {
    const guess = closest(f, ["if", "reason", "timeout", ...TOP_LEVEL.filter((k) => k !== "policy")]);
    if (guess) return { message: generic, hint: `did you mean \`${guess}\`?` };
    return { message: `expected \`if\` before the condition, found ${describeToken(found)}`, hint: `a condition starts with \`if\`: \`... if ${f} ...\`` };
  }

  // Header parts.
  if (has("a string") && (prev?.text === "policy" || prev?.text === "version")) {
    const what = prev.text === "policy" ? "the policy name" : "the version";
    return { message: `expected ${what} as a string after \`${prev.text}\`, found ${describeToken(found)}`, hint: 'write `policy "my-agent" version "1.0.0"`' };
  }
  if (has("a string") && prev?.text === "(" && prev2?.text === "env") {
    return { message: `expected the variable name as a string in \`env(\`, found ${describeToken(found)}`, hint: 'write `env("WORKSPACE")` or `env("WORKSPACE", "/default")`' };
  }
  if (has("`{`") && prev2?.text !== "example") {
    return { message: generic, hint: 'an example lists fields in braces: `example deny file.read { path: "/etc/shadow" }`' };
  }
  if (has("a value") || has("a condition")) {
    return { message: generic, hint: has("a condition") ? 'e.g. `path under "/tmp"`, `port == 443`, `not (...)`' : 'a value is a "string", a number, an IP address, a list [..], a const name or env("NAME")' };
  }

  if (has("`version`")) {
    return { message: generic, hint: 'the header reads `policy "my-agent" version "1.0.0"`' };
  }

  // Anything else: generic, with a "did you mean" when a keyword was expected.
  const keywords = expected.filter((e) => /^`[a-z]+`$/.test(e)).map((e) => e.slice(1, -1));
  if (has("a new declaration")) keywords.push(...TOP_LEVEL.filter((k) => k !== "policy"));
  const guess = found?.kind === "word" ? closest(found.text, keywords) : undefined;
  return { message: generic, hint: guess ? `did you mean \`${guess}\`?` : undefined };
}

function describePrev(prev: Token, prev2: Token | null): string {
  if (prev.kind === "word" && prev2?.text === "rule") return `the rule name \`${prev.text}\``;
  if (prev.kind === "word" && (prev2?.text === "const" || prev2?.text === "list")) return `the name \`${prev.text}\``;
  return describeToken(prev);
}

/** The innermost `open` bracket among `tokens` that has no matching `close`. */
function unclosed(tokens: Token[], open: string, close: string): Token | null {
  const stack: Token[] = [];
  for (const t of tokens) {
    if (t.text === open) stack.push(t);
    else if (t.text === close) stack.pop();
  }
  return stack.at(-1) ?? null;
}

function lineOf(ctx: ErrorContext, t: Token): string {
  const p = ctx.map.start(peggyPos(ctx.text, t.start));
  return `${p.line}:${p.col}`;
}

const GRAMMAR_HINTS: [RegExp, string][] = [
  [/^unterminated string/, 'close the string with `"` on the same line; write a newline inside a string as `\\n`'],
  [/^unterminated regex/, "close the regex with `/` on the same line; write a slash inside it as `\\/`"],
  [/^empty regex/, "a regex needs at least one character; `//` starts a comment"],
  [/^unterminated block comment/, "close the comment with `*/`"],
  [/^unknown escape|^`\\[xu]`/, "escapes: \\\" \\\\ \\n \\t \\r \\0 \\xHH (one raw byte) \\u{HHHH} (one character)"],
  [/is not a Unicode scalar/, "\\u{...} takes a code point up to 10FFFF outside D800-DFFF; write raw bytes as \\xHH"],
  [/lone UTF-16 surrogate/, "the policy text must be valid Unicode; write raw bytes as \\xHH"],
  [/given twice/, "keep one"],
  [/^`default flag`/, "flag marks an allowed action for review; the default must be allow, deny or ask"],
  [/decimal number/, "write a whole number, e.g. 1000"],
  [/misplaced `_`/, "`_` may only separate digits, e.g. 1_000"],
  [/too large/, "numbers must fit in a 53-bit integer"],
  [/not a duration/, "e.g. `timeout 30s`; units: ms, s, m, h"],
  [/not a number/, "numbers are whole (1000, -1, 1_000), durations have a unit (30s), IPv4 addresses have four parts (10.0.0.0/8)"],
];

function grammarHint(message: string): string | undefined {
  return GRAMMAR_HINTS.find(([re]) => re.test(message))?.[1];
}
