// The YAML front-end yields the same AST as the text form (locations aside),
// with locations pointing into the YAML, and reports shape errors at the
// YAML line:col with the keys it accepts.

import { describe, expect, it } from "vitest";
import type { Loc } from "../../compiler/ast.js";
import { render } from "../../compiler/diagnostics.js";
import { stringToBytes } from "../../compiler/parse.js";
import { parseYamlPolicy } from "../../compiler/yaml.js";
import { fixture, parseOk, stripLocs } from "./helpers.js";

function yamlOk(source: string, file = "test.yaml") {
  const r = parseYamlPolicy(source, file);
  expect(r.diagnostics.map((d) => render(d, source))).toEqual([]);
  expect(r.policy).not.toBeNull();
  return r.policy!;
}

/** [code, line, col] of each diagnostic, and the rendered text for failure messages. */
function yamlErrors(source: string): { at: [string, number, number][]; shown: string; messages: string[]; hints: (string | undefined)[] } {
  const r = parseYamlPolicy(source, "bad.yaml");
  expect(r.policy).toBeNull();
  return {
    at: r.diagnostics.map((d) => [d.code, d.loc.start.line, d.loc.start.col]),
    shown: r.diagnostics.map((d) => render(d, source)).join(""),
    messages: r.diagnostics.map((d) => d.message),
    hints: r.diagnostics.map((d) => d.hint),
  };
}

const text = (loc: Loc, source: string): string => source.slice(loc.start.offset, loc.end.offset);

describe("YAML and text equivalence", () => {
  for (const name of ["coding-agent", "tool-guard", "bytes-and-exec"]) {
    it(`lowers_${name.replace(/-/g, "_")}_yaml_to_the_same_ast_as_its_trj`, () => {
      const fromText = parseOk(fixture(`${name}.trj`), `${name}.trj`);
      const fromYaml = yamlOk(fixture(`${name}.yaml`), `${name}.yaml`);
      expect(stripLocs(fromYaml)).toEqual(stripLocs(fromText));
    });
  }

  it("keeps_raw_bytes_written_in_yaml_conditions", () => {
    const p = yamlOk(fixture("bytes-and-exec.yaml"));
    const rule = p.decls.find((d) => d.type === "rule" && d.name.name === "latin1");
    if (rule?.type !== "rule" || rule.cond?.type !== "cmp" || rule.cond.value.type !== "string") throw new Error("shape");
    expect([...stringToBytes(rule.cond.value.value)].slice(-4)).toEqual([0x63, 0x61, 0x66, 0xe9]);
  });

  it("keeps_ip_looking_strings_in_lists_as_strings", () => {
    const p = yamlOk('policy: p\nversion: "1.0.0"\nlists:\n  nets: [10.0.0.0/8, "fd00::/8", 1.2.3.4]\n');
    expect(stripLocs(p.decls[0])).toEqual({
      type: "list", name: { type: "ident", name: "nets" },
      items: [{ type: "string", value: "10.0.0.0/8" }, { type: "string", value: "fd00::/8" }, { type: "string", value: "1.2.3.4" }],
    });
  });
});

describe("YAML locations", () => {
  const src = fixture("tool-guard.yaml");
  const p = yamlOk(src, "tool-guard.yaml");
  const rule = (n: string) => {
    const r = p.decls.find((d) => d.type === "rule" && d.name.name === n);
    if (r?.type !== "rule") throw new Error(`no rule ${n}`);
    return r;
  };

  it("points_names_decisions_and_kinds_at_the_yaml_nodes", () => {
    const r = rule("payments");
    expect(r.loc.file).toBe("tool-guard.yaml");
    expect([r.name.loc.start.line, r.name.loc.start.col, text(r.name.loc, src)]).toEqual([11, 11, "payments"]);
    expect([r.decision.loc.start.line, r.decision.loc.start.col, text(r.decision.loc, src)]).toEqual([12, 5, "flag"]);
    expect([r.kinds[0]!.loc.start.line, r.kinds[0]!.loc.start.col, text(r.kinds[0]!.loc, src)]).toEqual([12, 11, "tool.call"]);
    const two = rule("anything").kinds;
    expect(two.map((k) => [k.loc.start.line, k.loc.start.col, text(k.loc, src)])).toEqual([[35, 13, "tool.call"], [35, 24, "http.request"]]);
  });

  it("maps_condition_positions_inside_folded_and_literal_scalars", () => {
    const c = rule("payments").cond!;
    if (c.type !== "and" || c.left.type !== "cmp" || c.right.type !== "or") throw new Error("shape");
    expect([c.left.loc.start.line, c.left.loc.start.col, text(c.left.loc, src)]).toEqual([14, 7, "tool in payment_tools"]);
    expect([c.right.loc.start.line, c.right.loc.start.col]).toEqual([15, 8]);
    expect(text(c.right.loc, src)).toBe('args.amount > 100 or args.currency != "usd"');

    const reads = rule("reads").cond!;
    if (reads.type !== "and" || reads.right.type !== "not") throw new Error("shape");
    expect([reads.right.loc.start.line, reads.right.loc.start.col, text(reads.right.loc, src)]).toEqual([30, 13, 'not (host matches "*.internal")']);
  });

  it("maps_condition_positions_inside_quoted_scalars", () => {
    const shell = rule("shell_tool").cond!;
    if (shell.type !== "cmp") throw new Error("shape");
    expect([shell.value.loc.start.line, shell.value.loc.start.col, text(shell.value.loc, src)]).toEqual([24, 18, '"shell.run"']);
    const writes = rule("writes").cond!;
    if (writes.type !== "and" || writes.right.type !== "cmp") throw new Error("shape");
    expect([writes.right.opLoc.start.line, writes.right.opLoc.start.col, text(writes.right.opLoc, src)]).toEqual([33, 47, "=~"]);
  });

  it("points_syntax_errors_in_conditions_into_the_yaml", () => {
    const bad = 'policy: p\nversion: "1.0.0"\nrules:\n  - name: a\n    deny: exec\n    if: exe = "/x"\n  - name: b\n    deny: exec\n    if: >\n      exe == "/x"\n      && argc > 1\n';
    const e = yamlErrors(bad);
    expect(e.at, e.shown).toEqual([["syntax-error", 6, 13], ["syntax-error", 11, 7]]);
    expect(e.messages[1]).toMatch(/use `and`/);
  });
});

describe("YAML shape errors", () => {
  const H = 'policy: p\nversion: "1.0.0"\n';

  it("reports_an_unknown_top_level_key_with_the_accepted_keys", () => {
    const e = yamlErrors(`${H}defualt: deny\n`);
    expect(e.at, e.shown).toEqual([["yaml-error", 3, 1]]);
    expect(e.hints[0]).toMatch(/did you mean `default`\?/);
    expect(e.hints[0]).toMatch(/accepted keys: policy, version, default, consts, lists, rules, examples/);
  });

  it("reports_missing_policy_and_version", () => {
    const e = yamlErrors("default: deny\n");
    expect(e.at, e.shown).toEqual([["yaml-error", 1, 1]]);
    expect(e.messages[0]).toMatch(/no `policy:` and `version:`/);
  });

  it("reports_a_version_that_yaml_reads_as_a_number", () => {
    const e = yamlErrors("policy: p\nversion: 1.0\n");
    expect(e.at, e.shown).toEqual([["yaml-error", 2, 10]]);
    expect(e.hints[0]).toMatch(/quote it/);
  });

  it("reports_duplicate_keys_at_the_second_key", () => {
    const e = yamlErrors(`${H}rules:\n  - name: a\n    deny: exec\n    name: b\n`);
    expect(e.at, e.shown).toEqual([["yaml-error", 6, 5]]);
    expect(e.messages[0]).toBe("duplicate key `name`");
  });

  it("reports_malformed_yaml", () => {
    const e = yamlErrors(`${H}rules: [a\n`);
    expect(e.at.length).toBeGreaterThan(0);
    expect(e.at[0]![0]).toBe("yaml-error");
  });

  it("reports_an_empty_document", () => {
    expect(yamlErrors("").at).toEqual([["yaml-error", 1, 1]]);
  });

  it("reports_wrong_types_and_unknown_keys_in_rules", () => {
    const e = yamlErrors(`${H}default: flag
consts:
  MAX: 1.5
  rule: 3
  E: { env: HOME, dflt: x }
lists:
  l: notalist
rules:
  - name: a
    allow: file.read
    deny: file.write
  - name: b
    alow: file.read
  - deny: exec
  - name: d
    ask: file.bad kind
    timeout: 30
  - name: e
    deny: [exec, 5]
  - name: f
    deny: exec
    if: [x]
examples:
  - allow: [file.read]
  - deny: file.read
    "not a field": 1
  - path: /x
`);
    expect(e.at, e.shown).toEqual([
      ["yaml-error", 3, 10], // default: flag
      ["yaml-error", 5, 8], // MAX: 1.5
      ["yaml-error", 6, 3], // rule: reserved
      ["yaml-error", 7, 19], // dflt
      ["yaml-error", 9, 6], // l: not a list
      ["yaml-error", 13, 5], // second decision
      ["yaml-error", 15, 5], // alow
      ["yaml-error", 14, 5], // rule b has no decision
      ["yaml-error", 16, 5], // rule without name
      ["yaml-error", 19, 14], // timeout: 30
      ["yaml-error", 18, 10], // bad kind
      ["yaml-error", 21, 18], // kind 5
      ["yaml-error", 24, 9], // if: [x]
      ["yaml-error", 26, 12], // example kind list
      ["yaml-error", 28, 5], // bad field name
      ["yaml-error", 29, 5], // example without decision
    ]);
    expect(e.hints[6]).toMatch(/did you mean `allow`\?.*accepted keys: name, allow, deny, ask, flag, if, reason, timeout/);
    expect(e.hints[9]).toMatch(/30s/);
  });
});
