// Regex syntax: search semantics, escapes, the i flag, parse errors and unsupported constructs with offsets.

import { describe, expect, test } from "vitest";
import { MAX_REPEAT, parseRegex } from "../../compiler/automata/index.js";
import { matches, re } from "./helpers.js";

describe("regex semantics", () => {
  test.each([
    // search semantics unless anchored
    ["abc", "xxabcxx", true],
    ["abc", "ab", false],
    ["^abc", "abcxx", true],
    ["^abc", "xabc", false],
    ["abc$", "xxabc", true],
    ["abc$", "abcx", false],
    ["^abc$", "abc", true],
    ["^abc$", "abcabc", false],
    ["^a$|^b$", "b", true],
    ["^a|c$", "xc", true],
    ["^a|c$", "xa", false],
    ["", "anything", true],
    // dot is any byte, newline included
    ["a.c", "a\nc", true],
    ["^.$", "\n", true],
    ["curl.*\\|.*sh", "curl x \n| sh", true],
    // classes
    ["^[a-c]+$", "abcabc", true],
    ["^[a-c]+$", "abcd", false],
    ["^[^a-c]$", "d", true],
    ["^[^a-c]$", "\n", true],
    ["^[]$", "", false],
    ["^[^]$", "\n", true],
    ["^[\\d]+$", "0123", true],
    ["^\\d\\w\\s$", "1_ ", true],
    ["^\\D\\W\\S$", "a-x", true],
    ["^[-a]+$", "-a-", true],
    ["^[a-]+$", "-a-", true],
    ["^[\\b]$", "\b", true],
    ["^\\w+$", "\u00e9", false],
    // groups, alternation, quantifiers (lazy = same language)
    ["^(ab)+$", "ababab", true],
    ["^(?:ab)+?$", "abab", true],
    ["^(?<word>ab|cd){2}$", "abcd", true],
    ["^a{2,3}$", "aaaa", false],
    ["^a{2,}$", "aaaaaa", true],
    ["^a{0}$", "", true],
    ["^a??b$", "b", true],
    ["base64\\s+(-d|--decode)", "echo x | base64  --decode", true],
    ["base64\\s+(-d|--decode)", "base64 -e", false],
    // escapes
    ["^\\x41\\u0042\\u{43}\\n\\t\\r\\0$", "ABC\n\t\r\0", true],
    ["^\\/\\.\\\\$", "/.\\", true],
    ["^\\cJ$", "\n", true],
    ["^\u00e9$", "\u00e9", true],
    ["^\\u00e9$", "\u00e9", true],
    ["^\\uD83D\\uDE00$", "\u{1f600}", true],
  ])("regex_search %j on %j is %s", (src, value, want) => {
    expect(matches(re(src), value)).toBe(want);
  });

  test("regex_hex_escape_is_a_raw_byte", () => {
    expect(matches(re("^\\xff\\x00$"), Uint8Array.of(0xff, 0x00))).toBe(true);
    expect(matches(re("^[\\x80-\\xff]+$"), Uint8Array.of(0x80, 0xc3, 0xff))).toBe(true);
  });

  test("regex_dot_is_one_byte_not_one_character", () => {
    expect(matches(re("^.$"), "\u00e9")).toBe(false);
    expect(matches(re("^..$"), "\u00e9")).toBe(true);
  });

  test("regex_matches_values_with_nul_and_invalid_utf8", () => {
    const value = Uint8Array.of(0x00, 0xfe, 0x72, 0x6d, 0x20, 0x2d, 0x72, 0x66, 0x0a, 0xc0);
    expect(matches(re("rm -rf"), value)).toBe(true);
    expect(matches(re("^rm"), value)).toBe(false);
  });
});

describe("case-insensitive flag", () => {
  test("regex_flag_i_folds_ascii_letters", () => {
    const p = re("^Secret[a-c]$", "i");
    expect(matches(p, "sEcReTB")).toBe(true);
    expect(matches(p, "SECRETd")).toBe(false);
  });

  test("regex_flag_i_applies_to_negated_classes_and_escapes", () => {
    expect(matches(re("^[^a]$", "i"), "A")).toBe(false);
    expect(matches(re("^\\x41$", "i"), "a")).toBe(true);
  });

  test("regex_without_i_is_case_sensitive", () => {
    expect(matches(re("^secret$"), "SECRET")).toBe(false);
  });

  test("regex_flag_i_does_not_fold_non_ascii", () => {
    expect(matches(re("^\u00e9$", "i"), "\u00c9")).toBe(false);
  });
});

function errorOf(src: string, flags = "") {
  const r = parseRegex(src, flags);
  if (!("error" in r)) throw new Error(`expected /${src}/${flags} to fail`);
  return r.error;
}

describe("regex parse errors", () => {
  test.each([
    ["ab(cd", 2, "unclosed `(`"],
    ["ab)", 2, "unmatched `)`"],
    ["a[bc", 1, "unclosed `[`"],
    ["*a", 0, "nothing to repeat"],
    ["a|+", 2, "nothing to repeat"],
    ["a**", 2, "nothing to repeat"],
    ["a{2}{3}", 4, "nothing to repeat"],
    ["a{3,2}", 1, "out of order"],
    ["a{", 1, "lone `{`"],
    ["a{1,x}", 1, "lone `{`"],
    ["a}", 1, "lone `}`"],
    ["a]", 1, "lone `]`"],
    ["[z-a]", 1, "out of order"],
    ["[\\d-z]", 1, "invalid range"],
    ["ab\\", 2, "end of the regex"],
    ["\\xZ1", 0, "\\x"],
    ["\\u12", 0, "\\u"],
    ["\\q", 0, "unknown escape"],
    ["\\01", 0, "octal"],
    ["(?x)", 0, "inline modifiers"],
    ["(?#c)", 0, "invalid group"],
    ["(?<1a>x)", 0, "group name"],
    ["(?<n>a)(?<n>b)", 7, "duplicate"],
  ])("regex_error %j at offset %i", (src, offset, msg) => {
    const e = errorOf(src);
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(msg);
    expect(e.hint.length).toBeGreaterThan(0);
  });

  test("regex_unknown_flag_is_bad_regex_naming_the_flag", () => {
    const e = errorOf("abc", "im");
    expect(e.code).toBe("bad-regex");
    expect(e.message).toContain("`m`");
    expect(e.offset).toBe(3 + 1 + 1);
    expect(errorOf("a", "g").message).toContain("`g`");
    expect(errorOf("a", "s").hint).toContain("newline");
    expect(errorOf("a", "ii").message).toContain("twice");
  });
});

describe("unsupported constructs", () => {
  test.each([
    ["(a)\\1", 3, "backreference"],
    ["(?<n>a)\\k<n>", 7, "backreference"],
    ["a(?=b)", 1, "lookaround"],
    ["a(?!b)", 1, "lookaround"],
    ["(?<=a)b", 0, "lookaround"],
    ["(?<!a)b", 0, "lookaround"],
    ["\\bword", 0, "word boundary"],
    ["a\\B", 1, "word boundary"],
    ["\\p{L}", 0, "unicode property"],
    ["\\P{L}", 0, "unicode property"],
    ["a^b", 1, "`^`"],
    ["(^a)", 1, "`^`"],
    ["a$b", 1, "`$`"],
    ["(a$)", 2, "`$`"],
    ["[\u00e9]", 1, "non-ASCII"],
    ["[\\u00e9]", 1, "non-ASCII"],
    [`a{${MAX_REPEAT + 1}}`, 1, "above"],
    ["(a{1000}){1000}", 0, "expands"],
  ])("regex_unsupported %j at offset %i", (src, offset, msg) => {
    const e = errorOf(src);
    expect(e.code).toBe("regex-unsupported");
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(msg);
    expect(e.hint.length).toBeGreaterThan(0);
  });

  test("regex_counts_at_the_cap_are_accepted", () => {
    expect("pat" in parseRegex(`^a{${MAX_REPEAT}}$`, "")).toBe(true);
  });

  test("regex_deep_nesting_is_rejected_not_a_stack_overflow", () => {
    const e = errorOf("(".repeat(5000) + "a" + ")".repeat(5000));
    expect(e.code).toBe("regex-unsupported");
  });
});
