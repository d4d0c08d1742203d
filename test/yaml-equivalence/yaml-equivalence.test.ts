// The YAML form is the same language: each shipped policy, rewritten in YAML
// beside this file, must parse to the same AST (locations aside) and compile
// to the same table, byte for byte, except for what legitimately depends on
// the source text — the source SHA-256 in the header, each rule's line and
// column, and so the body SHA-256 that covers them. Diagnostics of a YAML
// file point at YAML lines and columns.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { HDR, SEC, SIZE } from "../../compiler/format.js";

const root = join(import.meta.dirname, "../..");
const here = "test/yaml-equivalence";
const POLICIES = ["coding-agent", "no-network", "read-only"];
const VARS = { WORKSPACE: "/work" };
const SLOW = { timeout: 180_000 };

const read = (rel: string): string => readFileSync(join(root, rel), "utf8");

function build(rel: string, source = read(rel)): CompileResult {
  return compile(source, { file: rel, vars: VARS, env: {} });
}

/** The AST without positions: `loc` and `opLoc` removed everywhere. */
function stripLocs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripLocs);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "loc" && k !== "opLoc").map(([k, x]) => [k, stripLocs(x)]));
  }
  return v;
}

interface RulePos {
  name: string;
  line: number;
  col: number;
}

function view(t: Uint8Array): DataView {
  return new DataView(t.buffer, t.byteOffset, t.byteLength);
}

function rulesSection(t: Uint8Array): { off: number; count: number } {
  const v = view(t);
  const off = v.getUint32(HDR.sections + SEC.RULES * 8, true);
  const size = v.getUint32(HDR.sections + SEC.RULES * 8 + 4, true);
  expect(size % SIZE.rule).toBe(0);
  return { off, count: size / SIZE.rule };
}

/** Rule names and positions as the table records them (name is a trj_str at +0, line at +24, col at +28). */
function rulePositions(t: Uint8Array): RulePos[] {
  const v = view(t);
  const strings = v.getUint32(HDR.sections + SEC.STRINGS * 8, true);
  const { off, count } = rulesSection(t);
  return Array.from({ length: count }, (_, i) => {
    const o = off + i * SIZE.rule;
    const s = strings + v.getUint32(o, true);
    const name = Buffer.from(t.subarray(s, s + v.getUint32(o + 4, true))).toString("utf8");
    return { name, line: v.getUint32(o + 24, true), col: v.getUint32(o + 28, true) };
  });
}

/** A copy of the table with the source-dependent bytes zeroed: source hash, body hash, rules' line/col. */
function normalized(t: Uint8Array): Uint8Array {
  const out = Uint8Array.from(t);
  out.fill(0, HDR.sourceSha, HDR.sourceSha + 32);
  out.fill(0, HDR.bodySha, HDR.bodySha + 32);
  const { off, count } = rulesSection(out);
  for (let i = 0; i < count; i++) out.fill(0, off + i * SIZE.rule + 24, off + i * SIZE.rule + 32);
  return out;
}

/** Byte offsets where two equal-length tables differ (for failure messages). */
function differences(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 20; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** 1-based line:col of the `n`-th (0-based) occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, n = 0): { line: number; col: number } {
  let at = -1;
  for (let k = 0; k <= n; k++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`\`${needle}\` (#${n}) not found`);
  }
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { line, col: at - before.lastIndexOf("\n") };
}

describe("YAML and .trj forms of the shipped policies", SLOW, () => {
  for (const name of POLICIES) {
    describe(name, () => {
      const trjFile = `policies/${name}.trj`;
      const yamlFile = `${here}/${name}.yaml`;
      let cached: { trj: CompileResult; yaml: CompileResult } | undefined;
      const both = () => (cached ??= { trj: build(trjFile), yaml: build(yamlFile) });

      it("both compile without errors or warnings", () => {
        const { trj, yaml } = both();
        expect(trj.diagnostics).toEqual([]);
        expect(yaml.diagnostics).toEqual([]);
        expect(trj.bytes).not.toBeNull();
        expect(yaml.bytes).not.toBeNull();
      });

      it("parse to the same AST, positions aside", () => {
        const { trj, yaml } = both();
        expect(stripLocs(yaml.policy)).toEqual(stripLocs(trj.policy));
      });

      it("compile to the same table except the source hash, the body hash and the rules' line:col", () => {
        const a = both().trj.bytes!;
        const b = both().yaml.bytes!;
        expect(b.length).toBe(a.length);
        const na = normalized(a);
        const nb = normalized(b);
        expect(differences(na, nb), "offsets that differ after normalizing").toEqual([]);
        expect(Buffer.from(nb).equals(Buffer.from(na))).toBe(true);
        // And the parts that were zeroed really do differ (each form hashes its own text).
        expect(Buffer.from(a.subarray(HDR.sourceSha, HDR.sourceSha + 32)).equals(Buffer.from(b.subarray(HDR.sourceSha, HDR.sourceSha + 32)))).toBe(false);
      });

      it("record each rule at its name in its own source", () => {
        for (const [file, result, needle] of [
          [trjFile, both().trj, (r: string) => `rule ${r}:`],
          [yamlFile, both().yaml, (r: string) => `name: ${r}\n`],
        ] as const) {
          const text = read(file);
          const rules = rulePositions(result.bytes!);
          expect(rules.length).toBeGreaterThan(0);
          for (const r of rules) {
            const at = positionOf(text, needle(r.name));
            const nameCol = at.col + needle(r.name).indexOf(r.name);
            expect({ file, rule: r.name, line: r.line, col: r.col }).toEqual({ file, rule: r.name, line: at.line, col: nameCol });
          }
        }
      });
    });
  }
});

describe("YAML diagnostics point into the YAML file", SLOW, () => {
  const file = `${here}/no-network.yaml`;
  const good = read(file);

  /** Compile a variant of no-network.yaml, with `from` replaced by `to`. */
  function variant(from: string, to: string): { source: string; result: CompileResult } {
    expect(good).toContain(from);
    const source = good.replace(from, to);
    return { source, result: build(file, source) };
  }

  const at = (r: CompileResult) => r.diagnostics.map((d) => ({ code: d.code, line: d.loc.start.line, col: d.loc.start.col }));

  it("an unknown field inside a plain `if:`", () => {
    const { source, result } = variant('if: not (family == "unix")', 'if: not (famly == "unix")');
    expect(result.ok).toBe(false);
    expect(at(result)).toEqual([{ code: "unknown-field", ...positionOf(source, "famly") }]);
    expect(result.diagnostics[0]!.hint).toContain("family");
  });

  it("a bad glob inside a quoted string of an `if:` list", () => {
    const { source, result } = variant('"**/socat"', '"**/so[cat"');
    expect(at(result)).toEqual([{ code: "bad-glob", ...positionOf(source, "[cat") }]);
  });

  it("a type error inside a folded `if: >` on its second line", () => {
    const { source, result } = variant('    if: path matches "**/.ssh/**"', '    if: >\n      path matches "**/.ssh/**"\n      or pid == "1"');
    expect(at(result)).toEqual([{ code: "type-mismatch", ...positionOf(source, '"1"') }]);
  });

  it("a syntax error inside `if:`", () => {
    const { source, result } = variant('if: path matches "**/.ssh/**"', 'if: path matches "**/.ssh/**" && pid == 1');
    expect(at(result)).toEqual([{ code: "syntax-error", ...positionOf(source, "&&") }]);
  });

  it("an unknown kind in a rule's kind list", () => {
    const { source, result } = variant("deny: [net.connect, net.send, net.bind]", "deny: [net.connect, net.sned, net.bind]");
    expect(at(result)).toEqual([{ code: "unknown-kind", ...positionOf(source, "net.sned") }]);
    expect(result.diagnostics[0]!.hint).toContain("net.send");
  });

  it("an unknown kind in a comma-separated kind string", () => {
    const { source, result } = variant("deny: [net.connect, net.send, net.bind]", "deny: net.connect, net.sned");
    expect(at(result)).toEqual([{ code: "unknown-kind", ...positionOf(source, "net.sned") }]);
  });

  it("an unknown key, with the accepted keys in the hint", () => {
    const { source, result } = variant("    reason: this agent works offline\n  - name: no_ssh_keys", "    raeson: this agent works offline\n  - name: no_ssh_keys");
    expect(at(result)).toEqual([{ code: "yaml-error", ...positionOf(source, "raeson") }]);
    expect(result.diagnostics[0]!.hint).toContain("reason");
  });

  it("a failing example, at the example", () => {
    const { source, result } = variant("  - allow: file.write\n    path: /home/u/notes.txt", "  - deny: file.write\n    path: /home/u/notes.txt");
    expect(at(result)).toEqual([{ code: "example-failed", ...positionOf(source, "deny: file.write") }]);
  });

  it("a duplicate rule name, at the second name", () => {
    const { source, result } = variant("  - name: no_dns", "  - name: no_network");
    expect(at(result)).toEqual([{ code: "duplicate-name", ...positionOf(source, "no_network", 1) }]);
  });
});
