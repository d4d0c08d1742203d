// Syntax errors come back as one diagnostic with a stable code, the exact
// line:col of the mistake, a message that names it and a hint that fixes it.

import { describe, expect, it } from "vitest";
import { render } from "../../compiler/diagnostics.js";
import { parsePolicy, RESERVED_WORDS } from "../../compiler/parse.js";
import { HEADER } from "./helpers.js";

interface Case {
  name: string;
  source: string;
  code: "syntax-error" | "missing-header";
  at: [line: number, col: number];
  message: RegExp;
  hint?: RegExp;
}

const cases: Case[] = [
  // header
  { name: "reports_an_empty_file_as_missing_header", source: "", code: "missing-header", at: [1, 1], message: /empty/ },
  { name: "reports_a_file_of_comments_as_missing_header", source: "# nothing\n// here\n", code: "missing-header", at: [1, 1], message: /empty/ },
  { name: "reports_a_rule_before_the_header_as_missing_header", source: "rule a: deny *\n", code: "missing-header", at: [1, 1], message: /must start with `policy/ },
  { name: "suggests_policy_for_a_misspelled_header", source: 'polcy "p" version "1.0.0"', code: "missing-header", at: [1, 1], message: /must start/, hint: /did you mean `policy`/ },
  { name: "wants_the_policy_name_quoted", source: 'policy coding version "1.0.0"', code: "syntax-error", at: [1, 8], message: /policy name as a string/ },
  { name: "wants_the_version_after_the_name", source: 'policy "p"\ndefault deny', code: "syntax-error", at: [1, 11], message: /expected `version`/ },
  { name: "wants_the_version_quoted", source: 'policy "p" version 1.0.0', code: "syntax-error", at: [1, 20], message: /version as a string/ },
  // rules
  { name: "reports_a_missing_colon_after_the_rule_name", source: `${HEADER}rule git allow exec`, code: "syntax-error", at: [2, 9], message: /expected `:` after the rule name `git`/, hint: /rule git: allow/ },
  { name: "suggests_allow_for_alow", source: `${HEADER}rule a: alow file.read`, code: "syntax-error", at: [2, 9], message: /expected a decision/, hint: /did you mean `allow`\?/ },
  { name: "suggests_deny_for_dney", source: `${HEADER}rule a: dney file.read`, code: "syntax-error", at: [2, 9], message: /expected a decision/, hint: /did you mean `deny`\?/ },
  { name: "suggests_rule_for_a_misspelled_keyword", source: `${HEADER}rul a: deny *`, code: "syntax-error", at: [2, 1], message: /expected a new declaration/, hint: /did you mean `rule`\?/ },
  { name: "reports_a_missing_kind", source: `${HEADER}rule a: deny if path == "x"`, code: "syntax-error", at: [2, 14], message: /expected an action kind after `deny`/ },
  { name: "reports_a_condition_without_if", source: `${HEADER}rule a: deny exec exe == "/x"`, code: "syntax-error", at: [2, 19], message: /expected `if`/ },
  { name: "rejects_a_second_reason", source: `${HEADER}rule a: deny * reason "a" reason "b"`, code: "syntax-error", at: [2, 27], message: /`reason` is given twice/ },
  { name: "rejects_a_timeout_without_unit", source: `${HEADER}rule a: ask exec timeout 30`, code: "syntax-error", at: [2, 26], message: /not a duration/, hint: /30s/ },
  { name: "rejects_default_flag", source: `${HEADER}default flag`, code: "syntax-error", at: [2, 9], message: /`default flag`/ },
  { name: "rejects_a_colon_after_default", source: `${HEADER}default: deny`, code: "syntax-error", at: [2, 8], message: /no colon/ },
  // conditions
  { name: "suggests_double_equals_for_single_equals", source: `${HEADER}rule a: deny file.read if path = "/x"`, code: "syntax-error", at: [2, 32], message: /`=` is not a comparison; use `==`/ },
  { name: "suggests_and_for_double_ampersand", source: `${HEADER}rule a: deny exec if exe == "/a" && argc > 1`, code: "syntax-error", at: [2, 34], message: /use `and`/ },
  { name: "suggests_or_for_double_pipe", source: `${HEADER}rule a: deny exec if exe == "/a" || argc > 1`, code: "syntax-error", at: [2, 34], message: /use `or`/ },
  { name: "suggests_not_for_bang", source: `${HEADER}rule a: deny exec if !(exe == "/a")`, code: "syntax-error", at: [2, 22], message: /use `not`/ },
  { name: "suggests_and_for_a_misspelled_and", source: `${HEADER}rule a: deny exec if exe == "/a" adn argc > 1`, code: "syntax-error", at: [2, 34], message: /found `adn`/, hint: /did you mean `and`\?/ },
  { name: "reports_a_missing_value_at_the_end_of_the_operator", source: `${HEADER}rule a: deny exec if exe ==\n\nrule b: deny *`, code: "syntax-error", at: [2, 28], message: /expected a value after `==`/ },
  { name: "reports_a_missing_condition_after_and", source: `${HEADER}rule a: deny exec if exe == "/x" and`, code: "syntax-error", at: [2, 37], message: /expected a condition after `and`/ },
  { name: "explains_an_unquoted_path", source: `${HEADER}rule a: deny file.read if path under /usr`, code: "syntax-error", at: [2, 38], message: /expected a value after `under`/, hint: /write "\/usr"/ },
  { name: "reports_an_unclosed_parenthesis_with_its_opening", source: `${HEADER}rule a: deny exec if (exe == "a"\nrule b: deny *`, code: "syntax-error", at: [2, 33], message: /not closed/, hint: /2:22/ },
  { name: "explains_any_after_double_equals", source: `${HEADER}rule a: deny exec if exe == any x`, code: "syntax-error", at: [2, 29], message: /`any` only follows/ },
  { name: "explains_not_after_a_field", source: `${HEADER}rule a: deny net.connect if ip not in nets`, code: "syntax-error", at: [2, 32], message: /`not` goes before/ },
  // names
  { name: "rejects_a_keyword_as_const_name", source: `${HEADER}const rule = 1`, code: "syntax-error", at: [2, 7], message: /`rule` is a reserved word/ },
  { name: "rejects_a_keyword_as_rule_name", source: `${HEADER}rule default: deny *`, code: "syntax-error", at: [2, 6], message: /`default` is a reserved word/ },
  { name: "rejects_a_keyword_as_field", source: `${HEADER}rule a: deny exec if timeout == 1`, code: "syntax-error", at: [2, 22], message: /`timeout` is a reserved word, not a field/ },
  // lexical
  { name: "reports_an_unterminated_string_at_its_quote", source: `${HEADER}rule a: deny file.read if path == "/x\nrule b: deny *`, code: "syntax-error", at: [2, 35], message: /unterminated string/ },
  { name: "reports_an_unterminated_string_at_end_of_input", source: `${HEADER}const A = "abc`, code: "syntax-error", at: [2, 11], message: /unterminated string/ },
  { name: "reports_an_unterminated_regex_at_its_slash", source: `${HEADER}rule a: deny exec if cmdline =~ /base64\\s+\n`, code: "syntax-error", at: [2, 33], message: /unterminated regex/ },
  { name: "reports_an_unterminated_list_after_its_last_item", source: `${HEADER}list l = ["a", "b"\nrule x: deny *`, code: "syntax-error", at: [2, 19], message: /unterminated list/, hint: /2:10/ },
  { name: "reports_missing_commas_in_a_list", source: `${HEADER}list l = ["a" "b"]`, code: "syntax-error", at: [2, 15], message: /expected `,` or `]`/ },
  { name: "reports_an_unterminated_block_comment", source: `${HEADER}/* never closed\nrule a: deny *`, code: "syntax-error", at: [2, 1], message: /unterminated block comment/ },
  { name: "rejects_decimal_numbers", source: `${HEADER}const X = 1.5`, code: "syntax-error", at: [2, 11], message: /decimal/ },
  { name: "rejects_numbers_beyond_53_bits", source: `${HEADER}const X = 9007199254740993`, code: "syntax-error", at: [2, 11], message: /too large/ },
  { name: "rejects_an_unknown_duration_unit", source: `${HEADER}const X = 30sec`, code: "syntax-error", at: [2, 11], message: /not a number or a duration/ },
  { name: "wants_the_env_name_quoted", source: `${HEADER}const W = env(WORKSPACE)`, code: "syntax-error", at: [2, 15], message: /variable name as a string/ },
  { name: "wants_braces_around_example_fields", source: `${HEADER}example deny file.read path: "x"`, code: "syntax-error", at: [2, 24], message: /expected `\{`/ },
  { name: "reports_a_stray_nul_character", source: `${HEADER}rule a: deny exec if exe == "/x" \0`, code: "syntax-error", at: [2, 34], message: /U\+0000/ },
  { name: "reports_errors_on_crlf_lines_at_the_same_columns", source: `${HEADER}rule git allow exec\r\n`.replace(/\n/g, "\r\n"), code: "syntax-error", at: [2, 9], message: /after the rule name/ },
];

describe("syntax errors", () => {
  it.each(cases)("$name", (c) => {
    const r = parsePolicy(c.source, "bad.trj");
    expect(r.policy).toBeNull();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    const shown = render(d, c.source);
    expect({ code: d.code, at: [d.loc.start.line, d.loc.start.col] }, shown).toEqual({ code: c.code, at: c.at });
    expect(d.severity).toBe("error");
    expect(d.loc.file).toBe("bad.trj");
    expect(d.message, shown).toMatch(c.message);
    if (c.hint) expect(d.hint, shown).toMatch(c.hint);
  });

  it("gives_every_syntax_error_a_hint_or_a_precise_message", () => {
    for (const c of cases) {
      const d = parsePolicy(c.source, "bad.trj").diagnostics[0]!;
      expect(d.message.length).toBeGreaterThan(10);
    }
  });

  it("rejects_every_reserved_word_as_a_name_and_nothing_else", () => {
    for (const w of RESERVED_WORDS) {
      const d = parsePolicy(`${HEADER}const ${w} = 1`, "bad.trj").diagnostics[0];
      expect(d?.message, w).toMatch(/reserved word/);
    }
    for (const w of ["env", "path", "policies", "rules", "deny_all", "_", "anything"]) {
      expect(parsePolicy(`${HEADER}const ${w} = 1`, "ok.trj").diagnostics, w).toEqual([]);
    }
  });

  it("reports_positions_after_a_bom_in_editor_columns", () => {
    const d = parsePolicy(`\ufeff${HEADER}rule git allow exec`, "bad.trj").diagnostics[0]!;
    expect([d.loc.start.line, d.loc.start.col]).toEqual([2, 9]);
  });
});
