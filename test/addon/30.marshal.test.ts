// evaluate(): how each JS value reaches the core. Every rule of these tables is
// one `field == literal`, so a rule firing proves the exact bytes / integer /
// address the addon passed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { loadPolicy, TrjError, type Action, type Policy } from "../../runtime/binding.js";
import { buildTable, type TableRule, type TableSpec } from "./table.js";

const MAX = 1 << 20; // TRJ_MAX_VALUE_LEN

const load = (spec: TableSpec): Policy => loadPolicy(buildTable(spec));
const ev = (p: Policy, a: Record<string, unknown>) => p.evaluate(a as Action);

function one(type: "str" | "int" | "ip", equals: TableRule["equals"], extra: Partial<TableSpec> = {}): Policy {
  const kind = type === "str" ? "file.read" : "net.connect";
  const field = type === "str" ? "path" : type === "int" ? "port" : "ip";
  return load({
    fields: [{ name: field, type }],
    rules: [{ name: "hit", decision: "allow", kind, field, equals }],
    ...extra,
  });
}

const hit = { decision: "allow", rule: "hit", reason: null, flagged: false };
const dflt = { decision: "deny", rule: null, reason: "default", flagged: false };
const evalError = (error: string) => ({ decision: "deny", rule: null, reason: "eval-error", flagged: false, error });

describe("str fields", () => {
  it("passes_a_string_as_its_utf8_bytes", () => {
    const p = one("str", Buffer.from("/tmp/caf\u00e9", "utf8"));
    expect(ev(p, { kind: "file.read", path: "/tmp/caf\u00e9" })).toEqual(hit);
    expect(ev(p, { kind: "file.read", path: "/tmp/cafe" })).toEqual(dflt);
  });

  it("passes_a_buffer_as_raw_bytes_including_nul_and_invalid_utf8", () => {
    const raw = Buffer.from([0x2f, 0x74, 0x00, 0xff, 0xfe, 0x2f]);
    const p = one("str", raw);
    expect(ev(p, { kind: "file.read", path: raw })).toEqual(hit);
    expect(ev(p, { kind: "file.read", path: new Uint8Array(raw) })).toEqual(hit);
    expect(ev(p, { kind: "file.read", path: raw.toString("latin1") })).toEqual(dflt); // ÿ is c3 bf in UTF-8
  });

  it("reads_only_the_view_of_a_uint8array", () => {
    const p = one("str", "/etc");
    const backing = Buffer.from("xx/etcyy");
    expect(ev(p, { kind: "file.read", path: backing.subarray(2, 6) })).toEqual(hit);
  });

  it("passes_the_empty_string", () => {
    const p = one("str", "");
    expect(ev(p, { kind: "file.read", path: "" })).toEqual(hit);
    expect(ev(p, { kind: "file.read", path: new Uint8Array(0) })).toEqual(hit);
  });

  it("encodes_a_lone_surrogate_as_the_replacement_character", () => {
    const p = one("str", Buffer.from([0xef, 0xbf, 0xbd]));
    expect(ev(p, { kind: "file.read", path: "\ud800" })).toEqual(hit);
  });

  it("passes_strings_of_every_length_around_the_scratch_size", () => {
    // The scratch arena starts at 4 KiB; multibyte characters across its end must survive.
    for (const tail of ["\u00e9", "\u20ac", "\u{1f600}", "a"]) {
      for (let n = 4086; n <= 4097; n += 1) {
        const s = "a".repeat(n) + tail;
        const p = one("str", s);
        expect(ev(p, { kind: "file.read", path: s }), `${n} + ${JSON.stringify(tail)}`).toEqual(hit);
        expect(ev(p, { kind: "file.read", path: s + "x" })).toEqual(dflt);
      }
    }
  });

  it("passes_any_string_as_nodes_utf8_encoding_of_it", () => {
    // Lone surrogates included: both sides turn them into U+FFFD.
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const text = fc.oneof(fc.string({ unit: "binary", maxLength: 64 }), fc.string({ unit, maxLength: 64 }));
    fc.assert(
      fc.property(text, (s) => {
        const p = one("str", Buffer.from(s, "utf8"));
        expect(ev(p, { kind: "file.read", path: s })).toEqual(hit);
      }),
      { numRuns: 150 },
    );
  });

  it("passes_any_bytes_unchanged", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const p = one("str", b);
        expect(ev(p, { kind: "file.read", path: b })).toEqual(hit);
        expect(ev(p, { kind: "file.read", path: Buffer.concat([b, Buffer.from([0])]) })).toEqual(dflt);
      }),
      { numRuns: 150 },
    );
  });

  it("passes_a_large_string_exactly", () => {
    const s = "/" + "\u00e9b".repeat(10_000); // 30 KB: several times the initial scratch
    const p = one("str", s);
    expect(ev(p, { kind: "file.read", path: s })).toEqual(hit);
    expect(ev(p, { kind: "file.read", path: "/short" })).toEqual(dflt);
  });

  it("denies_values_over_the_length_limit_with_value_too_long", () => {
    const p = one("str", "/x");
    expect(ev(p, { kind: "file.read", path: "a".repeat(MAX) })).toEqual(dflt);
    expect(ev(p, { kind: "file.read", path: "a".repeat(MAX + 1) })).toEqual(evalError("value-too-long"));
    expect(ev(p, { kind: "file.read", path: "\u00e9".repeat(MAX / 2 + 1) })).toEqual(evalError("value-too-long"));
    expect(ev(p, { kind: "file.read", path: Buffer.alloc(MAX + 1) })).toEqual(evalError("value-too-long"));
    expect(ev(p, { kind: "file.read", path: "/x" })).toEqual(hit); // and recovers
  });

  it("denies_non_text_values_with_type_mismatch", () => {
    const p = one("str", "/x");
    for (const v of [1, 1n, true, {}, [], ["/x"], new Uint16Array(2), new DataView(new ArrayBuffer(2)), new ArrayBuffer(2), Symbol("s"), () => 1]) {
      expect(ev(p, { kind: "file.read", path: v }), String(typeof v)).toEqual(evalError("type-mismatch"));
    }
  });

  it("treats_undefined_and_null_as_absent", () => {
    const p = one("str", "/x");
    expect(ev(p, { kind: "file.read" })).toEqual(dflt);
    expect(ev(p, { kind: "file.read", path: undefined })).toEqual(dflt);
    expect(ev(p, { kind: "file.read", path: null })).toEqual(dflt);
  });

  it("denies_an_absent_required_field_with_missing_field", () => {
    const p = load({
      fields: [{ name: "path", type: "str", kinds: ["file.read"], required: true }],
      rules: [],
    });
    expect(ev(p, { kind: "file.read" })).toEqual(evalError("missing-field"));
    expect(ev(p, { kind: "file.read", path: "/a" })).toEqual(dflt);
  });

  it("keeps_earlier_values_when_a_later_one_grows_the_scratch", () => {
    const big = "/" + "b".repeat(20_000);
    const p = load({
      fields: [
        { name: "path", type: "str" },
        { name: "path2", type: "str" },
      ],
      rules: [
        { name: "to", decision: "allow", kind: "file.rename", field: "path2", equals: big },
        { name: "from", decision: "flag", kind: "file.rename", field: "path", equals: "/a" },
      ],
    });
    expect(ev(p, { kind: "file.rename", path: "/a", path2: big })).toMatchObject({ decision: "allow", flagged: true });
    expect(ev(p, { kind: "file.rename", path: "/b", path2: big })).toMatchObject({ decision: "allow", rule: "to", flagged: false });
    expect(ev(p, { kind: "file.rename", path: "/a", path2: "/c" })).toMatchObject({ decision: "allow", rule: "from", flagged: true });
  });
});

describe("int fields", () => {
  it("passes_a_safe_integer_number", () => {
    const p = one("int", 22);
    expect(ev(p, { kind: "net.connect", port: 22 })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", port: 22.0 })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", port: 23 })).toEqual(dflt);
  });

  it("passes_a_bigint", () => {
    const p = one("int", 22);
    expect(ev(p, { kind: "net.connect", port: 22n })).toEqual(hit);
  });

  it("passes_any_int64_bigint_and_any_safe_integer", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.maxSafeInteger(), (b, n) => {
        expect(ev(one("int", b), { kind: "net.connect", port: b })).toEqual(hit);
        expect(ev(one("int", n), { kind: "net.connect", port: n })).toEqual(hit);
      }),
      { numRuns: 100 },
    );
  });

  it("passes_negative_and_extreme_int64_values", () => {
    for (const v of [-1n, -(2n ** 63n), 2n ** 63n - 1n, 0n, BigInt(Number.MAX_SAFE_INTEGER)]) {
      const p = one("int", v);
      expect(ev(p, { kind: "net.connect", port: v }), String(v)).toEqual(hit);
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))
        expect(ev(p, { kind: "net.connect", port: Number(v) }), String(v)).toEqual(hit);
    }
    const m = one("int", -0);
    expect(ev(m, { kind: "net.connect", port: -0 })).toEqual(hit);
  });

  it("denies_non_integers_and_unsafe_numbers_with_type_mismatch", () => {
    const p = one("int", 22);
    for (const v of [22.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300, 2n ** 63n, -(2n ** 63n) - 1n, "22", true, {}, [22], Buffer.from([22])]) {
      expect(ev(p, { kind: "net.connect", port: v }), String(v)).toEqual(evalError("type-mismatch"));
    }
  });

  it("treats_undefined_and_null_as_absent", () => {
    const p = one("int", 22);
    expect(ev(p, { kind: "net.connect", port: null })).toEqual(dflt);
    expect(ev(p, { kind: "net.connect" })).toEqual(dflt);
  });
});

describe("ip fields", () => {
  it("passes_ipv4_as_ipv4_mapped_ipv6", () => {
    const p = one("ip", "10.1.2.3");
    expect(ev(p, { kind: "net.connect", ip: "10.1.2.3" })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", ip: "::ffff:10.1.2.3" })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", ip: "::ffff:a01:203" })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", ip: "10.1.2.4" })).toEqual(dflt);
  });

  it("passes_ipv6_in_any_spelling", () => {
    const p = one("ip", "2001:db8::1");
    expect(ev(p, { kind: "net.connect", ip: "2001:db8::1" })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", ip: "2001:0DB8:0000:0000:0000:0000:0000:0001" })).toEqual(hit);
    expect(ev(p, { kind: "net.connect", ip: "2001:db8::2" })).toEqual(dflt);
  });

  it("passes_any_address_in_its_canonical_and_expanded_spellings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const p = one("ip", ip);
        expect(ev(p, { kind: "net.connect", ip }), ip).toEqual(hit);
      }),
      { numRuns: 150 },
    );
  });

  it("passes_the_extremes", () => {
    expect(ev(one("ip", "::"), { kind: "net.connect", ip: "::" })).toEqual(hit);
    expect(ev(one("ip", "0.0.0.0"), { kind: "net.connect", ip: "0.0.0.0" })).toEqual(hit);
    expect(ev(one("ip", "255.255.255.255"), { kind: "net.connect", ip: "255.255.255.255" })).toEqual(hit);
  });

  it("denies_what_is_not_an_address_with_type_mismatch", () => {
    const p = one("ip", "10.1.2.3");
    for (const v of ["10.1.2", "10.1.2.3.4", "256.1.1.1", "10.1.2.3\0", "10.1.2.3 ", " 10.1.2.3", "fe80::1%eth0", "", "x".repeat(100), "localhost", 167838211, 167838211n, Buffer.from([10, 1, 2, 3]), {}]) {
      expect(ev(p, { kind: "net.connect", ip: v }), JSON.stringify(String(v))).toEqual(evalError("type-mismatch"));
    }
  });
});

describe("paths into the action", () => {
  const p = load({
    fields: [
      { name: "argv[1]", type: "str" },
      { name: "args.amount", type: "int" },
      { name: "args.card.country", type: "str" },
    ],
    rules: [
      { name: "push", decision: "allow", kind: "exec", field: "argv[1]", equals: "push" },
      { name: "big", decision: "flag", kind: "tool.call", field: "args.amount", equals: 5000 },
      { name: "xx", decision: "deny", kind: "tool.call", field: "args.card.country", equals: "XX" },
    ],
  });

  it("reads_argv_n_from_the_argv_array", () => {
    expect(ev(p, { kind: "exec", argv: ["git", "push"] })).toMatchObject({ rule: "push" });
    expect(ev(p, { kind: "exec", argv: ["git", Buffer.from("push")] })).toMatchObject({ rule: "push" });
    expect(ev(p, { kind: "exec", argv: ["push"] })).toEqual(dflt); // argv[1] absent
    expect(ev(p, { kind: "exec" })).toEqual(dflt);
    expect(ev(p, { kind: "exec", argv: null })).toEqual(dflt);
  });

  it("denies_argv_that_is_not_an_array_with_type_mismatch", () => {
    expect(ev(p, { kind: "exec", argv: "git push" })).toEqual(evalError("type-mismatch"));
    expect(ev(p, { kind: "exec", argv: { 1: "push" } })).toEqual(evalError("type-mismatch"));
  });

  it("reads_args_paths_as_nested_properties", () => {
    expect(ev(p, { kind: "tool.call", args: { amount: 5000 } })).toMatchObject({ decision: "allow", rule: "big", flagged: true });
    expect(ev(p, { kind: "tool.call", args: { amount: 5000n, card: { country: "XX" } } })).toMatchObject({ decision: "deny", rule: "xx" });
    expect(ev(p, { kind: "tool.call", args: { card: {} } })).toEqual(dflt);
    expect(ev(p, { kind: "tool.call", args: {} })).toEqual(dflt);
    expect(ev(p, { kind: "tool.call" })).toEqual(dflt);
  });

  it("denies_a_primitive_where_args_needs_an_object", () => {
    expect(ev(p, { kind: "tool.call", args: "amount=5000" })).toEqual(evalError("type-mismatch"));
    expect(ev(p, { kind: "tool.call", args: { card: "XX" } })).toEqual(evalError("type-mismatch"));
  });

  it("reads_nothing_a_kind_does_not_use", () => {
    const trap = { kind: "file.read" } as Record<string, unknown>;
    for (const k of ["argv", "args", "path"]) Object.defineProperty(trap, k, { get: () => { throw new Error(`read ${k}`); } });
    expect(ev(p, trap)).toEqual(dflt);
    // A field of another kind with a wrong type does not matter either.
    expect(ev(p, { kind: "exec", argv: ["git", "push"], args: "nonsense" })).toMatchObject({ rule: "push" });
  });
});

describe("derived argc and cmdline", () => {
  const p = load({
    fields: [
      { name: "argc", type: "int" },
      { name: "cmdline", type: "str" },
    ],
    rules: [
      // Flag last: among matching allow/flag rules the lowest index is reported.
      { name: "push", decision: "allow", kind: "exec", field: "cmdline", equals: "git push origin" },
      { name: "raw", decision: "allow", kind: "exec", field: "cmdline", equals: Buffer.from([0x61, 0x20, 0xff]) },
      { name: "holes", decision: "allow", kind: "exec", field: "cmdline", equals: "a  c" },
      { name: "three", decision: "flag", kind: "exec", field: "argc", equals: 3 },
    ],
  });

  it("derives_argc_and_cmdline_from_argv", () => {
    expect(ev(p, { kind: "exec", argv: ["git", "push", "origin"] })).toEqual({ decision: "allow", rule: "push", reason: null, flagged: true });
  });

  it("joins_bytes_elements_raw", () => {
    expect(ev(p, { kind: "exec", argv: ["a", Buffer.from([0xff])] })).toMatchObject({ rule: "raw", flagged: false });
  });

  it("joins_holes_and_null_as_empty_like_array_join", () => {
    expect(ev(p, { kind: "exec", argv: ["a", null, "c"] })).toMatchObject({ rule: "holes", flagged: true });
    // eslint-disable-next-line no-sparse-arrays
    expect(ev(p, { kind: "exec", argv: ["a", , "c"] })).toMatchObject({ rule: "holes", flagged: true });
  });

  it("denies_a_cmdline_joined_from_non_text_with_type_mismatch", () => {
    expect(ev(p, { kind: "exec", argv: ["git", 1, "x"] })).toEqual(evalError("type-mismatch"));
  });

  it("prefers_the_given_values", () => {
    expect(ev(p, { kind: "exec", argv: ["git", "push", "origin"], argc: 2, cmdline: "other" })).toEqual(dflt);
    expect(ev(p, { kind: "exec", argv: ["x"], cmdline: "git push origin" })).toMatchObject({ rule: "push", flagged: false });
  });

  it("leaves_them_absent_without_argv", () => {
    expect(ev(p, { kind: "exec" })).toEqual(dflt);
    expect(ev(p, { kind: "exec", argv: "git push origin" })).toEqual(dflt);
  });

  it("denies_an_overlong_joined_cmdline_with_value_too_long", () => {
    expect(ev(p, { kind: "exec", argv: ["a".repeat(MAX / 2), "b".repeat(MAX / 2)] })).toEqual(evalError("value-too-long"));
  });
});

describe("the action object", () => {
  const p = one("str", "/x");

  it("throws_bad_action_for_a_non_object", () => {
    for (const a of [undefined, null, 1, "file.read", Symbol("x")]) {
      try {
        p.evaluate(a as unknown as Action);
        throw new Error("no throw");
      } catch (e) {
        expect(e).toBeInstanceOf(TrjError);
        expect((e as TrjError).code).toBe("bad-action");
      }
    }
  });

  it("throws_bad_action_for_a_missing_or_non_string_kind", () => {
    for (const a of [{}, { kind: 1 }, { kind: null }, { kind: ["file.read"] }]) {
      expect(() => ev(p, a)).toThrow(expect.objectContaining({ code: "bad-action" }));
    }
  });

  it("throws_unknown_kind_for_a_kind_the_core_does_not_know", () => {
    for (const kind of ["file.nope", "file.*", "FILE.READ", "file.read\0", "", "x".repeat(200)]) {
      expect(() => ev(p, { kind })).toThrow(expect.objectContaining({ code: "unknown-kind" }));
    }
  });

  it("accepts_proxies_and_class_instances_as_actions", () => {
    const proxy = new Proxy({}, { get: (_t, k) => (k === "kind" ? "file.read" : k === "path" ? "/x" : undefined) });
    expect(ev(p, proxy)).toEqual(hit);
    class Read {
      kind = "file.read";
      path = "/x";
    }
    expect(p.evaluate(new Read() as unknown as Action)).toEqual(hit);
  });

  it("throws_bad_action_for_a_function", () => {
    const fn = Object.assign(() => 0, { kind: "file.read", path: "/x" });
    expect(() => p.evaluate(fn as unknown as Action)).toThrow(expect.objectContaining({ code: "bad-action" }));
  });

  it("reads_inherited_properties", () => {
    const a = Object.create({ path: "/x" }) as Record<string, unknown>;
    a["kind"] = "file.read";
    expect(ev(p, a)).toEqual(hit);
  });

  it("propagates_an_exception_thrown_by_a_getter", () => {
    const a = { kind: "file.read", get path(): string { throw new RangeError("boom"); } };
    expect(() => ev(p, a)).toThrow(RangeError);
    expect(ev(p, { kind: "file.read", path: "/x" })).toEqual(hit); // and recovers
  });

  it("survives_evaluate_called_again_from_a_getter", () => {
    const big = "/" + "y".repeat(100_000);
    const q = load({
      fields: [{ name: "path", type: "str" }, { name: "path2", type: "str" }],
      rules: [
        { name: "b", decision: "allow", kind: "file.rename", field: "path2", equals: "/b" },
        { name: "a", decision: "flag", kind: "file.rename", field: "path", equals: "/a" },
      ],
    });
    let inner: unknown;
    const a = {
      kind: "file.rename",
      path: "/a",
      get path2(): string {
        inner = q.evaluate({ kind: "file.rename", path: big, path2: big } as Action);
        return "/b";
      },
    };
    expect(ev(q, a)).toMatchObject({ decision: "allow", rule: "b", flagged: true });
    expect(inner).toEqual(dflt);
  });
});

describe("decisions", () => {
  const p = load({
    default: "deny",
    fields: [{ name: "path", type: "str" }, { name: "port", type: "int" }],
    rules: [
      { name: "ok", decision: "allow", kind: "file.read", field: "path", equals: "/ok" },
      { name: "secret", decision: "deny", kind: "file.read", field: "path", equals: "/secret", reason: "credentials are off limits" },
      { name: "ssh", decision: "ask", kind: "net.connect", field: "port", equals: 22, timeoutMs: 30000 },
      { name: "mark", decision: "flag", kind: "file.read", field: "path", equals: "/marked" },
    ],
  });

  it("reports_rule_decisions_with_and_without_reason", () => {
    expect(ev(p, { kind: "file.read", path: "/ok" })).toEqual({ decision: "allow", rule: "ok", reason: null, flagged: false });
    expect(ev(p, { kind: "file.read", path: "/secret" })).toEqual({ decision: "deny", rule: "secret", reason: "credentials are off limits", flagged: false });
  });

  it("reports_ask_with_its_timeout", () => {
    expect(ev(p, { kind: "net.connect", port: 22 })).toEqual({ decision: "ask", rule: "ssh", reason: null, flagged: false, timeoutMs: 30000 });
  });

  it("reports_flag_as_a_flagged_allow", () => {
    expect(ev(p, { kind: "file.read", path: "/marked" })).toEqual({ decision: "allow", rule: "mark", reason: null, flagged: true });
  });

  it("reports_the_default", () => {
    expect(ev(p, { kind: "file.read", path: "/other" })).toEqual(dflt);
    expect(ev(p, { kind: "http.request", url: "https://x" })).toEqual(dflt);
    const allowAll = load({ default: "allow", fields: [], rules: [] });
    expect(ev(allowAll, { kind: "exec" })).toEqual({ decision: "allow", rule: null, reason: "default", flagged: false });
  });

  it("returns_frozen_shared_decision_objects", () => {
    const a = ev(p, { kind: "file.read", path: "/ok" });
    const b = ev(p, { kind: "file.read", path: "/ok" });
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toBe(b);
    expect(() => {
      (a as { decision: string }).decision = "deny";
    }).toThrow(TypeError);
    expect(ev(p, { kind: "file.read", path: "/ok" }).decision).toBe("allow");
  });

  it("keeps_working_across_many_calls_and_outcomes", () => {
    for (let i = 0; i < 20_000; i++) {
      const path = ["/ok", "/secret", "/marked", "/x" + (i % 7)][i % 4]!;
      const d = ev(p, { kind: "file.read", path });
      expect(d.decision).toBe(path === "/secret" || path.startsWith("/x") ? "deny" : "allow");
    }
  });
});
