// Differential: the core inside the shipped libtrajeckt.so (the artifact that
// is injected), called through ffi-rs, against the addon (trajeckt.node) and
// the reference evaluator (test/oracle). Random policies and actions come from
// test/differential/gen.ts; corrupted tables from test/addon/table.ts and the
// compiler. Same decision, same deciding rule (index and name), same flag,
// same eval error; same verifier code and message.
//
// Knobs: TRJ_FFI_RUNS=n policies (default 300), TRJ_DIFF_SEED to replay.

import { createHash } from "node:crypto";

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { HDR } from "../../compiler/format.js";
import { loadPolicy, verify, type Action } from "../../runtime/binding.js";
import { buildTable } from "../addon/table.js";
import { core, oracle } from "../differential/compare.js";
import { actionArb, policyArbOf, printPolicy, showAction, type GPolicy } from "../differential/gen.js";
import { ReferencePolicy } from "../oracle/reference-eval.js";
import { buildPreload, coreLayout, LIB, POLICY_STORAGE, RESULT_SIZE, SharedCore, SharedCoreError, VALUE_SIZE } from "./ffi-core.js";

const RUNS = Number(process.env.TRJ_FFI_RUNS ?? 300);
const SEED = process.env.TRJ_DIFF_SEED === undefined ? undefined : Number(process.env.TRJ_DIFF_SEED);

let so: SharedCore;

beforeAll(() => {
  buildPreload();
  so = SharedCore.open(LIB);
}, 120_000);

const small = buildTable({
  fields: [
    { name: "path", type: "str", required: true, kinds: ["file.read"] },
    { name: "port", type: "int" },
    { name: "ip", type: "ip" },
  ],
  rules: [
    { name: "hosts", decision: "allow", kind: "file.read", field: "path", equals: "/etc/hosts" },
    { name: "ssh", decision: "deny", kind: "net.connect", field: "port", equals: 22, reason: "no ssh" },
    { name: "local", decision: "ask", kind: "net.connect", field: "ip", equals: "127.0.0.1", timeoutMs: 5000 },
  ],
});

function compiled(source: string): Buffer {
  const r = compile(source, { file: "t.trj", examples: false, vars: {}, env: {} });
  if (!r.ok || !r.bytes) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return Buffer.from(r.bytes);
}

describe("the shipped libtrajeckt.so exports the core with the layout trj.h declares", () => {
  it("matches_sizeof_trj_value_trj_result_and_fits_trj_policy_in_the_storage_given", () => {
    const l = coreLayout();
    expect(l.valueSize).toBe(VALUE_SIZE);
    expect(l.valueUnionOffset).toBe(8);
    expect(l.resultSize).toBe(RESULT_SIZE);
    expect(l.policySize).toBeLessThanOrEqual(POLICY_STORAGE);
    expect(l.policyAlign).toBeLessThanOrEqual(16); // malloc alignment
  });

  it("loads_a_table_and_reports_name_hash_slots_and_rules_like_the_addon", () => {
    const p = so.load(small);
    const info = loadPolicy(small).info();
    expect(p.name()).toBe(info.name);
    expect(p.hash()).toBe(info.hash);
    expect(p.reportedSlots).toEqual([0, 1, 2]);
    expect(p.fields).toEqual(info.fields);
    expect(p.slot("argv[9]")).toBe(-1);
    expect(info.rules.map((_, i) => [p.ruleName(i), p.ruleReason(i) || null])).toEqual(info.rules.map((r) => [r.name, r.reason]));
    expect([so.kindByName("net.connect"), so.kindName(9), so.kindByName("net.nope")]).toEqual([9, "net.connect", -1]);
    p.close();
  });

  it("decides_hand_made_values_and_fails_closed_on_caller_errors", () => {
    const p = so.load(small);
    const path = (s: string) => ({ type: "bytes" as const, bytes: Buffer.from(s) });
    const absent = { type: "absent" as const };
    const read = so.kindByName("file.read");
    expect(p.evalRaw(read, [path("/etc/hosts"), absent, absent])).toMatchObject({ decision: 1, reason: 0, rule: 0 });
    expect(p.evalRaw(read, [path("/etc/hostsX"), absent, absent])).toMatchObject({ decision: 2, reason: 1, rule: -1 });
    const ip = Buffer.alloc(16);
    ip.set([0xff, 0xff, 127, 0, 0, 1], 10);
    const connect = so.kindByName("net.connect");
    expect(p.evalRaw(connect, [absent, { type: "int", value: 443n }, { type: "ip", bytes: ip }])).toMatchObject({
      decision: 3, reason: 0, rule: 2, timeoutMs: 5000, error: 0,
    });
    expect(p.evalRaw(connect, [absent, { type: "int", value: 22n }, { type: "ip", bytes: ip }])).toMatchObject({ decision: 2, rule: 1 });
    // Every caller mistake is a deny with a specific error, never an allow.
    const err = (r: { decision: number; reason: number; error: number }) => [r.decision, r.reason, so.evalErrorName(r.error)];
    expect(err(p.evalRaw(read, [absent, absent, absent]))).toEqual([2, 2, "missing-field"]);
    expect(err(p.evalRaw(read, [{ type: "int", value: 1n }, absent, absent]))).toEqual([2, 2, "type-mismatch"]);
    expect(err(p.evalRaw(read, [{ type: "too-long" }, absent, absent]))).toEqual([2, 2, "value-too-long"]);
    expect(err(p.evalRaw(read, [path("/etc/hosts"), absent, absent], 0))).toEqual([2, 2, "too-few-slots"]);
    expect(err(p.evalRaw(99, [path("/etc/hosts"), absent, absent]))).toEqual([2, 2, "bad-kind"]);
    p.close();
  });
});

describe("random policies: shared object == addon == reference evaluator", () => {
  it(`agrees on ${RUNS} random policies of 10-30 rules, 40 actions each`, () => {
    let compiledCount = 0;
    let evaluated = 0;
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(policyArbOf(10, 30), fc.array(actionArb, { minLength: 40, maxLength: 40 }), (gp: GPolicy, actions) => {
        const source = printPolicy(gp);
        const opts = { vars: gp.vars, env: {} };
        const r = compile(source, { file: "gen.trj", examples: false, ...opts });
        if (!r.ok || r.bytes === null || r.policy === null) return true; // counted below
        compiledCount++;
        const addon = loadPolicy(r.bytes);
        const shared = so.load(r.bytes);
        const ref = new ReferencePolicy(r.policy, opts);
        try {
          const info = addon.info();
          expect(shared.hash()).toBe(info.hash);
          expect(shared.reportedSlots).toEqual(info.fields.map((_, i) => i));
          for (const a of actions) {
            const s = shared.evaluate(a as Action);
            const d = addon.evaluate(a as Action);
            const want = oracle(ref.evaluate(a));
            evaluated++;
            const key = `${want.why}:${want.decision}${want.flagged ? "+flag" : ""}`;
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
            const { index, ...sd } = s;
            const ctx = `--- policy (vars ${JSON.stringify(gp.vars)})\n${source}--- action\n${showAction(a)}\n--- so ${JSON.stringify(s)}\n--- addon ${JSON.stringify(d)}\n--- oracle ${JSON.stringify(want)}`;
            // The .so and the addon run the same core: everything must match, eval error included.
            expect(sd, ctx).toEqual({ ...d });
            expect(index >= 0 ? info.rules[index]?.name : null, ctx).toBe(d.rule);
            expect(core(sd), ctx).toEqual(want);
          }
        } finally {
          shared.close();
        }
        return true;
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    console.log(`ffi differential: ${compiledCount}/${RUNS} compiled, ${evaluated} actions; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
    expect(compiledCount / RUNS).toBeGreaterThanOrEqual(0.8);
    // The sample must reach every way of deciding, or agreement proves little.
    for (const k of ["rule:allow", "rule:deny", "rule:ask", "default:deny", "eval-error:deny"]) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
  }, 120_000);
});

describe("verifier: the shared object rejects corrupted tables with the addon's code and message", () => {
  /** Recompute the body hash so a flip reaches the structural checks, not just the hash check. */
  function rehash(b: Buffer): Buffer {
    const hsize = b.readUInt16LE(HDR.headerSize);
    const size = Math.min(b.readUInt32LE(HDR.fileSize), b.length);
    if (hsize >= HDR.bodySha + 32 && hsize <= size) createHash("sha256").update(b.subarray(hsize, size)).digest().copy(b, HDR.bodySha);
    return b;
  }

  function mutants(good: Buffer): [string, Buffer][] {
    const out: [string, Buffer][] = [
      ["empty", Buffer.alloc(0)],
      ["garbage", Buffer.alloc(4096, 0x41)],
      ["trailing", Buffer.concat([good, Buffer.alloc(8)])],
    ];
    for (let n = 0; n < good.length; n += 61) out.push([`truncated to ${n}`, good.subarray(0, n)]);
    const rng = fc.sample(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { numRuns: 400, seed: 7 });
    for (const [at, x] of rng) {
      const flipped = Buffer.from(good);
      flipped[at] = flipped[at]! ^ x;
      out.push([`byte ${at} ^ ${x}`, flipped]);
      out.push([`byte ${at} ^ ${x}, rehashed`, rehash(Buffer.from(flipped))]);
    }
    // Every header word, rehashed.
    for (let at = 0; at < HDR.sections + 80; at += 4) {
      const b = Buffer.from(good);
      b.writeUInt32LE((b.readUInt32LE(at) + 0x10001) >>> 0, at);
      out.push([`header word ${at}`, rehash(b)]);
    }
    return out;
  }

  for (const [label, good] of [
    ["the addon tests' hand-built table", () => small],
    ["a compiled policy", () => compiled(`policy "v" version "1.0.0"
default deny
list secrets = ["**/.ssh/**", "**/*.pem"]
rule ws: allow file.read, file.write if path under "/work" and not path matches secrets
rule git: allow exec if exe == "/usr/bin/git" and argv[1] in ["status", "log"] reason "read-only git"
rule net: ask net.connect if ip in 10.0.0.0/8 and port >= 1024
rule forced: flag exec if cmdline =~ /--force/
`)],
  ] as const) {
    it(`agrees on every mutant of ${label}`, () => {
      const base = good();
      expect(so.verify(base)).toEqual({ ok: true });
      const codes = new Map<string, number>();
      for (const [what, bytes] of mutants(base)) {
        const want = verify(bytes);
        const got = so.verify(bytes);
        expect(got, what).toEqual(want);
        if (!want.ok) {
          codes.set(want.code, (codes.get(want.code) ?? 0) + 1);
          // load refuses with the same code.
          let code = "";
          try {
            so.load(bytes).close();
          } catch (e) {
            code = (e as SharedCoreError).code;
          }
          expect(code, what).toBe(want.code);
        }
      }
      console.log(`${label}: rejection codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
      // The rehashed flips must get past the hash check into the structural verifier.
      expect([...codes.keys()].filter((c) => c !== "body-hash-mismatch" && c !== "truncated").length).toBeGreaterThan(3);
    });
  }
});
