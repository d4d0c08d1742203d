// Whatever the input, the front-ends answer with a policy or diagnostics
// whose positions lie inside the source; they never throw.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { parsePolicy } from "../../compiler/parse.js";
import { parseYamlPolicy } from "../../compiler/yaml.js";
import { fixture } from "./helpers.js";

function checkDiagnostics(source: string, diags: Diagnostic[]): void {
  for (const d of diags) {
    expect(d.loc.start.offset).toBeGreaterThanOrEqual(0);
    expect(d.loc.end.offset).toBeLessThanOrEqual(source.length);
    expect(d.loc.start.offset).toBeLessThanOrEqual(d.loc.end.offset);
    expect(d.loc.start.line).toBeGreaterThanOrEqual(1);
    expect(d.loc.start.col).toBeGreaterThanOrEqual(1);
    expect(d.message).not.toBe("");
  }
}

/** The source with one slice replaced: a cheap way to make nearly-valid policies. */
const mutated = (base: string) =>
  fc
    .tuple(fc.nat(base.length), fc.nat(8), fc.string({ unit: fc.constantFrom(..." \n\"/\\[](){}:,=!&|*.#0a-_xu\0é".split("")), maxLength: 4 }))
    .map(([at, cut, ins]) => base.slice(0, at) + ins + base.slice(Math.min(base.length, at + cut)));

describe("robustness", () => {
  it("never_throws_on_mutated_text_policies", () => {
    const base = fixture("full-example.trj");
    fc.assert(
      fc.property(mutated(base), (src) => {
        const r = parsePolicy(src, "m.trj");
        expect(r.policy !== null || r.diagnostics.some((d) => d.severity === "error")).toBe(true);
        checkDiagnostics(src, r.diagnostics);
      }),
      { numRuns: 200 },
    );
  });

  it("never_throws_on_mutated_yaml_policies", () => {
    const base = fixture("tool-guard.yaml");
    fc.assert(
      fc.property(mutated(base), (src) => {
        const r = parseYamlPolicy(src, "m.yaml");
        expect(r.policy !== null || r.diagnostics.some((d) => d.severity === "error")).toBe(true);
        checkDiagnostics(src, r.diagnostics);
      }),
      { numRuns: 150 },
    );
  });

  it("points_inside_a_folded_yaml_condition_when_a_comment_swallows_its_end", () => {
    // Found by the property above: the folded scalar's line break became a space,
    // so the "missing after `and`" point started after it ended.
    const src = 'policy: p\nversion: 1.0.0\nrules:\n  - name: r\n    deny: file.read\n    if: >\n      path == "/a" and\n      #(path == "/b")\n';
    const r = parseYamlPolicy(src, "m.yaml");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["syntax-error"]);
    checkDiagnostics(src, r.diagnostics);
    const at = r.diagnostics[0]!.loc.start;
    expect(src.slice(at.offset - 3, at.offset)).toBe("and");
  });

  it("refuses_absurdly_deep_nesting_with_a_diagnostic", () => {
    const n = 100_000;
    const src = `policy "p" version "1.0.0"\nrule a: deny * if ${"(".repeat(n)}a == 1${")".repeat(n)}`;
    const r = parsePolicy(src, "deep.trj");
    expect(r.policy).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["syntax-error"]);
  });

  it("parses_reasonable_nesting", () => {
    const src = `policy "p" version "1.0.0"\nrule a: deny * if ${"(".repeat(200)}a == 1${")".repeat(200)}\nconst L = ${"[".repeat(200)}${"]".repeat(200)}`;
    expect(parsePolicy(src, "deep.trj").diagnostics).toEqual([]);
  });

  it("never_throws_on_arbitrary_strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const src = 'policy "p" version "1.0.0"\n' + s;
        checkDiagnostics(src, parsePolicy(src, "a.trj").diagnostics);
      }),
      { numRuns: 300 },
    );
  });
});
