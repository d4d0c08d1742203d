// Pattern constructors: under, literal, anyOf, repeat, isEmpty, and inputs too big for naive recursion.

import { describe, expect, test } from "vitest";
import { anyOf, anyString, empty, isEmpty, literal, nothing, opt, patSize, repeat, seq, under, utf8, byte, bytes, setOf, emptySet } from "../../compiler/automata/index.js";
import { glob, matches, re } from "./helpers.js";

describe("under", () => {
  const home = under(utf8("/home/u"));
  test.each([
    ["/home/u", true],
    ["/home/u/", true],
    ["/home/u/x/y", true],
    ["/home/user", false],
    ["/home", false],
    ["/home/u2/x", false],
    ["", false],
  ])("under_dir_matches_itself_and_contents_only %s -> %s", (path, want) => {
    expect(matches(home, path)).toBe(want);
  });

  test("under_ignores_trailing_slash_of_dir", () => {
    const p = under(utf8("/home/u/"));
    expect(matches(p, "/home/u")).toBe(true);
    expect(matches(p, "/home/u/x")).toBe(true);
    expect(matches(p, "/home/ux")).toBe(false);
  });

  test("under_root_matches_every_absolute_path", () => {
    for (const d of ["/", "//"]) {
      const p = under(utf8(d));
      expect(matches(p, "/")).toBe(true);
      expect(matches(p, "/etc/passwd")).toBe(true);
      expect(matches(p, "relative")).toBe(false);
      expect(matches(p, "")).toBe(false);
    }
  });

  test("under_empty_dir_matches_nothing", () => {
    expect(isEmpty(under(new Uint8Array(0)))).toBe(true);
  });

  test("under_compares_raw_bytes_including_nul_and_non_utf8", () => {
    const p = under(Uint8Array.of(0x2f, 0xff, 0x00, 0x61));
    expect(matches(p, Uint8Array.of(0x2f, 0xff, 0x00, 0x61, 0x2f, 0x80))).toBe(true);
    expect(matches(p, Uint8Array.of(0x2f, 0xff, 0x00, 0x62))).toBe(false);
  });
});

describe("constructors", () => {
  test("literal_is_exact_full_match", () => {
    const p = literal(utf8("/etc/shadow"));
    expect(matches(p, "/etc/shadow")).toBe(true);
    expect(matches(p, "/etc/shadow2")).toBe(false);
    expect(matches(p, "/etc/shado")).toBe(false);
  });

  test("empty_literal_matches_only_the_empty_value", () => {
    expect(matches(literal(new Uint8Array(0)), "")).toBe(true);
    expect(matches(literal(new Uint8Array(0)), "a")).toBe(false);
  });

  test("anyOf_is_union_and_empty_anyOf_is_nothing", () => {
    const p = anyOf([literal(utf8("a")), literal(utf8("b"))]);
    expect(matches(p, "a")).toBe(true);
    expect(matches(p, "b")).toBe(true);
    expect(matches(p, "ab")).toBe(false);
    expect(isEmpty(anyOf([]))).toBe(true);
  });

  test("repeat_bounds_are_inclusive", () => {
    const p = repeat(byte(0x61), 2, 3);
    expect(["", "a", "aa", "aaa", "aaaa"].map((s) => matches(p, s))).toEqual([false, false, true, true, false]);
    const q = repeat(byte(0x61), 2, null);
    expect(["a", "aa", "aaaaaaa"].map((s) => matches(q, s))).toEqual([false, true, true]);
  });

  test("repeat_of_nullable_body_still_bounded", () => {
    const p = repeat(opt(literal(utf8("ab"))), 1, 2);
    expect(["", "ab", "abab", "ababab"].map((s) => matches(p, s))).toEqual([true, true, true, false]);
  });

  test("isEmpty_decides_on_structure", () => {
    expect(isEmpty(nothing())).toBe(true);
    expect(isEmpty(empty())).toBe(false);
    expect(isEmpty(bytes(emptySet()))).toBe(true);
    expect(isEmpty(seq(literal(utf8("a")), nothing()))).toBe(true);
    expect(isEmpty(repeat(nothing(), 0, null))).toBe(false);
    expect(isEmpty(repeat(nothing(), 1, null))).toBe(true);
    expect(isEmpty(anyOf([nothing(), bytes(setOf(1))]))).toBe(false);
  });

  test("patSize_counts_unrolled_positions", () => {
    expect(patSize(literal(utf8("abc")))).toBe(3);
    expect(patSize(repeat(literal(utf8("ab")), 0, 10))).toBe(20);
    expect(patSize(seq(anyString(), byte(1)))).toBe(2);
  });
});

describe("long inputs", () => {
  test("long_literal_builds_without_stack_overflow", () => {
    const long = new Uint8Array(100_000).fill(0x61);
    expect(matches(literal(long), long)).toBe(true);
  });

  test("long_glob_and_regex_sources_parse_without_stack_overflow", () => {
    expect(matches(glob("/" + "a".repeat(150_000) + "/*"), "/" + "a".repeat(150_000) + "/x")).toBe(true);
    expect(matches(re("^" + "a".repeat(90_000) + "$"), "a".repeat(90_000))).toBe(true);
  });
});
