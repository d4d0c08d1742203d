// Merged DFAs: accept sets, raw bytes, minimal state counts, determinism, language relations, limits.

import { describe, expect, test } from "vitest";
import {
  DfaTooLarge,
  anyString,
  buildDfa,
  intersects,
  isSubset,
  literal,
  nothing,
  runDfa,
  under,
  utf8,
  type Dfa,
} from "../../compiler/automata/index.js";
import { glob, re } from "./helpers.js";

const run = (d: Dfa, v: string | Uint8Array) => runDfa(d, typeof v === "string" ? utf8(v) : v);

describe("merged multi-pattern DFA", () => {
  const pats = [glob("**/.ssh/**"), glob("**/*.pem"), under(utf8("/home")), literal(utf8("/etc/shadow")), re("^/etc/")];
  const dfa = buildDfa(pats);

  test.each([
    ["/home/u/.ssh/id_rsa", [0, 2]],
    ["/home/u/.ssh/key.pem", [0, 1, 2]],
    ["/.ssh/x", [0]],
    ["/etc/shadow", [3, 4]],
    ["/etc/ssl/a.pem", [1, 4]],
    ["/home", [2]],
    ["/homework", []],
    ["", []],
  ])("accept_set_lists_every_matching_pattern %j -> %j", (value, want) => {
    expect(run(dfa, value)).toEqual(want);
  });

  test("accept_sets_are_ascending_for_every_state", () => {
    for (const a of dfa.accept) expect([...a].sort((x, y) => x - y)).toEqual(a);
  });

  test("table_is_well_formed", () => {
    expect(dfa.byteClass.length).toBe(256);
    expect(dfa.nColumns).toBeLessThanOrEqual(256);
    expect(Math.max(...dfa.byteClass)).toBe(dfa.nColumns - 1);
    expect(dfa.next.length).toBe(dfa.nStates * dfa.nColumns);
    for (const t of dfa.next) expect(t).toBeLessThan(dfa.nStates);
    expect(dfa.accept.length).toBe(dfa.nStates);
    expect(dfa.sink.length).toBe(dfa.nStates);
    expect(dfa.start).toBe(0);
  });

  test("sink_states_loop_on_every_column", () => {
    for (let s = 0; s < dfa.nStates; s++) {
      const loops = Array.from(dfa.next.subarray(s * dfa.nColumns, (s + 1) * dfa.nColumns)).every((t) => t === s);
      expect(dfa.sink[s]).toBe(loops);
    }
  });

  test("sink_is_set_for_dead_and_accept_forever_states", () => {
    const d = buildDfa([under(utf8("/a"))]);
    const forever = runDfa(d, utf8("/a/x"));
    expect(forever).toEqual([0]);
    expect(d.sink.filter((x) => x)).toHaveLength(2);
  });

  test("runDfa_returns_a_copy", () => {
    const a = run(dfa, "/home");
    a.push(99);
    expect(run(dfa, "/home")).toEqual([2]);
  });
});

describe("raw bytes", () => {
  test("dfa_handles_non_utf8_bytes_in_input", () => {
    const d = buildDfa([under(utf8("/data")), glob("**/*.pem")]);
    expect(run(d, Uint8Array.of(0x2f, 0x64, 0x61, 0x74, 0x61, 0x2f, 0xff, 0xfe, 0xc0, 0x80))).toEqual([0]);
    expect(run(d, Uint8Array.of(0xff, 0x2f, 0x2e, 0x70, 0x65, 0x6d))).toEqual([1]);
  });

  test("dfa_handles_embedded_nul_in_input", () => {
    const d = buildDfa([literal(utf8("/etc/shadow")), under(utf8("/etc"))]);
    expect(run(d, utf8("/etc/shadow\0"))).toEqual([1]);
    expect(run(d, utf8("/etc\0/shadow"))).toEqual([]);
    expect(run(d, Uint8Array.of(0))).toEqual([]);
  });

  test("patterns_may_contain_nul_and_high_bytes", () => {
    const d = buildDfa([literal(Uint8Array.of(0x61, 0x00, 0xff))]);
    expect(run(d, Uint8Array.of(0x61, 0x00, 0xff))).toEqual([0]);
    expect(run(d, Uint8Array.of(0x61, 0x00))).toEqual([]);
  });
});

describe("minimization", () => {
  test.each([
    ["literal abc: start, a, ab, abc, dead", [literal(utf8("abc"))], 5],
    ["under /a: start, /, /a, /a/..., dead", [under(utf8("/a"))], 5],
    ["search a: before and after", [re("a")], 2],
    ["search ab", [re("ab")], 3],
    ["^(a|b)*abb$ plus dead state", [re("^(a|b)*abb$")], 5],
    ["third byte from the end is a", [re("a..$")], 8],
    ["no patterns: one dead state", [], 1],
    ["any string: one accepting sink", [anyString()], 1],
    ["the same pattern twice", [literal(utf8("x")), literal(utf8("x"))], 3],
    // residuals: start, a, ab, abb, abbc, abc (accepts, may take d), accepted-and-done, dead
    ["equivalent spellings merge", [re("^(a|ab)(c|bcd)$"), re("^(abc|abcd|ac|abbcd)$")], 8],
  ])("minimal_state_count %s", (_name, pats, want) => {
    expect(buildDfa(pats).nStates).toBe(want);
  });

  test("empty_pattern_list_is_a_dead_sink", () => {
    const d = buildDfa([]);
    expect(d.sink).toEqual([true]);
    expect(d.accept).toEqual([[]]);
    expect(d.nColumns).toBe(1);
  });

  test("dead_state_is_explicit_when_reachable", () => {
    const d = buildDfa([literal(utf8("a"))]);
    const dead = run(d, "b");
    expect(dead).toEqual([]);
    const deadStates = d.accept.map((a, s) => a.length === 0 && d.sink[s]);
    expect(deadStates.filter((x) => x)).toHaveLength(1);
  });
});

describe("determinism", () => {
  const make = () => [glob("**/.ssh/**"), under(utf8("/usr")), re("a.{3}b", "i"), glob("/tmp/{a,b}*"), literal(utf8("/bin/sh"))];

  test("same_input_gives_identical_dfa", () => {
    expect(buildDfa(make())).toEqual(buildDfa(make()));
  });

  test("grouping_does_not_change_the_table", () => {
    const ref = buildDfa(make(), { groupSize: 1000 });
    for (const groupSize of [1, 2, 3]) expect(buildDfa(make(), { groupSize })).toEqual(ref);
  });

  test("states_are_numbered_breadth_first_from_start", () => {
    const d = buildDfa(make());
    const seen = [0];
    const order: number[] = [0];
    for (let i = 0; i < order.length; i++) {
      for (let c = 0; c < d.nColumns; c++) {
        const t = d.next[order[i]! * d.nColumns + c]!;
        if (!seen.includes(t)) seen.push(t), order.push(t);
      }
    }
    expect(order).toEqual(order.map((_, i) => i));
  });

  test("columns_are_numbered_by_smallest_byte", () => {
    const d = buildDfa(make());
    let max = -1;
    for (let b = 0; b < 256; b++) {
      expect(d.byteClass[b]!).toBeLessThanOrEqual(max + 1);
      max = Math.max(max, d.byteClass[b]!);
    }
  });
});

describe("language relations", () => {
  test.each([
    [under(utf8("/home/u")), under(utf8("/home")), true],
    [under(utf8("/home")), under(utf8("/home/u")), false],
    [glob("/home/*/x"), under(utf8("/home")), true],
    [glob("**/*.pem"), glob("**"), true],
    [re("^abc$"), re("b"), true],
    [re("b"), re("^abc$"), false],
    [literal(utf8("/etc/shadow")), glob("/etc/*"), true],
    [glob("/etc/**"), glob("/etc/*"), false],
    [nothing(), literal(utf8("x")), true],
    [re("^[a-z]+$", "i"), re("^[A-Za-z]+$"), true],
  ])("isSubset_%#", (a, b, want) => {
    expect(isSubset(a, b)).toBe(want);
  });

  test.each([
    [glob("*.txt"), glob("*.pem"), false],
    [under(utf8("/a")), glob("/a/*/b"), true],
    [under(utf8("/a")), under(utf8("/b")), false],
    [re("^a+$"), re("^a{3}$"), true],
    [nothing(), anyString(), false],
    [glob("**/.ssh/**"), under(utf8("/home")), true],
  ])("intersects_%#", (a, b, want) => {
    expect(intersects(a, b)).toBe(want);
  });
});

describe("limits", () => {
  test("too_many_states_throws_DfaTooLarge", () => {
    // "the 12th byte from the end is x" needs 2^12 states.
    expect(() => buildDfa([re("x.{11}$")], { maxStates: 1000 })).toThrow(DfaTooLarge);
    try {
      buildDfa([re("x.{11}$")], { maxStates: 1000 });
    } catch (e) {
      expect((e as DfaTooLarge).code).toBe("too-large");
      expect((e as DfaTooLarge).what).toBe("states");
    }
  });

  test("too_many_states_in_a_product_throws_DfaTooLarge", () => {
    const pats = [re("x.{6}$"), re("y.{6}$"), re("z.{6}$")];
    expect(() => buildDfa(pats, { maxStates: 5000, groupSize: 1 })).toThrow(DfaTooLarge);
  });

  test("subset_checks_honour_the_limit", () => {
    expect(() => isSubset(re("x.{11}$"), anyString(), { maxStates: 100 })).toThrow(DfaTooLarge);
  });
});
