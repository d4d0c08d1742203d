// YAML front-end: reads a policy written as YAML into the same AST as the text
// form, with locations pointing into the YAML file. Conditions (`if:`) are in
// the text syntax and go through the text parser, their positions mapped back
// into the YAML scalar they came from.
//
//   policy: coding-agent
//   version: "1.0.0"
//   default: deny
//   consts:   { NAME: value | {env: VAR, default: value} }
//   lists:    { NAME: [value, ...] }
//   rules:    [ {name, allow|deny|ask|flag: kind | [kinds], if?, reason?, timeout?} ]
//   examples: [ {allow|deny|ask|flag: kind, FIELD: value, ...} ]

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Document,
  type Node as YamlNode,
  type YAMLMap,
} from "yaml";
import type {
  BoolCond,
  Cond,
  ConstDecl,
  Decision,
  DefaultDecision,
  Decl,
  DurationLit,
  ExampleDecl,
  FieldRef,
  Ident,
  KindPattern,
  ListDecl,
  Loc,
  Policy,
  Pos,
  RuleDecl,
  StringLit,
  Value,
} from "./ast.js";
import { closest, type Diagnostic } from "./diagnostics.js";
import { parseConditionMapped, RESERVED_WORDS, type PosMap } from "./parse.js";

export interface ParseYamlResult {
  policy: Policy | null;
  diagnostics: Diagnostic[];
}

const TOP_KEYS = ["policy", "version", "default", "consts", "lists", "rules", "examples"];
const DECISIONS: Decision[] = ["allow", "deny", "ask", "flag"];
const RULE_KEYS = ["name", ...DECISIONS, "if", "reason", "timeout"];
const RESERVED = RESERVED_WORDS;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KIND_RE = /^(\*|[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\*))*)$/;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$/;
const DURATION_RE = /^([0-9]+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Parses a policy written in YAML. `file` is only used in locations. */
export function parseYamlPolicy(source: string, file: string): ParseYamlResult {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, keepSourceTokens: true });
  const r = new Reader(source, file, lines, doc);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      if (e.code === "DUPLICATE_KEY") {
        const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*?)\s*:/.exec(source.slice(e.pos[0]))?.[1] ?? "";
        r.error(r.span(e.pos[0], e.pos[0] + Math.max(1, key.length)), `duplicate key${key ? ` \`${key}\`` : ""}`,
          "each key may appear once in a mapping; remove or rename one");
      } else {
        r.error(r.span(e.pos[0], e.pos[1]), e.message.replace(/\s+$/, ""), "the file is not valid YAML");
      }
    }
    return { policy: null, diagnostics: r.diagnostics };
  }
  const policy = r.policy();
  const failed = r.diagnostics.some((d) => d.severity === "error");
  return { policy: failed ? null : policy, diagnostics: r.diagnostics };
}

interface Entry {
  key: string;
  keyNode: Scalar;
  value: YamlNode | null;
}

class Reader {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly source: string,
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document,
  ) {}

  // ------------------------------------------------------------------ positions

  pos(offset: number): Pos {
    const { line, col } = this.lines.linePos(offset);
    return { line, col, offset };
  }

  span(start: number, end: number): Loc {
    const n = this.source.length;
    const s = Math.min(Math.max(0, start), n);
    return { file: this.file, start: this.pos(s), end: this.pos(Math.min(Math.max(s, end), n)) };
  }

  loc(node: YamlNode | null | undefined): Loc {
    const range = node?.range;
    if (!range) return this.span(0, 0);
    return this.span(range[0], range[1]);
  }

  error(loc: Loc, message: string, hint?: string): void {
    this.diagnostics.push({ code: "yaml-error", severity: "error", message, hint, loc });
  }

  // ---------------------------------------------------------------------- shape

  private deref(node: unknown): YamlNode | null {
    if (isAlias(node)) return (node.resolve(this.doc) as YamlNode | undefined) ?? null;
    return (node as YamlNode | null) ?? null;
  }

  /** The pairs of a mapping with string keys; reports anything else. */
  private pairs(node: YamlNode | null, what: string, at: Loc): Entry[] | null {
    if (!isMap(node)) {
      this.error(node ? this.loc(node) : at, `${what} must be a mapping (key: value)`, "write `key: value` lines indented under it");
      return null;
    }
    const out: Entry[] = [];
    for (const pair of (node as YAMLMap).items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== "string") {
        this.error(this.loc(key as YamlNode), `a key in ${what} must be a plain word`, "use a name such as `workspace`, not a list or mapping");
        continue;
      }
      out.push({ key: key.value, keyNode: key, value: this.deref(pair.value) });
    }
    return out;
  }

  private unknownKey(keyNode: Scalar, key: string, where: string, accepted: string[]): void {
    const guess = closest(key, accepted);
    this.error(this.loc(keyNode), `unknown key \`${key}\` in ${where}`,
      (guess ? `did you mean \`${guess}\`? ` : "") + `accepted keys: ${accepted.join(", ")}`);
  }

  private string(node: YamlNode | null, what: string, at: Loc): StringLit | null {
    if (!isScalar(node) || typeof node.value !== "string") {
      this.error(node ? this.loc(node) : at, `${what} must be a string`, isScalar(node) && typeof node.value === "number" ? `quote it: "${String(node.value)}"` : undefined);
      return null;
    }
    if (/[\ud800-\udfff]/.test(node.value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) {
      this.error(this.loc(node), `${what} contains a lone UTF-16 surrogate`, "YAML strings must be valid Unicode; raw bytes (\\xHH) can only be written inside `if:` conditions or in the .trj form");
      return null;
    }
    return { type: "string", value: node.value, loc: this.loc(node) };
  }

  private name(node: YamlNode | null, what: string, at: Loc): Ident | null {
    const s = this.string(node, what, at);
    if (s === null) return null;
    if (!NAME_RE.test(s.value)) {
      this.error(s.loc, `\`${s.value}\` is not a valid ${what}`, "names are letters, digits and `_`, not starting with a digit");
      return null;
    }
    if (RESERVED.has(s.value)) {
      this.error(s.loc, `\`${s.value}\` is a reserved word and cannot be used as a name`, `choose another name, e.g. \`${s.value}_1\``);
      return null;
    }
    return { type: "ident", name: s.value, loc: s.loc };
  }

  // --------------------------------------------------------------------- policy

  policy(): Policy | null {
    const root = this.deref(this.doc.contents);
    const whole = this.span(0, this.source.length);
    if (root === null) {
      this.error(whole, "the YAML document is empty", "a policy needs at least `policy:`, `version:` and `default:`");
      return null;
    }
    const top = this.pairs(root, "the policy", whole);
    if (top === null) return null;

    let name: StringLit | null = null;
    let version: StringLit | null = null;
    let def: Policy["default"] = null;
    const decls: Decl[] = [];
    for (const { key, keyNode, value } of top) {
      const at = this.loc(keyNode);
      switch (key) {
        case "policy":
          name = this.string(value, "`policy` (the policy name)", at);
          break;
        case "version":
          version = this.string(value, "`version`", at);
          break;
        case "default": {
          const s = this.string(value, "`default`", at);
          if (s === null) break;
          if (s.value === "allow" || s.value === "deny" || s.value === "ask") {
            def = { decision: s.value as DefaultDecision, loc: this.span(keyNode.range![0], value!.range![1]) };
          } else {
            this.error(s.loc, `\`${s.value}\` is not a default decision`, "the default is allow, deny or ask");
          }
          break;
        }
        case "consts":
          for (const c of this.pairs(value, "`consts`", at) ?? []) {
            const d = this.constDecl(c.keyNode, c.value);
            if (d) decls.push(d);
          }
          break;
        case "lists":
          for (const c of this.pairs(value, "`lists`", at) ?? []) {
            const d = this.listDecl(c.keyNode, c.value);
            if (d) decls.push(d);
          }
          break;
        case "rules":
          for (const item of this.items(value, "`rules`", at)) {
            const d = this.ruleDecl(item);
            if (d) decls.push(d);
          }
          break;
        case "examples":
          for (const item of this.items(value, "`examples`", at)) {
            const d = this.exampleDecl(item);
            if (d) decls.push(d);
          }
          break;
        default:
          this.unknownKey(keyNode, key, "the policy", TOP_KEYS);
      }
    }
    // A missing key is reported here; a present but malformed one was reported above.
    const absent = ["policy", "version"].filter((k) => !top.some((p) => p.key === k));
    if (absent.length > 0) {
      this.error(this.loc(root), `the policy has no ${absent.map((k) => `\`${k}:\``).join(" and ")}`,
        'start the file with `policy: my-agent` and `version: "1.0.0"`');
    }
    if (name === null || version === null) return null;
    return { type: "policy", name, version, default: def, decls, loc: this.loc(root) };
  }

  private items(node: YamlNode | null, what: string, at: Loc): YamlNode[] {
    if (!isSeq(node)) {
      this.error(node ? this.loc(node) : at, `${what} must be a list (- item)`, "write each item on its own line starting with `- `, or inline as [a, b]");
      return [];
    }
    return node.items.map((i) => this.deref(i)).filter((i): i is YamlNode => i !== null);
  }

  // ---------------------------------------------------------------- declarations

  private constDecl(keyNode: Scalar, value: YamlNode | null): ConstDecl | null {
    const name = this.name(keyNode, "const name", this.loc(keyNode));
    const v = this.value(value, `const \`${String(keyNode.value)}\``, this.loc(keyNode), true);
    if (name === null || v === null) return null;
    return { type: "const", name, value: v, loc: this.pairLoc(keyNode, value) };
  }

  private listDecl(keyNode: Scalar, value: YamlNode | null): ListDecl | null {
    const name = this.name(keyNode, "list name", this.loc(keyNode));
    if (!isSeq(value)) {
      this.error(value ? this.loc(value) : this.loc(keyNode), `list \`${String(keyNode.value)}\` must be a YAML list`, 'e.g. secrets: ["**/.ssh/**", "**/*.pem"]');
      return null;
    }
    const items: Value[] = [];
    for (const it of value.items) {
      const v = this.value(this.deref(it), `an item of list \`${String(keyNode.value)}\``, this.loc(value), true);
      if (v) items.push(v);
    }
    if (name === null || items.length !== value.items.length) return null;
    return { type: "list", name, items, loc: this.pairLoc(keyNode, value) };
  }

  private pairLoc(keyNode: Scalar, value: YamlNode | null): Loc {
    const end = value?.range?.[1] ?? keyNode.range?.[1] ?? 0;
    return this.span(keyNode.range?.[0] ?? 0, end);
  }

  /**
   * A value: string, whole number, list, or (where `env` is true) `{env: VAR, default: value}`.
   * Strings stay strings, even when they look like an IP address or a duration.
   */
  private value(node: YamlNode | null, what: string, at: Loc, env: boolean): Value | null {
    if (node === null || (isScalar(node) && node.value === null)) {
      this.error(node ? this.loc(node) : at, `${what} has no value`, "give it a value after the colon, or remove the key");
      return null;
    }
    if (isScalar(node)) {
      if (typeof node.value === "string") return this.string(node, what, at);
      if (typeof node.value === "number") {
        const raw = this.source.slice(node.range![0], node.range![1]);
        if (!/^[-+]?(0x[0-9A-Fa-f]+|0o[0-7]+|[0-9]+)$/.test(raw) || !Number.isSafeInteger(node.value)) {
          this.error(this.loc(node), `${what} must be a whole number, not \`${raw}\``, "numbers are whole and fit in 53 bits; quote it to make it a string");
          return null;
        }
        return { type: "number", value: node.value, loc: this.loc(node) };
      }
      this.error(this.loc(node), `${what} must be a string or a number, not \`${String(node.value)}\``, `quote it to make it a string: "${String(node.value)}"`);
      return null;
    }
    if (isSeq(node)) {
      const items: Value[] = [];
      for (const it of node.items) {
        const v = this.value(this.deref(it), `an item of ${what}`, this.loc(node), env);
        if (v === null) return null;
        items.push(v);
      }
      return { type: "list", items, loc: this.loc(node) };
    }
    if (isMap(node) && env) {
      const ps = this.pairs(node, what, at) ?? [];
      let name: StringLit | null = null;
      let fallback: StringLit | null = null;
      let ok = true;
      for (const p of ps) {
        if (p.key === "env") name = this.string(p.value, "`env`", this.loc(p.keyNode));
        else if (p.key === "default") fallback = this.string(p.value, "`default`", this.loc(p.keyNode));
        else {
          this.unknownKey(p.keyNode, p.key, what, ["env", "default"]);
          ok = false;
        }
        if ((p.key === "env" && name === null) || (p.key === "default" && fallback === null)) ok = false;
      }
      if (name === null) {
        if (ok) this.error(this.loc(node), `${what}: a mapping value must be \`{env: VAR, default: value}\``, "accepted keys: env, default");
        return null;
      }
      if (!ok) return null;
      return { type: "env", name, fallback, loc: this.loc(node) };
    }
    this.error(this.loc(node), `${what} must be a string, a number or a list`, 'for env use { env: NAME, default: value }');
    return null;
  }

  /** The decision key of a rule or example: exactly one of allow, deny, ask, flag. */
  private decisionOf(ps: Entry[], node: YamlNode, what: string) {
    const found = ps.filter((p) => (DECISIONS as string[]).includes(p.key));
    if (found.length === 0) {
      this.error(this.loc(node), `${what} has no decision`, "give exactly one of allow:, deny:, ask:, flag: with the action kind(s)");
      return null;
    }
    if (found.length > 1) {
      this.error(this.loc(found[1]!.keyNode), `${what} has more than one decision`, "give exactly one of allow:, deny:, ask:, flag:");
      return null;
    }
    const d = found[0]!;
    return { value: d.key as Decision, loc: this.loc(d.keyNode), node: d.value, keyNode: d.keyNode };
  }

  private ruleDecl(node: YamlNode): RuleDecl | null {
    const ps = this.pairs(node, "a rule", this.loc(node));
    if (ps === null) return null;
    let name: Ident | null = null;
    let cond: Cond | null = null;
    let reason: StringLit | null = null;
    let timeout: DurationLit | null = null;
    let ok = true;
    for (const p of ps) {
      const at = this.loc(p.keyNode);
      switch (p.key) {
        case "name":
          name = this.name(p.value, "rule name", at);
          ok &&= name !== null;
          break;
        case "if":
          cond = this.condition(p.value, at);
          ok &&= cond !== null;
          break;
        case "reason":
          reason = this.string(p.value, "`reason`", at);
          ok &&= reason !== null;
          break;
        case "timeout":
          timeout = this.duration(p.value, at);
          ok &&= timeout !== null;
          break;
        default:
          if (!(DECISIONS as string[]).includes(p.key)) {
            this.unknownKey(p.keyNode, p.key, "a rule", RULE_KEYS);
            ok = false;
          }
      }
    }
    if (!ps.some((p) => p.key === "name")) {
      this.error(this.loc(node), "a rule has no `name`", "every rule needs `name: some_name`");
      ok = false;
    }
    const decision = this.decisionOf(ps, node, name ? `rule \`${name.name}\`` : "a rule");
    if (decision === null) return null;
    const kinds = this.kinds(decision.node, decision.loc, true);
    if (!ok || name === null || kinds === null) return null;
    return {
      type: "rule", name, decision: { value: decision.value, loc: decision.loc }, kinds, cond, reason, timeout, loc: this.loc(node),
    };
  }

  private exampleDecl(node: YamlNode): ExampleDecl | null {
    const ps = this.pairs(node, "an example", this.loc(node));
    if (ps === null) return null;
    const decision = this.decisionOf(ps, node, "an example");
    if (decision === null) return null;
    const kinds = this.kinds(decision.node, decision.loc, false);
    let ok = kinds !== null;
    const fields: ExampleDecl["fields"] = [];
    for (const p of ps) {
      if ((DECISIONS as string[]).includes(p.key)) continue;
      const head = p.key.split(/[.[]/)[0]!;
      if (!FIELD_RE.test(p.key) || RESERVED.has(head)) {
        this.error(this.loc(p.keyNode), `\`${p.key}\` is not a field name`, "fields are names such as path, exe, host, port, args.amount, argv[1]");
        ok = false;
        continue;
      }
      const name: FieldRef = { type: "field", name: p.key, loc: this.loc(p.keyNode) };
      const value = this.value(p.value, `field \`${p.key}\``, name.loc, false);
      if (value === null) ok = false;
      else fields.push({ name, value });
    }
    if (!ok || kinds === null) return null;
    return { type: "example", decision: { value: decision.value, loc: decision.loc }, kind: kinds[0]!, fields, loc: this.loc(node) };
  }

  // ------------------------------------------------------------------ rule parts

  /** `file.read`, `file.read, file.write` or `[file.read, file.write]`. */
  private kinds(node: YamlNode | null, at: Loc, many: boolean): KindPattern[] | null {
    const out: KindPattern[] = [];
    const one = (n: YamlNode | null): boolean => {
      if (!isScalar(n) || typeof n.value !== "string") {
        this.error(n ? this.loc(n) : at, "an action kind must be a string such as file.read, file.* or *", "e.g. `allow: file.read` or `allow: [file.read, file.write]`");
        return false;
      }
      const map = scalarMap(n, this.source);
      const text = n.value;
      const parts = many ? text.split(",") : [text];
      let offset = 0;
      for (const part of parts) {
        const lead = part.length - part.trimStart().length;
        const k = part.trim();
        const s = offset + lead;
        offset += part.length + 1;
        const loc = this.span(map.start(s), map.end(s + k.length));
        if (!KIND_RE.test(k) || RESERVED.has(k.split(".")[0]!)) {
          this.error(loc, `\`${k}\` is not an action kind`, "e.g. file.read, file.*, exec, net.connect or *");
          return false;
        }
        out.push({ type: "kind", text: k, loc });
      }
      return true;
    };
    if (isSeq(node)) {
      if (!many) {
        this.error(this.loc(node), "an example has exactly one action kind", "write one example per kind, e.g. `- deny: file.read`");
        return null;
      }
      if (node.items.length === 0) {
        this.error(this.loc(node), "the list of action kinds is empty", "name at least one kind, e.g. [file.read]");
        return null;
      }
      for (const it of node.items) if (!one(this.deref(it))) return null;
    } else if (!one(node)) {
      return null;
    }
    return out;
  }

  private condition(node: YamlNode | null, at: Loc): Cond | null {
    if (isScalar(node) && typeof node.value === "boolean") {
      const b: BoolCond = { type: "bool", value: node.value, loc: this.loc(node) };
      return b;
    }
    if (!isScalar(node) || typeof node.value !== "string") {
      this.error(node ? this.loc(node) : at, "`if` must be a condition written as a string", 'e.g. if: path under "/work"');
      return null;
    }
    const map = scalarMap(node, this.source);
    const posMap: PosMap = {
      start: (p) => this.pos(map.start(p.offset)),
      end: (p) => this.pos(map.end(p.offset)),
    };
    const r = parseConditionMapped(node.value, this.file, posMap);
    this.diagnostics.push(...r.diagnostics);
    return r.cond;
  }

  private duration(node: YamlNode | null, at: Loc): DurationLit | null {
    if (isScalar(node) && typeof node.value === "string") {
      const m = DURATION_RE.exec(node.value);
      if (m) {
        const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
        if (Number.isSafeInteger(ms)) return { type: "duration", ms, text: node.value, loc: this.loc(node) };
      }
    }
    const shown = isScalar(node) ? String(node.value) : "this";
    this.error(node ? this.loc(node) : at, `\`${shown}\` is not a duration`, isScalar(node) && typeof node.value === "number" ? `write a unit: ${shown}s, ${shown}ms, ${shown}m or ${shown}h` : "e.g. timeout: 30s; units: ms, s, m, h");
    return null;
  }
}

/**
 * Where each character of a scalar's value sits in the YAML source. Plain and
 * quoted scalars on one line map one to one; folded lines and escapes are
 * aligned by walking value and source together (exact for the characters that
 * appear as written, close for the rest).
 */
function scalarMap(node: Scalar, source: string): { start(i: number): number; end(i: number): number } {
  const value = String(node.value);
  const [s, e] = [node.range![0], node.range![1]];
  let p = s;
  if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) p = s + 1;
  else if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) {
    const nl = source.indexOf("\n", s);
    p = nl === -1 || nl >= e ? e : nl + 1;
  }
  const first = p;
  const idx: number[] = [];
  if (source.slice(p, p + value.length) === value) {
    for (let i = 0; i < value.length; i++) idx.push(p + i);
  } else {
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      let q = p;
      let skipped = 0;
      while (q < e && source[q] !== c) {
        if (!/\s/.test(source[q]!) && ++skipped > 10) break;
        q++;
      }
      if (q < e && source[q] === c) {
        idx.push(q);
        p = q + 1;
      } else {
        idx.push(Math.min(p, Math.max(first, e - 1)));
      }
    }
  }
  // Never past the scalar's own text (a chomped final newline has no source).
  const within = (q: number): number => Math.min(q, Math.max(first, e));
  return {
    start: (i) => within(idx[i] ?? (idx.length > 0 ? idx[idx.length - 1]! + 1 : first)),
    end: (i) => within(i === 0 ? first : idx[i - 1]! + 1),
  };
}
