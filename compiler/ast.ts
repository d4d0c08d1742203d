// The policy AST: what both front-ends (trajeckt text via Peggy, YAML) produce.
// Every node carries a source location so every later diagnostic can point at
// file:line:col. Locations are 1-based; `end` is exclusive.

export interface Pos {
  line: number;
  col: number;
  offset: number;
}

export interface Loc {
  file: string;
  start: Pos;
  end: Pos;
}

export type Decision = "allow" | "deny" | "ask" | "flag";
export type DefaultDecision = "allow" | "deny" | "ask";

export interface Policy {
  type: "policy";
  name: StringLit;
  version: StringLit;
  default: { decision: DefaultDecision; loc: Loc } | null;
  decls: Decl[];
  /** The header (`policy "name" version "x"`): where whole-policy diagnostics point. */
  loc: Loc;
}

export type Decl = ConstDecl | ListDecl | RuleDecl | ExampleDecl;

/** const NAME = <value> */
export interface ConstDecl {
  type: "const";
  name: Ident;
  value: Value;
  loc: Loc;
}

/** list NAME = [v, v, ...] */
export interface ListDecl {
  type: "list";
  name: Ident;
  items: Value[];
  loc: Loc;
}

/** rule NAME: DECISION kind[, kind] [if COND] [reason "..."] [timeout 30s] */
export interface RuleDecl {
  type: "rule";
  name: Ident;
  decision: { value: Decision; loc: Loc };
  kinds: KindPattern[];
  cond: Cond | null; // null = always (for its kinds)
  reason: StringLit | null;
  timeout: DurationLit | null;
  loc: Loc;
}

/** example DECISION kind { field: value, ... } — checked at compile time */
export interface ExampleDecl {
  type: "example";
  decision: { value: Decision; loc: Loc };
  kind: KindPattern;
  fields: { name: FieldRef; value: Value }[];
  loc: Loc;
}

/** "file.read", "file.*", "*" */
export interface KindPattern {
  type: "kind";
  text: string;
  loc: Loc;
}

export interface Ident {
  type: "ident";
  name: string;
  loc: Loc;
}

/** A field as written: "path", "argv[1]", "args.amount". */
export interface FieldRef {
  type: "field";
  name: string;
  loc: Loc;
}

export type Cond = AndCond | OrCond | NotCond | CmpCond | BoolCond;

export interface AndCond { type: "and"; left: Cond; right: Cond; loc: Loc }
export interface OrCond { type: "or"; left: Cond; right: Cond; loc: Loc }
export interface NotCond { type: "not"; expr: Cond; loc: Loc }
export interface BoolCond { type: "bool"; value: boolean; loc: Loc }

export type CmpOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "under" | "matches" | "=~";

/** field OP value. `matches any X` / `under any X` parse as op with a list value. */
export interface CmpCond {
  type: "cmp";
  field: FieldRef;
  op: CmpOp;
  opLoc: Loc;
  value: Value;
  loc: Loc;
}

export type Value =
  | StringLit
  | NumberLit
  | RegexLit
  | IpLit
  | ListLit
  | RefValue
  | EnvValue
  | DurationLit;

/**
 * A string value. Strings stand for BYTES (paths, argv and hosts are bytes,
 * not text), kept in a JS string by one convention (as Python's
 * "surrogateescape"):
 * - every character stands for its UTF-8 encoding (so "é" is C3 A9, and
 *   `\u{e9}` is the same value);
 * - the lone surrogates U+DC80..U+DCFF stand for the single raw bytes
 *   0x80..0xFF that are not part of valid UTF-8 (written `\x80`..`\xff`);
 *   `\x00`..`\x7f` are the characters U+0000..U+007F;
 * - values are canonical: bytes that form valid UTF-8 are always characters
 *   (`"\xc3\xa9"` parses to "é"), so equal bytes mean equal strings.
 * Other lone surrogates never occur. Use stringToBytes / bytesToString /
 * bytesToDisplay from compiler/parse.ts; never encode `value` yourself.
 */
export interface StringLit { type: "string"; value: string; loc: Loc }
export interface NumberLit { type: "number"; value: number; loc: Loc }
/** /source/flags — flags: only "i" is accepted by the checker */
export interface RegexLit { type: "regex"; source: string; flags: string; loc: Loc }
/** Unquoted IPv4 address or CIDR (10.0.0.0/8); IPv6 is written as a string. */
export interface IpLit { type: "ip"; text: string; loc: Loc }
export interface ListLit { type: "list"; items: Value[]; loc: Loc }
/** A const or list name. */
export interface RefValue { type: "ref"; name: string; loc: Loc }
/** env("NAME", "default") — default may be absent. */
export interface EnvValue { type: "env"; name: StringLit; fallback: StringLit | null; loc: Loc }
/** 30s, 500ms, 2m */
export interface DurationLit { type: "duration"; ms: number; text: string; loc: Loc }
