// Bad policies: one mistake per file, and the diagnostic the compiler must give.
//
// Each `NN-what-it-shows.trj` (or `.yaml`) starts with comment lines
//
//   # expect: <code> <line>:<col>                 a diagnostic that must be reported there
//   # expect-hint: <code> <line>:<col> <text>     ...and its hint must contain <text>
//
// and has a golden rendering `NN-what-it-shows.diag.txt` beside it
// (`UPDATE_GOLDEN=1 npx vitest run test/bad-policies` rewrites them; review the
// carets and hints by eye). A test here that fails is a compiler bug or a weak
// diagnostic: fix the compiler, not the expectation.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../compiler/index.js";
import { CODES, render, type Diagnostic } from "../../compiler/diagnostics.js";
import { expectGolden } from "../support/golden.js";

const dir = import.meta.dirname;
const REL = "test/bad-policies";
const files = readdirSync(dir)
  .filter((f) => /^\d{2,3}-[a-z0-9-]+\.(trj|ya?ml)$/.test(f))
  .sort();

/** Warnings: the policy still compiles. Every other code is an error. */
const WARNINGS = new Set(["shadowed-rule", "backstop-wide"]);

interface Expected {
  code: string;
  line: number;
  col: number;
  hint?: string;
}

function expectations(source: string, file: string): Expected[] {
  const out: Expected[] = [];
  for (const line of source.split("\n")) {
    const m = /^#\s*expect(-hint)?:\s*([a-z-]+)\s+(\d+):(\d+)(?:\s+(.*?))?\s*$/.exec(line);
    if (!m) {
      if (/^#\s*expect/.test(line)) throw new Error(`${file}: malformed expectation line: ${line}`);
      continue;
    }
    const [, isHint, code, l, c, text] = m;
    const e: Expected = { code: code!, line: Number(l), col: Number(c) };
    if (isHint) {
      if (!text) throw new Error(`${file}: # expect-hint needs a text`);
      e.hint = text;
    }
    out.push(e);
  }
  return out;
}

const at = (d: Diagnostic): string => `${d.code} ${d.loc.start.line}:${d.loc.start.col}`;

function run(file: string): { source: string; result: CompileResult; shown: string; expected: Expected[] } {
  const source = readFileSync(join(dir, file), "utf8");
  const result = compile(source, { file: `${REL}/${file}`, env: {} });
  const shown = result.diagnostics.map((d) => render(d, source)).join("\n");
  return { source, result, shown, expected: expectations(source, file) };
}

describe("bad policies", () => {
  it("has at least 45 bad policies, some of them YAML", () => {
    expect(files.length).toBeGreaterThanOrEqual(45);
    expect(files.filter((f) => /\.ya?ml$/.test(f)).length).toBeGreaterThanOrEqual(5);
  });

  it("covers every diagnostic code the compiler has", () => {
    const covered = new Set<string>();
    for (const f of files) for (const e of expectations(readFileSync(join(dir, f), "utf8"), f)) covered.add(e.code);
    expect(Object.keys(CODES).filter((c) => !covered.has(c))).toEqual([]);
    expect([...covered].filter((c) => !(c in CODES))).toEqual([]);
  });

  for (const file of files) {
    describe(file, () => {
      // Compiled lazily inside each test, so a compiler crash fails this file's tests, not the collection.
      let cached: ReturnType<typeof run> | undefined;
      const get = (): ReturnType<typeof run> => (cached ??= run(file));

      it("compiles without throwing", () => {
        expect(() => get()).not.toThrow();
      });

      it("declares what it expects", () => {
        const { source, result, shown, expected } = get();
        expect(expected.filter((e) => e.hint === undefined).length, "at least one `# expect:` line").toBeGreaterThan(0);
        for (const e of expected) expect(Object.keys(CODES), `${e.code} is a known code`).toContain(e.code);
      });

      it("reports each expected diagnostic at its line:col", () => {
        const { source, result, shown, expected } = get();
        const got = result.diagnostics.map(at);
        for (const e of expected) {
          expect(got, `expected ${e.code} at ${e.line}:${e.col}; the compiler said:\n${shown}`).toContain(`${e.code} ${e.line}:${e.col}`);
        }
      });

      it("fails to compile exactly when there is an error", () => {
        const { source, result, shown, expected } = get();
        const errors = result.diagnostics.filter((d) => d.severity === "error");
        expect(result.ok, shown).toBe(errors.length === 0);
        expect(result.bytes === null, shown).toBe(!result.ok);
        for (const e of expected) {
          const d = result.diagnostics.find((x) => at(x) === `${e.code} ${e.line}:${e.col}`);
          if (d) expect(d.severity, `${e.code} severity`).toBe(WARNINGS.has(e.code) ? "warning" : "error");
        }
        if (expected.some((e) => !WARNINGS.has(e.code))) expect(result.ok, shown).toBe(false);
      });

      it("gives a hint with every error that is not a plain syntax error", () => {
        const { source, result, shown, expected } = get();
        const bare = result.diagnostics.filter((d) => d.severity === "error" && d.code !== "syntax-error" && !d.hint?.trim());
        expect(bare.map(at), `errors without a hint:\n${shown}`).toEqual([]);
      });

      it("gives the expected hints", () => {
        const { source, result, shown, expected } = get();
        for (const e of expected.filter((x) => x.hint !== undefined)) {
          const d = result.diagnostics.find((x) => at(x) === `${e.code} ${e.line}:${e.col}`);
          expect(d?.hint ?? "", `hint of ${e.code} at ${e.line}:${e.col}`).toContain(e.hint);
        }
      });

      it("reports each problem once", () => {
        const { source, result, shown, expected } = get();
        const keys = result.diagnostics.map((d) => `${at(d)} ${d.message}`);
        expect(keys.filter((k, i) => keys.indexOf(k) !== i), shown).toEqual([]);
      });

      it("points inside the file, with its name", () => {
        const { source, result, shown, expected } = get();
        const lines = source.split("\n");
        for (const d of result.diagnostics) {
          expect(d.loc.file).toBe(`${REL}/${file}`);
          expect(d.loc.start.line, at(d)).toBeGreaterThanOrEqual(1);
          expect(d.loc.start.line, at(d)).toBeLessThanOrEqual(lines.length);
          expect(d.loc.start.col, at(d)).toBeGreaterThanOrEqual(1);
          expect(d.loc.start.col, at(d)).toBeLessThanOrEqual((lines[d.loc.start.line - 1] ?? "").length + 1);
          expect(d.loc.end.offset, at(d)).toBeGreaterThanOrEqual(d.loc.start.offset);
          expect(d.message.trim(), at(d)).not.toBe("");
          expect(Object.keys(CODES), at(d)).toContain(d.code);
        }
      });

      it("renders as its golden diagnostics", () => {
        const { source, result, shown, expected } = get();
        expectGolden(join(dir, file.replace(/\.(trj|ya?ml)$/, ".diag.txt")), shown);
      });
    });
  }
});
