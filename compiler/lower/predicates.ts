// One comparison (`field op value`) → an IR condition over predicates with a
// fully resolved meaning. The checker calls this once per comparison, reports
// what is wrong, and keeps the result for the lowering stage: what is checked
// is exactly what is compiled.

import type { CmpCond, Loc } from "../ast.js";
import { anyOf, hasByte, literal, parseGlob, parseRegex, under, isEmpty } from "../automata/index.js";
import type { Pat } from "../automata/index.js";
import type { FieldType } from "../catalog.js";
import type { Diagnostics } from "../diagnostics.js";
import type { IrCond, Pred, Ranges } from "../ir.js";
import { stringToBytes } from "../parse.js";
import type { RValue, Scope } from "../resolve.js";
import { formatIp, ipRange } from "./ip.js";

const INT_MIN = -(1n << 63n);
const INT_MAX = (1n << 63n) - 1n;
/** Fields the runtime normalizes to one case before evaluation (catalog.ts docs). */
const CASE_OF: Record<string, "lowercase" | "uppercase"> = { host: "lowercase", method: "uppercase" };
const SLASH = 0x2f;

export interface FieldInfo {
  name: string;
  type: FieldType;
  path: boolean; // values are absolute paths
  range?: [bigint, bigint]; // values an int field can take (port: 0..65535)
}

const OPS: Record<FieldInfo["type"], readonly string[]> = {
  str: ["==", "!=", "in", "under", "matches", "=~"],
  int: ["==", "!=", "<", "<=", ">", ">=", "in"],
  ip: ["==", "!=", "in"],
};
const OP_HINT: Record<FieldInfo["type"], string> = {
  str: "strings support == != in under matches =~",
  int: "numbers support == != < <= > >= in",
  ip: "addresses support ==, != and in (e.g. ip in 10.0.0.0/8)",
};

/** `source` is the policy text, so errors inside a literal can point at the exact character. */
export function predicateOf(cmp: CmpCond, field: FieldInfo, scope: Scope, diags: Diagnostics, source: string): IrCond | null {
  // The operator first: `port matches "22*"` is a wrong operator, not a wrong value.
  if (!OPS[field.type].includes(cmp.op)) {
    const what = { str: "a string", int: "a number", ip: "an address" }[field.type];
    diags.error("type-mismatch", cmp.opLoc, `\`${field.name}\` is ${what}; \`${cmp.op}\` does not apply to it`, OP_HINT[field.type]);
    return null;
  }
  const v = scope.resolve(cmp.value);
  if (v === null) return null;
  const b = new PredBuilder(cmp, field, diags, source);
  switch (field.type) {
    case "str":
      return b.str(v);
    case "int":
      return b.int(v);
    case "ip":
      return b.ip(v);
  }
}

class PredBuilder {
  constructor(
    private readonly cmp: CmpCond,
    private readonly field: FieldInfo,
    private readonly diags: Diagnostics,
    private readonly source: string,
  ) {}

  private mismatch(message: string, hint: string, loc = this.cmp.value.loc): null {
    this.diags.error("type-mismatch", loc, message, hint);
    return null;
  }

  private text(v: RValue): string {
    // The atom is the positive form; `!=` is lowered as not(==).
    const op = this.cmp.op === "!=" ? "==" : this.cmp.op;
    const t = `${this.field.name} ${op} ${show(v)}`;
    return t.length > 200 ? t.slice(0, 199) + "…" : t;
  }

  // ---- strings: every operator is a byte pattern ---------------------------
  str(v: RValue): IrCond | null {
    const { op } = this.cmp;
    const f = this.field.name;
    const items = v.t === "list" ? v.items : [v];
    let pats: Pat[] | null;
    switch (op) {
      case "==":
      case "!=":
        if (v.t !== "str") return this.mismatch(`\`${f}\` is a string; \`${op}\` needs a string here`, "quote the value");
        pats = [literal(stringToBytes(v.value))];
        break;
      case "in":
        if (v.t !== "list") return this.mismatch("`in` needs a list", `write \`${f} in ["..."]\` or use \`==\``);
        pats = this.each(items, "str", (s) => literal(stringToBytes(s.value)));
        break;
      case "under":
        pats = this.each(items, "str", (s) => under(stringToBytes(s.value)));
        break;
      case "matches":
        pats = this.each(items, "str", (s) => {
          const r = parseGlob(s.value);
          if ("error" in r) {
            this.diags.error("bad-glob", insideLiteral(this.source, s.loc, r.error.offset, "string"), r.error.message, r.error.hint);
            return null;
          }
          return r.pat;
        });
        break;
      case "=~":
        pats = this.each(items, "regex", (s) => {
          const r = parseRegex(s.source, s.flags);
          if ("error" in r) {
            this.diags.error(r.error.code, insideLiteral(this.source, s.loc, r.error.offset, "regex"), r.error.message, r.error.hint);
            return null;
          }
          return r.pat;
        });
        break;
      default:
        throw new Error(`internal: operator ${op} reached str() (checked in predicateOf)`);
    }
    if (pats === null) return null;
    const wrongCase = (op === "==" || op === "!=" || op === "in") && this.wrongCase(items);
    if (wrongCase) {
      this.diags.error("never-matches", wrongCase.loc, `\`${this.text(v)}\` can never match: \`${f}\` values are ${CASE_OF[f]}`,
        `write ${JSON.stringify(CASE_OF[f] === "lowercase" ? wrongCase.value.toLowerCase() : wrongCase.value.toUpperCase())}`);
      return null;
    }
    const pat = pats.length === 1 ? pats[0]! : anyOf(pats);
    if (isEmpty(pat) || (this.field.path && !canStartWith(pat, SLASH))) {
      this.diags.error("never-matches", v.loc, `\`${this.text(v)}\` can never match`,
        this.field.path ? "paths are absolute: start the pattern with `/` or `**/`" : "the pattern matches no string");
      return null;
    }
    const pred: Pred = { type: "str", field: f, pat, key: `${f}\0${op === "!=" ? "==" : op}\0${keyOf(v)}`, text: this.text(v), loc: this.cmp.loc };
    return op === "!=" ? { t: "not", a: { t: "pred", pred } } : { t: "pred", pred };
  }

  /** A literal that breaks the field's normalized case (host lowercase, method uppercase). */
  private wrongCase(items: RValue[]): Extract<RValue, { t: "str" }> | null {
    const want = CASE_OF[this.field.name];
    if (!want) return null;
    for (const it of items) {
      if (it.t !== "str") continue;
      if (want === "lowercase" ? it.value !== it.value.toLowerCase() : it.value !== it.value.toUpperCase()) return it;
    }
    return null;
  }

  private each<T extends RValue["t"]>(
    items: RValue[],
    want: T,
    make: (v: Extract<RValue, { t: T }>) => Pat | null,
  ): Pat[] | null {
    if (items.length === 0) {
      this.diags.error("empty-list", this.cmp.value.loc, "an empty list never matches", "add items or remove the condition");
      return null;
    }
    const out: Pat[] = [];
    let ok = true;
    for (const it of items) {
      if (it.t !== want) {
        ok = false;
        this.mismatch(`\`${this.cmp.op}\` needs ${want === "regex" ? "a regex /.../" : "a string"} here, not ${describe(it)}`,
          want === "regex" ? "write the pattern between slashes: =~ /.../" : "quote the value", it.loc);
        continue;
      }
      const p = make(it as Extract<RValue, { t: T }>);
      if (p === null) ok = false;
      else out.push(p);
    }
    return ok ? out : null;
  }

  // ---- integers: comparisons are ranges --------------------------------------
  int(v: RValue): IrCond | null {
    const { op } = this.cmp;
    const f = this.field.name;
    const num = (x: RValue): bigint | null => {
      if (x.t === "num") {
        if (x.value < INT_MIN || x.value > INT_MAX) {
          this.diags.error("bad-number", x.loc, `${x.value} does not fit in 64 bits`, "use a value between -2^63 and 2^63-1");
          return null;
        }
        return x.value;
      }
      return this.mismatch(`\`${f}\` is a number, not ${describe(x)}`, x.t === "str" ? "remove the quotes" : "compare with a number", x.loc);
    };
    let ranges: Ranges;
    if (op === "in") {
      if (v.t !== "list") return this.mismatch("`in` needs a list", `write \`${f} in [1, 2]\` or use \`==\``);
      if (v.items.length === 0) {
        this.diags.error("empty-list", this.cmp.value.loc, "an empty list never matches", "add items or remove the condition");
        return null;
      }
      const ns = v.items.map(num);
      if (ns.some((n) => n === null)) return null;
      ranges = (ns as bigint[]).map((n) => [n, n]);
    } else {
      const n = num(v);
      if (n === null) return null;
      switch (op) {
        case "==": case "!=": ranges = [[n, n]]; break;
        case "<": ranges = n === INT_MIN ? [] : [[INT_MIN, n - 1n]]; break;
        case "<=": ranges = [[INT_MIN, n]]; break;
        case ">": ranges = n === INT_MAX ? [] : [[n + 1n, INT_MAX]]; break;
        case ">=": ranges = [[n, INT_MAX]]; break;
        default:
          throw new Error(`internal: operator ${op} reached int() (checked in predicateOf)`);
      }
    }
    ranges = normalize(ranges);
    const r = this.field.range;
    if (r && !ranges.some(([lo, hi]) => hi >= r[0] && lo <= r[1]) && op !== "!=") {
      this.diags.error("bad-number", v.loc, `\`${this.text(v)}\` can never match: \`${f}\` is between ${r[0]} and ${r[1]}`,
        `use a value from ${r[0]} to ${r[1]}`);
      return null;
    }
    return this.finish("int", ranges, v, op === "!=");
  }

  // ---- addresses: equality and CIDR membership are ranges ----------------------
  ip(v: RValue): IrCond | null {
    const { op } = this.cmp;
    const f = this.field.name;
    const range = (x: RValue, allowCidr: boolean): [bigint, bigint] | null => {
      if (x.t !== "ip" && x.t !== "str") return this.mismatch(`\`${f}\` is an address, not ${describe(x)}`, 'write 10.0.0.1, 10.0.0.0/8 or "fd00::/8"', x.loc);
      const text = x.t === "ip" ? x.text : x.value;
      if (!allowCidr && text.includes("/")) return this.mismatch(`\`${op}\` compares one address; \`${text}\` is a block`, `use \`${f} in ${x.t === "str" ? JSON.stringify(text) : text}\``, x.loc);
      const r = ipRange(text);
      if (typeof r === "string") {
        this.diags.error("bad-ip", x.loc, r, 'write 10.0.0.1, 10.0.0.0/8, "::1" or "fd00::/8"');
        return null;
      }
      return r;
    };
    let ranges: Ranges;
    if (op === "==" || op === "!=") {
      const r = range(v, false);
      if (r === null) return null;
      ranges = [r];
    } else if (op === "in") {
      const items = v.t === "list" ? v.items : [v];
      if (items.length === 0) {
        this.diags.error("empty-list", this.cmp.value.loc, "an empty list never matches", "add items or remove the condition");
        return null;
      }
      const rs = items.map((x) => range(x, true));
      if (rs.some((r) => r === null)) return null;
      ranges = rs as Ranges;
    } else {
      throw new Error(`internal: operator ${op} reached ip() (checked in predicateOf)`);
    }
    return this.finish("ip", normalize(ranges), v, op === "!=");
  }

  private finish(type: "int" | "ip", ranges: Ranges, v: RValue, negate: boolean): IrCond {
    const f = this.field.name;
    const key = `${f}\0${type}\0${ranges.map(([a, b]) => `${a}-${b}`).join(",")}`;
    const pred: Pred = { type, field: f, ranges, key, text: this.text(v), loc: this.cmp.loc };
    return negate ? { t: "not", a: { t: "pred", pred } } : { t: "pred", pred };
  }
}

/**
 * Can some string of a non-empty pattern start with byte `b`? Structural (no
 * automaton), exact for patterns whose parts are all non-empty languages —
 * which isEmpty() has established before this is asked.
 */
export function canStartWith(p: Pat, b: number): boolean {
  switch (p.kind) {
    case "set": return hasByte(p.set, b);
    case "alt": return p.alts.some((a) => !isEmpty(a) && canStartWith(a, b));
    case "repeat": return p.max !== 0 && canStartWith(p.body, b);
    case "seq":
      for (const part of p.parts) {
        if (canStartWith(part, b)) return true;
        if (!nullable(part)) return false;
      }
      return false;
  }
}

function nullable(p: Pat): boolean {
  switch (p.kind) {
    case "set": return false;
    case "seq": return p.parts.every(nullable);
    case "alt": return p.alts.some(nullable);
    case "repeat": return p.min === 0 || nullable(p.body);
  }
}

/** Sort and merge overlapping or adjacent ranges. */
export function normalize(rs: Ranges): Ranges {
  const s = [...rs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Ranges = [];
  for (const [lo, hi] of s) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) last[1] = hi > last[1] ? hi : last[1];
    else out.push([lo, hi]);
  }
  return out;
}

function describe(v: RValue): string {
  return { str: "a string", num: "a number", regex: "a regex", ip: "an address", duration: "a duration", list: "a list" }[v.t];
}

/** Canonical, front-end independent text of a value (disasm, audit, atom keys). */
export function show(v: RValue): string {
  switch (v.t) {
    case "str": return JSON.stringify(v.value);
    case "num": return String(v.value);
    case "regex": return `/${v.source}/${v.flags}`;
    case "ip": return v.text;
    case "duration": return `${v.ms}ms`;
    case "list": return `[${v.items.map(show).join(", ")}]`;
  }
}

function keyOf(v: RValue): string {
  return v.t === "list" ? v.items.map(keyOf).sort().join("\u0001") : `${v.t}:${show(v)}`;
}

/**
 * Location of value character `index` of a literal written at `loc`: skips the
 * opening quote or slash if there is one and counts each escape (`\\`, `\xff`,
 * `\u{..}`, a regex's `\/`) as the one character it stands for.
 */
export function insideLiteral(source: string, loc: Loc, index: number, kind: "string" | "regex"): Loc {
  let i = loc.start.offset;
  const open = source[i];
  const regex = kind === "regex" && open === "/";
  const quoted = kind === "string" && (open === '"' || open === "'");
  if (quoted || regex) i++;
  for (let v = 0; v < index && i < source.length; v++) {
    if (source[i] !== "\\") i++;
    else if (regex) i += source[i + 1] === "/" ? 2 : 1;
    else if (!quoted) i++;
    else if (source[i + 1] === "x") i += 4;
    else if (source[i + 1] === "u" && source[i + 2] === "{") i = source.indexOf("}", i) + 1 || i + 2;
    else i += 2;
  }
  const start = { line: loc.start.line, col: loc.start.col + (i - loc.start.offset), offset: i };
  return { file: loc.file, start, end: { ...start, col: start.col + 1, offset: i + 1 } };
}

export { formatIp };
