// Every node carries file, 1-based line/col and 0-based offset; `end` is exclusive.

import { describe, expect, it } from "vitest";
import type { Loc } from "../../compiler/ast.js";
import { parseCondition } from "../../compiler/parse.js";
import { HEADER, parseOk } from "./helpers.js";

/** "line:col-line:col" of a location, and the text it covers. */
function at(loc: Loc, source: string): [string, string] {
  return [`${loc.start.line}:${loc.start.col}-${loc.end.line}:${loc.end.col}`, source.slice(loc.start.offset, loc.end.offset)];
}

describe("locations", () => {
  const src = `${HEADER}default deny
const W = env("W", "/w")
rule git: allow exec
  if exe == "/usr/bin/git" and not (argv[1] matches any ["--force"])
  reason "git only"
  timeout 30s
example deny file.read { path: "/x" }
`;
  const p = parseOk(src, "policies/git.trj");
  const [w, rule, example] = p.decls;
  if (w?.type !== "const" || rule?.type !== "rule" || example?.type !== "example") throw new Error("shape");

  it("names_the_file_given_to_the_parser", () => {
    expect(p.name.loc.file).toBe("policies/git.trj");
    expect(rule.loc.file).toBe("policies/git.trj");
  });

  it("places_header_default_and_const_exactly", () => {
    expect(at(p.name.loc, src)).toEqual(["1:8-1:11", '"p"']);
    expect(at(p.version.loc, src)).toEqual(["1:20-1:27", '"1.0.0"']);
    expect(at(p.default!.loc, src)).toEqual(["2:1-2:13", "default deny"]);
    expect(at(w.loc, src)).toEqual(["3:1-3:25", 'const W = env("W", "/w")']);
    expect(at(w.value.loc, src)).toEqual(["3:11-3:25", 'env("W", "/w")']);
  });

  it("places_every_part_of_a_multi_line_rule_exactly", () => {
    expect(at(rule.loc, src)[0]).toBe("4:1-7:14");
    expect(at(rule.name.loc, src)).toEqual(["4:6-4:9", "git"]);
    expect(at(rule.decision.loc, src)).toEqual(["4:11-4:16", "allow"]);
    expect(at(rule.kinds[0]!.loc, src)).toEqual(["4:17-4:21", "exec"]);
    expect(at(rule.reason!.loc, src)).toEqual(["6:10-6:20", '"git only"']);
    expect(at(rule.timeout!.loc, src)).toEqual(["7:11-7:14", "30s"]);

    const c = rule.cond!;
    expect(c.type).toBe("and");
    if (c.type !== "and" || c.left.type !== "cmp" || c.right.type !== "not" || c.right.expr.type !== "cmp") throw new Error("shape");
    expect(at(c.loc, src)).toEqual(["5:6-5:69", 'exe == "/usr/bin/git" and not (argv[1] matches any ["--force"])']);
    expect(at(c.left.loc, src)).toEqual(["5:6-5:27", 'exe == "/usr/bin/git"']);
    expect(at(c.left.field.loc, src)).toEqual(["5:6-5:9", "exe"]);
    expect(at(c.left.opLoc, src)).toEqual(["5:10-5:12", "=="]);
    expect(at(c.left.value.loc, src)).toEqual(["5:13-5:27", '"/usr/bin/git"']);
    expect(at(c.right.loc, src)).toEqual(["5:32-5:69", 'not (argv[1] matches any ["--force"])']);
    const m = c.right.expr;
    expect(at(m.loc, src)).toEqual(["5:37-5:68", 'argv[1] matches any ["--force"]']);
    expect(at(m.field.loc, src)).toEqual(["5:37-5:44", "argv[1]"]);
    expect(at(m.opLoc, src)).toEqual(["5:45-5:56", "matches any"]);
    expect(at(m.value.loc, src)).toEqual(["5:57-5:68", '["--force"]']);
  });

  it("places_examples_and_their_fields_exactly", () => {
    expect(at(example.loc, src)).toEqual(["8:1-8:38", 'example deny file.read { path: "/x" }']);
    expect(at(example.kind.loc, src)).toEqual(["8:14-8:23", "file.read"]);
    expect(at(example.fields[0]!.name.loc, src)).toEqual(["8:26-8:30", "path"]);
    expect(at(example.fields[0]!.value.loc, src)).toEqual(["8:32-8:36", '"/x"']);
  });

  it("counts_offsets_across_crlf_line_endings", () => {
    const crlf = src.replace(/\n/g, "\r\n");
    const q = parseOk(crlf);
    const r = q.decls[1];
    if (r?.type !== "rule") throw new Error("shape");
    expect(at(r.timeout!.loc, crlf)).toEqual(["7:11-7:14", "30s"]);
  });

  it("shifts_a_condition_parsed_alone_by_its_base_position", () => {
    const text = 'port == 22 or\n  host == "x"';
    const r = parseCondition(text, "p.yaml", { line: 10, col: 9, offset: 200 });
    const c = r.cond!;
    if (c.type !== "or") throw new Error("shape");
    // first line shifted by the base column, later lines keep theirs
    expect(c.left.loc.start).toEqual({ line: 10, col: 9, offset: 200 });
    expect(c.right.loc.start).toEqual({ line: 11, col: 3, offset: 216 });
    expect(c.loc.end).toEqual({ line: 11, col: 14, offset: 227 });
    expect(c.loc.file).toBe("p.yaml");
  });

  it("shifts_syntax_errors_in_a_condition_by_its_base_position", () => {
    const r = parseCondition("port = 22", "p.yaml", { line: 3, col: 9, offset: 40 });
    expect(r.cond).toBeNull();
    expect(r.diagnostics[0]?.loc.start).toEqual({ line: 3, col: 14, offset: 45 });
  });
});
