// The example policy of the language reference parses to exactly this AST.

import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../compiler/parse.js";
import { cmp, field, fixture, ident, ip, kind, num, parseOk, ref, str, stripLocs } from "./helpers.js";

const rule = (name: string, decision: string, kinds: string[], cond: unknown, extra: { reason?: unknown; timeout?: unknown } = {}) => ({
  type: "rule",
  name: ident(name),
  decision: { value: decision },
  kinds: kinds.map(kind),
  cond,
  reason: extra.reason ?? null,
  timeout: extra.timeout ?? null,
});

describe("full example", () => {
  it("parses_the_reference_example_to_the_expected_ast", () => {
    const policy = stripLocs(parseOk(fixture("full-example.trj"), "full-example.trj"));
    expect(policy).toEqual({
      type: "policy",
      name: str("coding-agent"),
      version: str("1.0.0"),
      default: { decision: "deny" },
      decls: [
        { type: "const", name: ident("WORKSPACE"), value: { type: "env", name: str("WORKSPACE"), fallback: str("/work") } },
        { type: "const", name: ident("MAX"), value: num(1000) },
        { type: "list", name: ident("secrets"), items: [str("**/.ssh/**"), str("**/.aws/**"), str("**/*.pem"), str("/etc/shadow")] },
        { type: "list", name: ident("nets"), items: [ip("10.0.0.0/8"), str("fd00::/8"), ip("192.168.1.1")] },
        rule("read_system", "allow", ["file.read"], {
          type: "or", left: cmp("path", "under", str("/usr")), right: cmp("path", "under", str("/etc")),
        }),
        rule("workspace", "allow", ["file.*"], cmp("path", "under", ref("WORKSPACE"))),
        rule("no_secrets", "deny", ["file.*"], cmp("path", "matches", ref("secrets")), { reason: str("credentials are off limits") }),
        rule("git", "allow", ["exec"], cmp("exe", "==", str("/usr/bin/git"))),
        rule("no_b64_pipe", "deny", ["exec"], cmp("cmdline", "=~", { type: "regex", source: "base64\\s+(-d|--decode)", flags: "" })),
        rule("pypi", "allow", ["net.connect"], {
          type: "and",
          left: cmp("host", "in", { type: "list", items: [str("pypi.org"), str("files.pythonhosted.org")] }),
          right: cmp("port", "==", num(443)),
        }),
        rule("ssh", "ask", ["net.connect"], cmp("port", "==", num(22)), { timeout: { type: "duration", ms: 30_000, text: "30s" } }),
        rule("big_charge", "flag", ["tool.call"], {
          type: "and", left: cmp("tool", "==", str("stripe.charges.create")), right: cmp("args.amount", ">", num(1000)),
        }),
        rule("lan", "deny", ["net.connect", "net.send"], {
          type: "or", left: cmp("ip", "in", ip("10.0.0.0/8")), right: { type: "not", expr: cmp("ip", "in", ref("nets")) },
        }),
        rule("everything", "deny", ["*"], null),
        rule("argv1", "deny", ["exec"], cmp("argv[1]", "==", str("--force"))),
        { type: "example", decision: { value: "deny" }, kind: kind("file.read"), fields: [{ name: field("path"), value: str("/home/u/.ssh/id_rsa") }] },
        {
          type: "example", decision: { value: "allow" }, kind: kind("net.connect"),
          fields: [
            { name: field("host"), value: str("pypi.org") },
            { name: field("port"), value: num(443) },
            { name: field("ip"), value: str("151.101.0.223") },
          ],
        },
        {
          type: "example", decision: { value: "allow" }, kind: kind("tool.call"),
          fields: [{ name: field("tool"), value: str("x") }, { name: field("args.amount"), value: num(5) }],
        },
      ],
    });
  });

  it("accepts_declarations_in_any_order_and_default_anywhere", () => {
    const p = parseOk(`policy "p" version "1.0.0"
rule a: deny exec
list l = ["x"]
default allow
const C = 1
`);
    expect(p.default?.decision).toBe("allow");
    expect(p.decls.map((d) => d.type)).toEqual(["rule", "list", "const"]);
  });

  it("leaves_default_null_when_absent_for_the_checker_to_report", () => {
    expect(parseOk('policy "p" version "1.0.0"\nrule a: deny *').default).toBeNull();
  });

  it("keeps_the_first_default_and_reports_the_second", () => {
    const r = parsePolicy('policy "p" version "1.0.0"\ndefault deny\nrule a: deny *\ndefault allow\n', "test.trj");
    expect(r.policy?.default?.decision).toBe("deny");
    expect(r.diagnostics.map((d) => [d.code, d.loc.start.line, d.loc.start.col])).toEqual([["duplicate-default", 4, 1]]);
  });

  it("parses_rules_spanning_lines_with_reason_and_timeout_in_either_order", () => {
    const p = stripLocs(parseOk(`policy "p" version "1.0.0"
rule a:
  ask
  net.connect,
  net.send
  if port == 22
  timeout 2m
  reason "ssh needs a person"
rule b: ask exec reason "x" timeout 500ms
`));
    expect(p.decls).toEqual([
      rule("a", "ask", ["net.connect", "net.send"], cmp("port", "==", num(22)), {
        reason: str("ssh needs a person"), timeout: { type: "duration", ms: 120_000, text: "2m" },
      }),
      rule("b", "ask", ["exec"], null, { reason: str("x"), timeout: { type: "duration", ms: 500, text: "500ms" } }),
    ]);
  });

  it("parses_unknown_kinds_for_the_checker_to_report", () => {
    const p = stripLocs(parseOk('policy "p" version "1.0.0"\nrule a: deny fiel.read, net.*, x.y.z'));
    expect(p.decls[0]).toMatchObject({ kinds: [kind("fiel.read"), kind("net.*"), kind("x.y.z")] });
  });

  it("parses_values_numbers_durations_env_and_lists", () => {
    const p = stripLocs(parseOk(`policy "p" version "1.0.0"
const A = 1_000
const B = -5
const T = 30s
const H = 1h
const E = env("HOME")
const L = [1, "a", 10.1.2.3, [2], X,]
const Z = []
`));
    expect(p.decls.map((d) => (d.type === "const" ? d.value : null))).toEqual([
      num(1000),
      num(-5),
      { type: "duration", ms: 30_000, text: "30s" },
      { type: "duration", ms: 3_600_000, text: "1h" },
      { type: "env", name: str("HOME"), fallback: null },
      { type: "list", items: [num(1), str("a"), ip("10.1.2.3"), { type: "list", items: [num(2)] }, ref("X")] },
      { type: "list", items: [] },
    ]);
  });

  it("parses_example_argv_lists_and_indexed_fields", () => {
    const p = stripLocs(parseOk('policy "p" version "1.0.0"\nexample allow exec { exe: "/usr/bin/git", argv: ["git", "status"], argv[1]: "status", }\nexample deny exec {}'));
    expect(p.decls).toEqual([
      {
        type: "example", decision: { value: "allow" }, kind: kind("exec"),
        fields: [
          { name: field("exe"), value: str("/usr/bin/git") },
          { name: field("argv"), value: { type: "list", items: [str("git"), str("status")] } },
          { name: field("argv[1]"), value: str("status") },
        ],
      },
      { type: "example", decision: { value: "deny" }, kind: kind("exec"), fields: [] },
    ]);
  });

  it("accepts_all_comment_styles_crlf_and_a_bom", () => {
    const src = '\ufeff# hash\r\n// slashes\r\n/* block\r\n spanning */ policy "p" /* inline */ version "1.0.0"\r\ndefault deny // trailing\r\nrule a: deny exec if exe == "/x" # trailing\r\n';
    const p = parseOk(src);
    expect(stripLocs(p.decls[0])).toEqual(rule("a", "deny", ["exec"], cmp("exe", "==", str("/x"))));
    expect(p.name.loc.start).toEqual({ line: 4, col: 21, offset: src.indexOf('"p"') });
  });

  it("counts_a_bom_in_offsets_but_not_in_columns", () => {
    const p = parseOk('\ufeffpolicy "p" version "1.0.0"');
    expect(p.name.loc.start).toEqual({ line: 1, col: 8, offset: 8 });
  });

  it("accepts_nul_characters_inside_strings_and_comments", () => {
    const p = parseOk('policy "p" version "1.0.0"\n# a \0 in a comment\nconst A = "a\0b"\n');
    expect(p.decls[0]).toMatchObject({ value: { value: "a\0b" } });
  });
});
