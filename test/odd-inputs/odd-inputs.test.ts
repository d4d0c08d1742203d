// Odd inputs through the real pipeline (compile → bytecode → C core via the
// addon): non-UTF-8 bytes, embedded NULs, 4096-byte paths, 100,000-byte
// command lines, values of exactly 1 MiB and 1 MiB + 1, odd JS types. Each is
// either decided exactly as the reference evaluator decides it or denied with
// eval-error — and never crashes the process.

import { beforeAll, describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { loadPolicy, TrjError, type Action, type Policy } from "../../runtime/binding.js";
import { core, oracle, type Outcome } from "../differential/compare.js";
import { MAX_VALUE_LEN, ReferencePolicy } from "../oracle/reference-eval.js";

// No rule without a condition: those are an open bug of their own (see
// test/differential/regressions.test.ts); this file is about values.
const SOURCE = String.raw`policy "odd" version "1.0.0"
default deny

list secrets = ["**/.ssh/**", "**/*.pem", "/etc/shadow"]

rule workspace:     allow file.read, file.write if path under "/work"
rule no_secrets:    deny file.* if path matches any secrets
rule secret_dir:    deny file.* if path under "/secret"
rule raw_byte:      deny file.read if path == "/work/\xff"
rule latin1_dir:    ask file.write if path under "/work/\xe9t\xe9"
rule nul_in_path:   deny file.read if path =~ /\x00/
rule tools:         allow exec if exe in ["/usr/bin/git", "/bin/sh"]
rule b64:           deny exec if cmdline =~ /base64\s+(-d|--decode)/
rule pipe_to_sh:    deny exec if cmdline =~ /(curl|wget)[^|]*\|\s*(ba|da|z)?sh/
rule force_push:    ask exec if argv[1] == "push" and cmdline =~ /\s--force/
rule many_args:     flag exec if argc > 10000
rule registry:      allow net.connect if host in ["pypi.org"] and port == 443
rule injection:     flag tool.call if args.note =~ /ignore previous/i
rule big_amount:    deny tool.call if args.amount > 1000
rule notes:         allow tool.call if tool == "notes.add"
`;

let policy: Policy;
let ref: ReferencePolicy;

beforeAll(() => {
  const r = compile(SOURCE, { file: "odd.trj", examples: false, env: {} });
  const errors = r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.loc.start.line}: ${d.code} ${d.message}`);
  expect(errors).toEqual([]);
  policy = loadPolicy(r.bytes!);
  ref = new ReferencePolicy(r.policy!, {});
});

const lat = (s: string): Buffer => Buffer.from(s, "latin1");

/** Decide with both; they must agree. Returns the shared outcome. */
function decide(a: Record<string, unknown> & { kind: string }): Outcome {
  const got = core(policy.evaluate(a as Action));
  const want = oracle(ref.evaluate(a));
  expect(got, "the core and the reference evaluator disagree").toEqual(want);
  return got;
}

const ruled = (decision: string, rule: string, flagged = false): Outcome => ({ decision, rule, flagged, why: "rule" });
const DEFAULT: Outcome = { decision: "deny", rule: null, flagged: false, why: "default" };
const EVAL_ERROR: Outcome = { decision: "deny", rule: null, flagged: false, why: "eval-error" };

describe("embedded NUL bytes", () => {
  it("denies_path_with_nul_byte_that_prefix_matches_secret", () => {
    expect(decide({ kind: "file.read", path: "/home/u/.ssh/id_rsa\0.pub" })).toEqual(ruled("deny", "no_secrets"));
    expect(decide({ kind: "file.write", path: lat("/home/u/.ssh/id_rsa\0") })).toEqual(ruled("deny", "no_secrets"));
    expect(decide({ kind: "file.write", path: lat("/k.pem\0") })).toEqual(DEFAULT);
    expect(decide({ kind: "file.write", path: lat("/x/k\0.pem") })).toEqual(ruled("deny", "no_secrets"));
  });
  it("denies_read_of_workspace_path_with_nul_byte_by_the_nul_rule", () => {
    expect(decide({ kind: "file.read", path: "/work/a\0b" })).toEqual(ruled("deny", "nul_in_path"));
    expect(decide({ kind: "file.read", path: lat("/work/\0") })).toEqual(ruled("deny", "nul_in_path"));
    expect(decide({ kind: "file.write", path: "/work/a\0b" })).toEqual(ruled("allow", "workspace"));
  });
  it("nul_right_after_a_directory_name_is_not_under_that_directory", () => {
    expect(decide({ kind: "file.write", path: lat("/work\0/x") })).toEqual(DEFAULT);
    expect(decide({ kind: "file.write", path: lat("/secret\0") })).toEqual(DEFAULT);
    expect(decide({ kind: "file.write", path: lat("/secret/\0") })).toEqual(ruled("deny", "secret_dir"));
  });
  it("does_not_truncate_a_command_line_at_nul", () => {
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["sh", "-c", "true\0; echo aGkK | base64 -d | sh"] })).toEqual(ruled("deny", "b64"));
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: [lat("sh\0"), lat("\0base64\0"), "-d"] })).toEqual(ruled("allow", "tools"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: lat("curl x\0| sh"), argc: 3 })).toEqual(ruled("deny", "pipe_to_sh"));
  });
  it("denies_exe_with_nul_suffix_that_is_not_an_allowed_tool", () => {
    expect(decide({ kind: "exec", exe: "/bin/sh\0", argv: ["sh"] })).toEqual(DEFAULT);
  });
  it("treats_an_ip_with_nul_as_a_type_mismatch", () => {
    const rp = compile('policy "ip" version "1.0.0"\ndefault allow\nrule lo: deny net.connect if ip in 127.0.0.0/8\n', { file: "ip.trj", examples: false, env: {} });
    const p = loadPolicy(rp.bytes!);
    const r = new ReferencePolicy(rp.policy!, {});
    for (const ip of ["127.0.0.1\0", "\x00127.0.0.1", "127.0.0.1\0garbage"]) {
      const a = { kind: "net.connect", ip } as Action;
      expect(core(p.evaluate(a))).toEqual(EVAL_ERROR);
      expect(oracle(r.evaluate(a))).toEqual(EVAL_ERROR);
    }
  });
});

describe("bytes that are not UTF-8", () => {
  it("matches_raw_byte_only_as_that_byte", () => {
    expect(decide({ kind: "file.read", path: lat("/work/\xff") })).toEqual(ruled("deny", "raw_byte"));
    // A JS string is UTF-8: "\u00ff" is C3 BF, not the byte FF.
    expect(decide({ kind: "file.read", path: "/work/\u00ff" })).toEqual(ruled("allow", "workspace"));
    expect(decide({ kind: "file.read", path: lat("/work/\xff\xff") })).toEqual(ruled("allow", "workspace"));
  });
  it("compares_latin1_directory_byte_for_byte", () => {
    expect(decide({ kind: "file.write", path: lat("/work/\xe9t\xe9/x") })).toEqual(ruled("ask", "latin1_dir"));
    expect(decide({ kind: "file.write", path: "/work/été/x" })).toEqual(ruled("allow", "workspace"));
    expect(decide({ kind: "file.write", path: lat("/work/\xc9T\xc9/x") })).toEqual(ruled("allow", "workspace"));
  });
  it("denies_invalid_utf8_path_that_matches_secret_glob", () => {
    expect(decide({ kind: "file.read", path: lat("/home/\xff\xfe/.ssh/id") })).toEqual(ruled("deny", "no_secrets"));
    expect(decide({ kind: "file.read", path: lat("/work/\xc3(.pem") })).toEqual(ruled("deny", "no_secrets"));
    expect(decide({ kind: "file.read", path: lat("/work/\x80\x80/a") })).toEqual(ruled("allow", "workspace"));
  });
  it("reads_lone_surrogates_as_utf8_replacement_characters", () => {
    expect(decide({ kind: "file.read", path: "/work/\ud800" })).toEqual(ruled("allow", "workspace"));
    expect(decide({ kind: "file.read", path: "/home/\udfff/.ssh/x" })).toEqual(ruled("deny", "no_secrets"));
  });
  it("accepts_every_uint8_view_and_rejects_other_typed_arrays", () => {
    const bytes = lat("/work/\xff");
    expect(decide({ kind: "file.read", path: new Uint8Array(bytes) })).toEqual(ruled("deny", "raw_byte"));
    expect(decide({ kind: "file.read", path: new Uint8ClampedArray(bytes) })).toEqual(ruled("deny", "raw_byte"));
    const big = Buffer.from("xx/work/\xffyy", "latin1");
    expect(decide({ kind: "file.read", path: big.subarray(2, 2 + bytes.length) })).toEqual(ruled("deny", "raw_byte"));
    expect(decide({ kind: "file.read", path: new Int8Array(4) })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "file.read", path: new Uint16Array(4) })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "file.read", path: new DataView(new ArrayBuffer(4)) })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "file.read", path: new ArrayBuffer(4) })).toEqual(EVAL_ERROR);
  });
  it("denies_regex_evasion_with_high_bytes_in_whitespace_position", () => {
    // \s is ASCII whitespace only: 0xA0 (NBSP in latin1) does not separate.
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: lat("base64\xa0-d"), argc: 2 })).toEqual(ruled("allow", "tools"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: lat("base64\x0b-d"), argc: 2 })).toEqual(ruled("deny", "b64"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: "curl x |\n\tsh", argc: 3 })).toEqual(ruled("deny", "pipe_to_sh"));
  });
});

describe("long values", () => {
  it("decides_4096_byte_paths", () => {
    const deep = "/work/" + "a/".repeat(2043) + "xyzw";
    expect(Buffer.byteLength(deep)).toBe(4096);
    expect(decide({ kind: "file.read", path: deep })).toEqual(ruled("allow", "workspace"));
    const ssh = "/home/u/" + "d/".repeat(2041) + ".ssh/i";
    expect(Buffer.byteLength(ssh)).toBe(4096);
    expect(decide({ kind: "file.read", path: ssh })).toEqual(ruled("deny", "no_secrets"));
    const pem = "/work/" + "p".repeat(4086) + ".pem";
    expect(Buffer.byteLength(pem)).toBe(4096);
    expect(decide({ kind: "file.write", path: pem })).toEqual(ruled("deny", "no_secrets"));
    const comp = "/work/" + "c".repeat(4089);
    expect(decide({ kind: "file.read", path: lat(comp + "\xff") })).toEqual(ruled("allow", "workspace"));
  });
  it("denies_base64_decode_at_the_end_of_a_100000_byte_command_line", () => {
    const filler = Array.from({ length: 9999 }, (_, i) => `arg${i % 10}x${"y".repeat(4)}`).join(" ");
    const argv = ["sh", "-c", filler, "echo", "aGkK", "|", "base64", "-d"];
    const cmdline = argv.join(" ");
    expect(cmdline.length).toBeGreaterThan(100_000);
    expect(decide({ kind: "exec", exe: "/bin/sh", argv })).toEqual(ruled("deny", "b64"));
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: argv.slice(0, -1) })).toEqual(ruled("allow", "tools"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: "curl " + "a".repeat(100_000) + " | bash", argc: 4 })).toEqual(ruled("deny", "pipe_to_sh"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: "curl " + "a".repeat(100_000) + " bash", argc: 3 })).toEqual(ruled("allow", "tools"));
  });
  it("decides_100000_argument_argv_with_derived_argc", () => {
    const argv = Array.from({ length: 100_000 }, (_, i) => (i === 1 ? "push" : "x"));
    expect(decide({ kind: "exec", exe: "/usr/bin/git", argv })).toEqual(ruled("allow", "tools", true));
    expect(decide({ kind: "exec", exe: "/usr/bin/git", argv: [...argv, "--force"] })).toEqual(ruled("ask", "force_push"));
  });
  it("evaluates_a_value_of_exactly_1_mib", () => {
    const path = "/work/" + "a".repeat(MAX_VALUE_LEN - 6);
    expect(Buffer.byteLength(path)).toBe(MAX_VALUE_LEN);
    expect(decide({ kind: "file.read", path })).toEqual(ruled("allow", "workspace"));
    expect(decide({ kind: "file.read", path: Buffer.from(path) })).toEqual(ruled("allow", "workspace"));
    const cmd = "base64 -d " + "z".repeat(MAX_VALUE_LEN - 10);
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: cmd, argc: 3 })).toEqual(ruled("deny", "b64"));
  });
  it("denies_a_value_of_1_mib_plus_1_with_eval_error", () => {
    const path = "/work/" + "a".repeat(MAX_VALUE_LEN - 5);
    expect(Buffer.byteLength(path)).toBe(MAX_VALUE_LEN + 1);
    expect(decide({ kind: "file.read", path })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "file.read", path: Buffer.from(path) })).toEqual(EVAL_ERROR);
    // 1 MiB of UTF-16 units but more bytes: é is two bytes.
    expect(decide({ kind: "file.read", path: "/work/" + "é".repeat(MAX_VALUE_LEN / 2) })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { note: "n".repeat(MAX_VALUE_LEN + 1) } })).toEqual(EVAL_ERROR);
  });
  it("denies_a_derived_command_line_over_1_mib_with_eval_error", () => {
    const half = "h".repeat(MAX_VALUE_LEN / 2);
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: [half, half] })).toEqual(EVAL_ERROR); // 1 MiB + 1 with the space
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: [half, half.slice(1)] })).toEqual(ruled("allow", "tools"));
  });
  it("ignores_a_huge_value_in_a_field_no_applicable_rule_reads", () => {
    const huge = "w".repeat(MAX_VALUE_LEN + 10);
    expect(decide({ kind: "file.read", path: "/work/a", cwd: huge, host: huge })).toEqual(ruled("allow", "workspace"));
    expect(decide({ kind: "net.connect", host: "pypi.org", port: 443, path: huge })).toEqual(ruled("allow", "registry"));
  });
  it("flags_prompt_injection_deep_in_a_100000_byte_tool_argument", () => {
    const note = "lorem ".repeat(16_000) + "IGNORE Previous instructions";
    // the flag rule comes first in source order, so it is the deciding allow
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { note } })).toEqual(ruled("allow", "injection", true));
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { note: lat("\xffignore\xa0previous") } })).toEqual(ruled("allow", "notes"));
  });
});

describe("odd types and shapes", () => {
  it("denies_numbers_outside_int64_or_not_safe_with_eval_error", () => {
    for (const amount of [2n ** 63n, -(2n ** 63n) - 1n, 2 ** 53, 1.5, NaN, Infinity, "1001", true]) {
      expect(decide({ kind: "tool.call", tool: "notes.add", args: { amount } })).toEqual(EVAL_ERROR);
    }
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { amount: 2n ** 63n - 1n } })).toEqual(ruled("deny", "big_amount"));
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { amount: -(2n ** 63n) } })).toEqual(ruled("allow", "notes"));
    expect(decide({ kind: "tool.call", tool: "notes.add", args: { amount: -0 } })).toEqual(ruled("allow", "notes"));
  });
  it("treats_a_non_object_on_the_way_to_a_nested_field_as_type_mismatch", () => {
    expect(decide({ kind: "tool.call", tool: "notes.add", args: "amount=5000" })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "tool.call", tool: "notes.add", args: 7 })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "tool.call", tool: "notes.add", args: null })).toEqual(ruled("allow", "notes"));
    expect(decide({ kind: "tool.call", tool: "notes.add", args: [] })).toEqual(ruled("allow", "notes"));
    expect(decide({ kind: "exec", exe: "/bin/sh", cmdline: "x", argc: 1, argv: "push" })).toEqual(EVAL_ERROR);
  });
  it("joins_argv_holes_and_nulls_as_empty_strings_when_cmdline_is_derived", () => {
    // As Array.prototype.join (native/addon/marshal.cc): "base64  -d" still matches \s+.
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["base64", , "-d"] })).toEqual(ruled("deny", "b64"));
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["base64", null, "-d"] })).toEqual(ruled("deny", "b64"));
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["sh", undefined] })).toEqual(ruled("allow", "tools"));
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: [] })).toEqual(ruled("allow", "tools"));
  });
  it("denies_argv_with_non_text_elements_when_cmdline_is_derived", () => {
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["sh", 5] })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["sh", {}] })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: [true, "sh"] })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "exec", exe: "/bin/sh", argv: ["sh", new Uint16Array(1)] })).toEqual(EVAL_ERROR);
  });
  it("treats_empty_strings_as_present_values", () => {
    expect(decide({ kind: "file.read", path: "" })).toEqual(DEFAULT);
    expect(decide({ kind: "file.read", path: Buffer.alloc(0) })).toEqual(DEFAULT);
    expect(decide({ kind: "exec", exe: "", cmdline: "", argc: 0 })).toEqual(DEFAULT);
    expect(decide({ kind: "exec", exe: "", cmdline: "" })).toEqual(EVAL_ERROR); // argc is required
  });
  it("denies_missing_required_fields_with_eval_error", () => {
    expect(decide({ kind: "file.read" })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "file.read", path: null })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "exec", exe: "/bin/sh" })).toEqual(EVAL_ERROR);
    expect(decide({ kind: "tool.call", args: { amount: 5 } })).toEqual(EVAL_ERROR);
  });
  it("names_the_cause_of_an_eval_error_like_the_reference", () => {
    const cases: [Record<string, unknown> & { kind: string }, string][] = [
      [{ kind: "file.read" }, "missing-field"],
      [{ kind: "file.read", path: 42 }, "type-mismatch"],
      [{ kind: "file.read", path: "/work/" + "x".repeat(MAX_VALUE_LEN) }, "value-too-long"],
      [{ kind: "exec", exe: "/bin/sh", argv: ["h".repeat(MAX_VALUE_LEN / 2), "h".repeat(MAX_VALUE_LEN / 2)] }, "value-too-long"],
      [{ kind: "tool.call", tool: "notes.add", args: { amount: 2n ** 64n } }, "type-mismatch"],
    ];
    for (const [a, error] of cases) {
      expect(policy.evaluate(a as Action).error).toBe(error);
      expect(ref.evaluate(a).error).toBe(error);
    }
  });
  it("throws_a_trj_error_for_a_malformed_call_and_keeps_working", () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TrjError);
        return (e as TrjError).code;
      }
      return undefined;
    };
    expect(codeOf(() => policy.evaluate({ kind: "file.readx" } as unknown as Action))).toBe("unknown-kind");
    expect(codeOf(() => policy.evaluate({ kind: "file.read\0" } as unknown as Action))).toBe("unknown-kind");
    expect(codeOf(() => policy.evaluate({ kind: "x".repeat(100_000) } as unknown as Action))).toBe("unknown-kind");
    expect(codeOf(() => policy.evaluate({ kind: 5 } as unknown as Action))).toBe("bad-action");
    expect(codeOf(() => policy.evaluate(null as unknown as Action))).toBe("bad-action");
    expect(codeOf(() => policy.evaluate("file.read" as unknown as Action))).toBe("bad-action");
    expect(decide({ kind: "file.read", path: "/work/ok" })).toEqual(ruled("allow", "workspace"));
  });
  it("propagates_an_exception_thrown_by_a_getter_and_keeps_working", () => {
    const a = {
      kind: "file.read",
      get path(): string {
        throw new Error("boom");
      },
    };
    expect(() => policy.evaluate(a as unknown as Action)).toThrow("boom");
    expect(decide({ kind: "file.read", path: "/work/ok" })).toEqual(ruled("allow", "workspace"));
  });
  it("survives_a_getter_that_evaluates_another_action_reentrantly", () => {
    let inner: Outcome | null = null;
    const a = {
      kind: "file.read",
      get path(): string {
        inner = core(policy.evaluate({ kind: "file.read", path: "/etc/shadow" }));
        return "/work/" + "r".repeat(300_000);
      },
    };
    expect(core(policy.evaluate(a as unknown as Action))).toEqual(ruled("allow", "workspace"));
    expect(inner).toEqual(ruled("deny", "no_secrets"));
  });
  it("reads_args_named_like_object_prototype_members_without_crashing", () => {
    const src = 'policy "proto" version "1.0.0"\ndefault allow\nrule c: deny tool.call if args.constructor == "x" or args.__proto__ =~ /x/\n';
    const rp = compile(src, { file: "proto.trj", examples: false, env: {} });
    expect(rp.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const p = loadPolicy(rp.bytes!);
    const r = new ReferencePolicy(rp.policy!, {});
    const cases: [Record<string, unknown>, Outcome][] = [
      // inherited members are present values of the wrong type: fail closed
      [{ kind: "tool.call", tool: "t", args: {} }, EVAL_ERROR],
      [{ kind: "tool.call", tool: "t", args: Object.create(null) as object }, { decision: "allow", rule: null, flagged: false, why: "default" }],
      [{ kind: "tool.call", tool: "t", args: JSON.parse('{"constructor": "x"}') as object }, EVAL_ERROR],
      [{ kind: "tool.call", tool: "t" }, { decision: "allow", rule: null, flagged: false, why: "default" }],
    ];
    for (const [a, want] of cases) {
      expect(core(p.evaluate(a as Action))).toEqual(oracle(r.evaluate(a as Action & { kind: string })));
      expect(core(p.evaluate(a as Action))).toEqual(want);
    }
  });
  it("reads_only_own_or_inherited_properties_by_name", () => {
    const proto = { path: "/home/u/.ssh/id" };
    const a = Object.create(proto) as Record<string, unknown>;
    a.kind = "file.read";
    expect(decide(a as { kind: string })).toEqual(ruled("deny", "no_secrets"));
  });
});
