// A reference evaluator over the policy AST: the test oracle for the compiler
// and the C core. It is written to be obviously correct, not fast, and it
// shares no code with compiler/lower or compiler/automata: values are byte
// strings (latin1 JS strings, one char per byte), globs and regexes are
// translated to JS RegExps whose every literal is an explicit byte set.
//
// Semantics implemented (the spec the C core implements):
// - a rule applies when the action's kind is in its kinds; no `if` = true;
// - a field the action does not carry makes each comparison on it false,
//   except a required field referenced by any applicable rule (deny,
//   eval-error); a value of the wrong type or longer than 1 MiB referenced by
//   an applicable rule is also an eval-error;
// - deny > ask > allow (flag = allow); the deciding rule is the first in
//   source order with the winning decision; flagged iff allow and some flag
//   rule matched; no match = the policy default.

import type { Cond, Policy, RuleDecl, Value } from "../../compiler/ast.js";
import { expandKind, fieldSpec, KINDS, type Kind } from "../../compiler/catalog.js";
import { parsePolicy, stringToBytes } from "../../compiler/parse.js";

export const MAX_VALUE_LEN = 1 << 20;

export type Verdict = "allow" | "deny" | "ask";

export interface OracleResult {
  decision: Verdict;
  rule: string | null;
  /** The rule's reason text (null if none), "default", or "eval-error". */
  reason: string | null;
  flagged: boolean;
  /** For eval-error: "missing-field" | "type-mismatch" | "value-too-long". */
  error?: string;
}

export interface OracleOptions {
  vars?: Record<string, string>;
  env?: Record<string, string | undefined>;
}

export type Action = { kind: string } & Record<string, unknown>;

// ------------------------------------------------------------------ values

/** A resolved policy value. Strings are byte strings (latin1, one char per byte). */
type RV =
  | { t: "str"; b: string; text: string }
  | { t: "num"; v: bigint }
  | { t: "regex"; source: string; flags: string }
  | { t: "ip"; text: string }
  | { t: "dur" }
  | { t: "list"; items: RV[] };

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** Bytes of a policy string value (the \xHH convention of compiler/parse.ts). */
export const policyBytes = (s: string): string => latin1(stringToBytes(s));

class Resolver {
  private readonly defs = new Map<string, Value | { type: "list"; items: Value[] }>();
  private readonly busy = new Set<string>();
  constructor(policy: Policy, private readonly opts: OracleOptions) {
    for (const d of policy.decls) {
      if (d.type === "const" && !this.defs.has(d.name.name)) this.defs.set(d.name.name, d.value);
      if (d.type === "list" && !this.defs.has(d.name.name)) this.defs.set(d.name.name, { type: "list", items: d.items });
    }
  }

  resolve(v: Value | { type: "list"; items: Value[] }): RV {
    switch (v.type) {
      case "string":
        return { t: "str", b: policyBytes(v.value), text: v.value };
      case "number":
        return { t: "num", v: BigInt(v.value) };
      case "regex":
        return { t: "regex", source: v.source, flags: v.flags };
      case "ip":
        return { t: "ip", text: v.text };
      case "duration":
        return { t: "dur" };
      case "env": {
        const n = v.name.value;
        const got = this.opts.vars?.[n] ?? this.opts.env?.[n] ?? v.fallback?.value;
        if (got === undefined) throw new Error(`oracle: env ${n} unset`);
        return { t: "str", b: policyBytes(got), text: got };
      }
      case "list": {
        const items: RV[] = [];
        for (const it of v.items) {
          const r = this.resolve(it);
          if (r.t === "list") items.push(...r.items);
          else items.push(r);
        }
        return { t: "list", items };
      }
      case "ref": {
        const d = this.defs.get(v.name);
        if (d === undefined) throw new Error(`oracle: undefined name ${v.name}`);
        if (this.busy.has(v.name)) throw new Error(`oracle: cyclic name ${v.name}`);
        this.busy.add(v.name);
        try {
          return this.resolve(d);
        } finally {
          this.busy.delete(v.name);
        }
      }
    }
  }
}

const itemsOf = (v: RV): RV[] => (v.t === "list" ? v.items : [v]);

// ------------------------------------------------------------------ byte sets as JS regex classes

type ByteSet = boolean[]; // 256 entries

const newSet = (): ByteSet => new Array<boolean>(256).fill(false);
const setRange = (s: ByteSet, lo: number, hi: number): ByteSet => {
  for (let b = lo; b <= hi; b++) s[b] = true;
  return s;
};
const setOfBytes = (...bs: number[]): ByteSet => {
  const s = newSet();
  for (const b of bs) s[b] = true;
  return s;
};
const complementSet = (s: ByteSet): ByteSet => s.map((x) => !x);
const unionInto = (a: ByteSet, b: ByteSet): void => {
  for (let i = 0; i < 256; i++) if (b[i]) a[i] = true;
};
const foldAscii = (s: ByteSet): ByteSet => {
  const out = [...s];
  for (let c = 0x41; c <= 0x5a; c++) {
    if (s[c] || s[c + 0x20]) out[c] = out[c + 0x20] = true;
  }
  return out;
};
const hex2 = (b: number): string => "\\x" + b.toString(16).padStart(2, "0");

/** A JS class `[...]` matching exactly the bytes in s (as latin1 chars). */
function classOf(s: ByteSet): string {
  let out = "[";
  for (let b = 0; b < 256; b++) {
    if (!s[b]) continue;
    let e = b;
    while (e + 1 < 256 && s[e + 1]) e++;
    out += e === b ? hex2(b) : hex2(b) + "-" + hex2(e);
    b = e;
  }
  return out + "]";
}

const byteClass = (b: number): string => classOf(setOfBytes(b));

function utf8Of(cp: number): number[] {
  return [...Buffer.from(String.fromCodePoint(cp), "utf8")];
}

// ------------------------------------------------------------------ globs

type GItem =
  | { t: "lit"; bytes: number[] }
  | { t: "slash" }
  | { t: "stars"; n: number }
  | { t: "one" }
  | { t: "class"; set: ByteSet }
  | { t: "brace"; alts: GItem[][] };

const SLASH = 0x2f;

function parseGlobItems(src: string): GItem[] {
  let i = 0;
  const seqUntil = (depth: number): GItem[] => {
    const items: GItem[] = [];
    while (i < src.length) {
      const ch = src[i]!;
      if (depth > 0 && (ch === "," || ch === "}")) break;
      if (ch === "*") {
        let n = 0;
        while (src[i] === "*") i++, n++;
        items.push({ t: "stars", n });
      } else if (ch === "?") {
        i++;
        items.push({ t: "one" });
      } else if (ch === "/") {
        i++;
        items.push({ t: "slash" });
      } else if (ch === "[") {
        i++;
        let neg = false;
        if (src[i] === "!" || src[i] === "^") (neg = true), i++;
        const set = newSet();
        let first = true;
        const one = (): number => {
          if (src[i] === "\\") i++;
          const cp = src.codePointAt(i);
          if (cp === undefined || cp > 0x7f) throw new Error("oracle: bad glob class");
          i++;
          return cp;
        };
        for (;;) {
          if (i >= src.length) throw new Error("oracle: unclosed glob class");
          if (src[i] === "]" && !first) break;
          first = false;
          const lo = one();
          if (src[i] === "-" && i + 1 < src.length && src[i + 1] !== "]") {
            i++;
            setRange(set, lo, one());
          } else set[lo] = true;
        }
        i++;
        const s = neg ? complementSet(set) : set;
        s[SLASH] = false;
        items.push({ t: "class", set: s });
      } else if (ch === "{") {
        i++;
        const alts: GItem[][] = [];
        for (;;) {
          alts.push(seqUntil(depth + 1));
          const c = src[i];
          if (c === undefined) throw new Error("oracle: unclosed glob brace");
          i++;
          if (c === "}") break;
        }
        items.push({ t: "brace", alts });
      } else if (ch === "\\") {
        i++;
        const cp = src.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        items.push(cp === SLASH ? { t: "slash" } : { t: "lit", bytes: globCharBytes(cp) });
      } else {
        const cp = src.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        items.push({ t: "lit", bytes: globCharBytes(cp) });
      }
    }
    return items;
  };
  return seqUntil(0);
}

function globCharBytes(cp: number): number[] {
  // Raw bytes use the \xHH convention (lone surrogate U+DC80..DCFF).
  if (cp >= 0xdc80 && cp <= 0xdcff) return [cp - 0xdc00];
  return utf8Of(cp);
}

/** Brace expansion: every alternative combination as a flat item list. */
function expandBraces(items: GItem[]): GItem[][] {
  let out: GItem[][] = [[]];
  for (const it of items) {
    if (it.t !== "brace") {
      out = out.map((s) => [...s, it]);
      continue;
    }
    const choices = it.alts.flatMap(expandBraces);
    const next: GItem[][] = [];
    for (const s of out) for (const c of choices) next.push([...s, ...c]);
    out = next;
    if (out.length > 4096) throw new Error("oracle: glob expands to too many alternatives");
  }
  return out;
}

/** A flat (brace-free) glob as a JS regex body (no anchors). */
function flatGlobToRegex(items: GItem[]): string {
  let out = "";
  const NOT_SLASH = classOf(complementSet(setOfBytes(SLASH)));
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const prevBoundary = i === 0 || items[i - 1]!.t === "slash";
    const next = items[i + 1];
    const nextBoundary = next === undefined || next.t === "slash";
    switch (it.t) {
      case "lit":
        out += it.bytes.map(byteClass).join("");
        break;
      case "slash":
        out += "/";
        break;
      case "one":
        out += NOT_SLASH;
        break;
      case "class":
        out += classOf(it.set);
        break;
      case "stars":
        if (it.n >= 2 && prevBoundary && nextBoundary) {
          if (next !== undefined) {
            // "**/": zero or more whole directories (the slash is consumed here).
            out += "(?:[\\x00-\\xff]*/)?";
            i++;
          } else {
            out += "[\\x00-\\xff]*";
          }
        } else {
          out += NOT_SLASH + "*";
        }
        break;
      case "brace":
        throw new Error("unreachable: braces are expanded");
    }
  }
  return out;
}

const globCache = new Map<string, RegExp>();

/** Full match of a glob against a byte string. */
export function globMatches(glob: string, value: string): boolean {
  let re = globCache.get(glob);
  if (re === undefined) {
    const alts = expandBraces(parseGlobItems(glob)).map(flatGlobToRegex);
    re = new RegExp("^(?:" + alts.join("|") + ")$");
    globCache.set(glob, re);
  }
  return re.test(value);
}

// ------------------------------------------------------------------ regexes

const DIGIT = setRange(newSet(), 0x30, 0x39);
const WORD = (() => {
  const s = setRange(setRange(setRange(newSet(), 0x30, 0x39), 0x41, 0x5a), 0x61, 0x7a);
  s[0x5f] = true;
  return s;
})();
const SPACE = setOfBytes(0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d);
const CLASS_ESC: Record<string, ByteSet> = {
  d: DIGIT,
  D: complementSet(DIGIT),
  w: WORD,
  W: complementSet(WORD),
  s: SPACE,
  S: complementSet(SPACE),
};
const CTL_ESC: Record<string, number> = { n: 0x0a, t: 0x09, r: 0x0d, f: 0x0c, v: 0x0b, "0": 0 };

/**
 * Translates a trajeckt regex (JS-like syntax, byte semantics) to a JS RegExp
 * source over latin1 subjects: every literal and class becomes an explicit byte
 * set, `.` is any byte, groups become non-capturing, `i` folds ASCII only.
 */
export function translateRegex(src: string, flags: string): string {
  const fold = flags.includes("i");
  const f = (s: ByteSet): ByteSet => (fold ? foldAscii(s) : s);
  let i = 0;
  let out = "";
  // One escape at src[i] === "\\": a byte set, a raw byte or a code point.
  const escape = (inClass: boolean): { set: ByteSet } | { byte: number } | { cp: number } => {
    i++;
    const c = src[i];
    if (c === undefined) throw new Error("oracle: trailing backslash");
    i++;
    if (CLASS_ESC[c]) return { set: CLASS_ESC[c]! };
    if (c in CTL_ESC) return { cp: CTL_ESC[c]! };
    if (c === "b" && inClass) return { cp: 8 };
    if (c === "x") {
      const h = src.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error("oracle: bad \\x");
      i += 2;
      return { byte: parseInt(h, 16) };
    }
    if (c === "u") {
      let m = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(i));
      if (m) {
        i += m[0].length;
        return { cp: parseInt(m[1]!, 16) };
      }
      m = /^[0-9a-fA-F]{4}/.exec(src.slice(i));
      if (!m) throw new Error("oracle: bad \\u");
      i += 4;
      let cp = parseInt(m[0], 16);
      const lo = /^\\u(d[c-f][0-9a-f]{2})/i.exec(src.slice(i));
      if (cp >= 0xd800 && cp <= 0xdbff && lo) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(lo[1]!, 16) - 0xdc00);
        i += 6;
      }
      return { cp };
    }
    if (c === "c") {
      const l = src[i++]!;
      return { cp: l.charCodeAt(0) & 31 };
    }
    if (/[!-/:-@[-`{-~]/.test(c)) return { cp: c.charCodeAt(0) };
    throw new Error(`oracle: unsupported escape \\${c}`);
  };
  const literal = (cp: number, raw: boolean): string => {
    if (raw || cp < 0x80) return classOf(f(setOfBytes(cp)));
    return "(?:" + utf8Of(cp).map(byteClass).join("") + ")";
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\\") {
      const e = escape(false);
      out += "set" in e ? classOf(f(e.set)) : "byte" in e ? literal(e.byte, true) : literal(e.cp, false);
    } else if (c === "[") {
      i++;
      let neg = false;
      if (src[i] === "^") (neg = true), i++;
      const set = newSet();
      const atom = (): number | ByteSet => {
        if (src[i] === "\\") {
          const e = escape(true);
          if ("set" in e) return e.set;
          return "byte" in e ? e.byte : e.cp;
        }
        const cp = src.codePointAt(i)!;
        if (cp > 0x7f) throw new Error("oracle: non-ASCII in class");
        i++;
        return cp;
      };
      for (;;) {
        if (i >= src.length) throw new Error("oracle: unclosed class");
        if (src[i] === "]") break;
        const lo = atom();
        if (src[i] === "-" && src[i + 1] !== "]" && src[i + 1] !== undefined) {
          i++;
          const hi = atom();
          if (typeof lo !== "number" || typeof hi !== "number") throw new Error("oracle: bad range");
          setRange(set, lo, hi);
        } else if (typeof lo === "number") set[lo] = true;
        else unionInto(set, lo);
      }
      i++;
      const folded = f(set);
      out += classOf(neg ? complementSet(folded) : folded);
    } else if (c === ".") {
      i++;
      out += "[\\x00-\\xff]";
    } else if (c === "(") {
      i++;
      if (src.startsWith("?:", i)) i += 2;
      else if (src[i] === "?") {
        const m = /^\?<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(src.slice(i));
        if (!m) throw new Error("oracle: unsupported group");
        i += m[0].length;
      }
      out += "(?:";
    } else if (c === ")" || c === "|" || c === "^" || c === "$" || c === "*" || c === "+" || c === "?") {
      i++;
      out += c;
    } else if (c === "{") {
      const m = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
      if (!m) throw new Error("oracle: lone {");
      i += m[0].length;
      out += m[0];
    } else {
      const cp = src.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      out += cp >= 0xdc80 && cp <= 0xdcff ? literal(cp - 0xdc00, true) : literal(cp, false);
    }
  }
  return out;
}

const regexCache = new Map<string, RegExp>();

/** Regex SEARCH over a byte string. */
export function regexMatches(source: string, flags: string, value: string): boolean {
  const key = flags + "/" + source;
  let re = regexCache.get(key);
  if (re === undefined) {
    re = new RegExp(translateRegex(source, flags));
    regexCache.set(key, re);
  }
  return re.test(value);
}

// ------------------------------------------------------------------ under

export function underMatches(dir: string, value: string): boolean {
  const d = dir.replace(/\/+$/, "");
  if (d === "") return value.startsWith("/");
  return value === d || value.startsWith(d + "/");
}

// ------------------------------------------------------------------ addresses

const V4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

function parseV4(t: string): bigint | null {
  const m = V4.exec(t);
  if (!m) return null;
  let v = 0n;
  for (let k = 1; k <= 4; k++) {
    const n = Number(m[k]);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

/** An IPv4 or IPv6 address as a 128-bit value (IPv4 = ::ffff:a.b.c.d), or null. */
export function parseIp(t: string): bigint | null {
  const v4 = parseV4(t);
  if (v4 !== null) return (0xffffn << 32n) | v4;
  if (!/^[0-9a-fA-F:.]+$/.test(t)) return null;
  // An embedded IPv4 tail counts for two groups.
  let tail: bigint | null = null;
  let head = t;
  if (t.includes(".")) {
    const k = t.lastIndexOf(":");
    if (k < 0) return null;
    tail = parseV4(t.slice(k + 1));
    if (tail === null) return null;
    head = t.slice(0, k + 1);
    // "::1.2.3.4" leaves "::"; "a:b:c:d:e:f:1.2.3.4" leaves "a:...:f:"
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const want = tail === null ? 8 : 6;
  const parts = head.split("::");
  if (parts.length > 2) return null;
  const groups = (s: string): string[] | null => {
    if (s === "") return [];
    const g = s.split(":");
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  let all: string[];
  if (parts.length === 2) {
    const l = groups(parts[0]!);
    const r = groups(parts[1]!);
    if (l === null || r === null || l.length + r.length > want - 1) return null;
    all = [...l, ...Array<string>(want - l.length - r.length).fill("0"), ...r];
  } else {
    const g = groups(head);
    if (g === null || g.length !== want) return null;
    all = g;
  }
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(parseInt(g, 16));
  if (tail !== null) v = (v << 32n) | tail;
  return v;
}

/** [lo, hi] of an address or CIDR block written in a policy. */
export function ipBlock(text: string): [bigint, bigint] {
  const [addr, pfx] = text.split("/");
  const v = parseIp(addr!);
  if (v === null) throw new Error(`oracle: bad address ${text}`);
  if (pfx === undefined) return [v, v];
  const isV4 = parseV4(addr!) !== null;
  const bits = BigInt(128 - (isV4 ? 96 : 0) - Number(pfx));
  const mask = (1n << bits) - 1n;
  return [v & ~mask, v | mask];
}

// ------------------------------------------------------------------ reading the action

type FieldType = "str" | "int" | "ip";

type Got =
  | { t: "absent" }
  | { t: "bad"; error: "type-mismatch" | "value-too-long" }
  | { t: "str"; b: string }
  | { t: "int"; v: bigint }
  | { t: "ip"; v: bigint };

const ABSENT: Got = { t: "absent" };
const MISMATCH: Got = { t: "bad", error: "type-mismatch" };
const TOO_LONG: Got = { t: "bad", error: "value-too-long" };

const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;

function textOf(v: unknown): Got {
  if (isNil(v)) return ABSENT;
  let b: Buffer;
  if (typeof v === "string") b = Buffer.from(v, "utf8");
  else if (v instanceof Uint8Array || v instanceof Uint8ClampedArray) b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  else return MISMATCH;
  if (b.length > MAX_VALUE_LEN) return TOO_LONG;
  return { t: "str", b: b.toString("latin1") };
}

/** The value of `name` (path, argv[2], args.a.b) read from the action as `type`. */
export function readField(action: Action, name: string, type: FieldType): Got {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/.exec(name)!;
  const root = m[1]!;
  const steps: (string | number)[] = [];
  for (const s of m[2]!.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) steps.push(s[1] ?? Number(s[2]));
  let v: unknown = action[root];
  if (isNil(v) && (name === "argc" || name === "cmdline") && Array.isArray(action.argv)) {
    const argv = action.argv as unknown[];
    if (name === "argc") return type === "int" ? { t: "int", v: BigInt(argv.length) } : ABSENT;
    if (type !== "str") return ABSENT;
    const parts: string[] = [];
    let len = 0;
    for (let k = 0; k < argv.length; k++) {
      const e = argv[k];
      // As Array.prototype.join: a hole, undefined or null adds nothing.
      const g = isNil(e) ? ({ t: "str", b: "" } as const) : textOf(e);
      if (g.t !== "str") return g;
      parts.push(g.b);
      len += g.b.length + (k > 0 ? 1 : 0);
      if (len > MAX_VALUE_LEN) return TOO_LONG;
    }
    return { t: "str", b: parts.join(" ") };
  }
  for (const st of steps) {
    if (isNil(v)) return ABSENT;
    if (typeof st === "string") {
      if (typeof v !== "object" && typeof v !== "function") return MISMATCH;
      v = (v as Record<string, unknown>)[st];
    } else {
      if (!Array.isArray(v)) return MISMATCH;
      v = v[st];
    }
  }
  switch (type) {
    case "str":
      return textOf(v);
    case "int":
      if (isNil(v)) return ABSENT;
      if (typeof v === "number" && Number.isSafeInteger(v)) return { t: "int", v: BigInt(v) };
      if (typeof v === "bigint" && v >= -(1n << 63n) && v < 1n << 63n) return { t: "int", v };
      return MISMATCH;
    case "ip": {
      if (isNil(v)) return ABSENT;
      if (typeof v !== "string") return MISMATCH;
      const ip = v.includes("\0") ? null : parseIp(v);
      return ip === null ? MISMATCH : { t: "ip", v: ip };
    }
  }
}

// ------------------------------------------------------------------ conditions

interface Cmp {
  field: string;
  op: string;
  value: RV;
  type: FieldType;
}

function comparisons(c: Cond | null, out: Extract<Cond, { type: "cmp" }>[] = []): Extract<Cond, { type: "cmp" }>[] {
  if (c === null) return out;
  switch (c.type) {
    case "and":
    case "or":
      comparisons(c.left, out);
      comparisons(c.right, out);
      break;
    case "not":
      comparisons(c.expr, out);
      break;
    case "cmp":
      out.push(c);
      break;
    case "bool":
      break;
  }
  return out;
}

/** The type a comparison reads its field as, for `kind`. */
function typeOf(kind: Kind, field: string, op: string, value: RV): FieldType {
  const spec = fieldSpec(kind, field);
  if (spec === null) throw new Error(`oracle: ${kind} has no field ${field}`);
  if (spec !== "args") return spec.type;
  if (["<", "<=", ">", ">="].includes(op)) return "int";
  if (["under", "matches", "=~"].includes(op)) return "str";
  const first = itemsOf(value)[0];
  if (first?.t === "num") return "int";
  if (first?.t === "str") return "str";
  throw new Error(`oracle: cannot type ${field}`);
}

function compare(cmp: Cmp, got: Got): boolean {
  if (cmp.op === "!=") return !compare({ ...cmp, op: "==" }, got);
  if (got.t === "absent" || got.t === "bad") return false;
  const items = itemsOf(cmp.value);
  if (got.t === "str") {
    const s = got.b;
    const strs = (): string[] => items.map((x) => (x.t === "str" ? x.b : fail(`string expected, got ${x.t}`)));
    switch (cmp.op) {
      case "==":
      case "in":
        return strs().some((x) => x === s);
      case "under":
        return strs().some((d) => underMatches(d, s));
      case "matches":
        return items.some((x) => (x.t === "str" ? globMatches(x.text, s) : fail("glob expected")));
      case "=~":
        return items.some((x) => (x.t === "regex" ? regexMatches(x.source, x.flags, s) : fail("regex expected")));
    }
    return fail(`string op ${cmp.op}`);
  }
  if (got.t === "int") {
    const ns = items.map((x) => (x.t === "num" ? x.v : fail(`number expected, got ${x.t}`)));
    const v = got.v;
    const n = ns[0]!;
    switch (cmp.op) {
      case "==":
      case "in":
        return ns.some((x) => x === v);
      case "<":
        return v < n;
      case "<=":
        return v <= n;
      case ">":
        return v > n;
      case ">=":
        return v >= n;
    }
    return fail(`int op ${cmp.op}`);
  }
  // ip
  const blocks = items.map((x) =>
    x.t === "ip" ? ipBlock(x.text) : x.t === "str" ? ipBlock(x.text) : fail(`address expected, got ${x.t}`),
  );
  if (cmp.op === "==" || cmp.op === "in") return blocks.some(([lo, hi]) => lo <= got.v && got.v <= hi);
  return fail(`ip op ${cmp.op}`);
}

function fail(msg: string): never {
  throw new Error("oracle: " + msg);
}

// ------------------------------------------------------------------ the evaluator

/** A policy prepared for reference evaluation. */
export class ReferencePolicy {
  readonly rules: RuleDecl[];
  readonly default: Verdict;
  private readonly resolver: Resolver;
  private readonly values = new Map<object, RV>();

  constructor(readonly policy: Policy, opts: OracleOptions = {}) {
    this.resolver = new Resolver(policy, opts);
    this.rules = policy.decls.filter((d): d is RuleDecl => d.type === "rule");
    if (policy.default === null) throw new Error("oracle: policy has no default");
    this.default = policy.default.decision;
  }

  private valueOf(v: Value): RV {
    let r = this.values.get(v);
    if (r === undefined) {
      r = this.resolver.resolve(v);
      this.values.set(v, r);
    }
    return r;
  }

  /** Does rule r apply to kind k? */
  static applies(r: RuleDecl, k: Kind): boolean {
    return r.kinds.some((p) => expandKind(p.text).includes(k));
  }

  evaluate(action: Action): OracleResult {
    if (!(KINDS as readonly string[]).includes(action.kind)) throw new Error(`oracle: unknown kind ${action.kind}`);
    const kind = action.kind as Kind;
    const applicable = this.rules.filter((r) => ReferencePolicy.applies(r, kind));

    // Read every field an applicable rule references; errors first.
    const got = new Map<string, Got>();
    const cmpOf = new Map<object, Cmp>();
    for (const r of applicable) {
      for (const c of comparisons(r.cond)) {
        const value = this.valueOf(c.value);
        const type = typeOf(kind, c.field.name, c.op, value);
        cmpOf.set(c, { field: c.field.name, op: c.op, value, type });
        const key = c.field.name + "\0" + type;
        if (!got.has(key)) got.set(key, readField(action, c.field.name, type));
        const g = got.get(key)!;
        if (g.t === "bad") return evalError(g.error);
        if (g.t === "absent") {
          const spec = fieldSpec(kind, c.field.name);
          if (spec !== null && spec !== "args" && spec.required) return evalError("missing-field");
        }
      }
    }

    const holds = (c: Cond): boolean => {
      switch (c.type) {
        case "and":
          return holds(c.left) && holds(c.right);
        case "or":
          return holds(c.left) || holds(c.right);
        case "not":
          return !holds(c.expr);
        case "bool":
          return c.value;
        case "cmp": {
          const cmp = cmpOf.get(c)!;
          return compare(cmp, got.get(cmp.field + "\0" + cmp.type)!);
        }
      }
    };

    const matched = applicable.filter((r) => r.cond === null || holds(r.cond));
    const firstOf = (...ds: string[]): RuleDecl | undefined => matched.find((r) => ds.includes(r.decision.value));
    const deny = firstOf("deny");
    if (deny) return ruleResult("deny", deny, false);
    const ask = firstOf("ask");
    if (ask) return ruleResult("ask", ask, false);
    const allow = firstOf("allow", "flag");
    if (allow) return ruleResult("allow", allow, matched.some((r) => r.decision.value === "flag"));
    return { decision: this.default, rule: null, reason: "default", flagged: false };
  }
}

function ruleResult(decision: Verdict, r: RuleDecl, flagged: boolean): OracleResult {
  return { decision, rule: r.name.name, reason: r.reason?.value ?? null, flagged };
}

function evalError(error: string): OracleResult {
  return { decision: "deny", rule: null, reason: "eval-error", flagged: false, error };
}

// ------------------------------------------------------------------ convenience

/** Parse with the project's parser and wrap for reference evaluation (throws on syntax errors). */
export function referenceFromSource(source: string, opts: OracleOptions = {}): ReferencePolicy {
  const { policy, diagnostics } = parsePolicy(source, "oracle.trj");
  const errs = diagnostics.filter((d) => d.severity === "error");
  if (policy === null || errs.length > 0) throw new Error("oracle: parse failed: " + errs.map((d) => d.message).join("; "));
  return new ReferencePolicy(policy, opts);
}
