// Glob syntax and semantics as a table of (glob, value, match?), plus parse errors with offsets.

import { describe, expect, test } from "vitest";
import { parseGlob } from "../../compiler/automata/index.js";
import { glob, matches } from "./helpers.js";

// [glob, value, expected]
const TABLE: [string, string, boolean][] = [
  // `*` stays inside one component
  ["/tmp/*", "/tmp/a", true],
  ["/tmp/*", "/tmp/", true],
  ["/tmp/*", "/tmp/a/b", false],
  ["*.txt", "a.txt", true],
  ["*.txt", "dir/a.txt", false],
  ["a*b*c", "abc", true],
  ["a*b*c", "axxbyyc", true],
  ["a*b*c", "axx/byyc", false],
  // `**` as a whole component crosses directories; `**/` may be zero directories
  ["**/.ssh/**", "/home/u/.ssh/id_rsa", true],
  ["**/.ssh/**", "/.ssh/x", true],
  ["**/.ssh/**", ".ssh/x", true],
  ["**/.ssh/**", "/home/u/.ssh", false],
  ["**/.ssh/**", "/home/u/x.ssh/id", false],
  ["**/*.pem", "/etc/ssl/key.pem", true],
  ["**/*.pem", "key.pem", true],
  ["**/*.pem", "/etc/ssl/key.pem/x", false],
  ["/a/**", "/a/b/c", true],
  ["/a/**", "/a/", true],
  ["/a/**", "/a", false],
  ["/a/**", "/ab/c", false],
  ["/a/**/b", "/a/b", true],
  ["/a/**/b", "/a/x/y/b", true],
  ["/a/**/b", "/a/xb", false],
  ["**", "/anything/at/all", true],
  ["**", "", true],
  // `**` inside a component is just `*`
  ["/a/x**y", "/a/xzzy", true],
  ["/a/x**y", "/a/x/y", false],
  ["/a/***", "/a/b/c", true],
  // `?` is one byte, never `/`
  ["/a/?", "/a/b", true],
  ["/a/?", "/a/", false],
  ["/a/?", "/a/bc", false],
  ["a?b", "a/b", false],
  // sets
  ["[abc]", "b", true],
  ["[abc]", "d", false],
  ["[a-c]x", "bx", true],
  ["[!a-c]", "d", true],
  ["[!a-c]", "b", false],
  ["[^a-c]", "d", true],
  ["[!a]", "/", false],
  ["[]a]", "]", true],
  ["[!]]", "]", false],
  ["[\\]]", "]", true],
  ["[+-0]", "/", false],
  ["[+-0]", ".", true],
  // braces
  ["/etc/{passwd,shadow}", "/etc/shadow", true],
  ["/etc/{passwd,shadow}", "/etc/group", false],
  ["{a,b{c,d}}x", "bdx", true],
  ["{a,b{c,d}}x", "bx", false],
  ["x{,y}", "x", true],
  ["{**/.ssh/**,**/.aws/**}", "/h/.aws/credentials", true],
  ["/h/{**/,}.ssh", "/h/a/b/.ssh", true],
  // escapes and literal text
  ["\\*", "*", true],
  ["\\*", "a", false],
  ["a\\?", "a?", true],
  ["a,b", "a,b", true],
  ["/caf\u00e9/*", "/caf\u00e9/x", true],
  ["", "", true],
  ["", "x", false],
];

describe("glob semantics table", () => {
  test.each(TABLE)("glob_full_match %j on %j is %s", (g, value, want) => {
    expect(matches(glob(g), value)).toBe(want);
  });

  test("glob_double_star_matches_zero_dirs", () => {
    expect(matches(glob("/a/**/b"), "/a/b")).toBe(true);
    expect(matches(glob("**/x"), "x")).toBe(true);
  });

  test("glob_question_mark_is_one_byte_not_one_character", () => {
    expect(matches(glob("?"), "\u00e9")).toBe(false);
    expect(matches(glob("??"), "\u00e9")).toBe(true);
  });

  test("glob_star_matches_non_utf8_and_nul_bytes", () => {
    expect(matches(glob("/a/*"), Uint8Array.of(0x2f, 0x61, 0x2f, 0xff, 0x00, 0xc3))).toBe(true);
  });
});

describe("glob errors", () => {
  test.each([
    ["/a/[bc", 3, "unclosed `[`"],
    ["/a/{b,c", 3, "unclosed `{`"],
    ["x{a,{b}", 1, "unclosed `{`"],
    ["a}", 1, "unmatched `}`"],
    ["a\\", 1, "lone"],
    ["[z-a]", 2, "out of order"],
    ["[a/b]", 2, "`/`"],
    ["x[\u00e9]", 2, "non-ASCII"],
    ["x{}", 1, "empty"],
  ])("glob_error %j at offset %i", (src, offset, msg) => {
    const r = parseGlob(src);
    expect("error" in r).toBe(true);
    if (!("error" in r)) return;
    expect(r.error.code).toBe("bad-glob");
    expect(r.error.offset).toBe(offset);
    expect(r.error.message).toContain(msg);
    expect(r.error.hint.length).toBeGreaterThan(0);
  });

  test("glob_non_ascii_in_set_hint_suggests_braces", () => {
    const r = parseGlob("[\u00e9]");
    expect("error" in r && r.error.hint).toContain("{");
  });
});
