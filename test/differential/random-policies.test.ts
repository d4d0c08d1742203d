// Differential test: random policies (source text) and random actions, decided
// by the real pipeline (compile → bytecode → C core through the addon) and by
// the reference evaluator in test/oracle. They must agree on the decision, the
// deciding rule, the flag, and on why (rule / default / eval-error).
//
// Knobs (environment):
//   TRJ_DIFF_RUNS=n          policies of 10–30 rules (default 300)
//   TRJ_DIFF_LARGE_RUNS=n    policies of 60–120 rules (default 4)
//   TRJ_DIFF_SEED / TRJ_DIFF_PATH   replay what fast-check printed for a failure
//   TRJ_DIFF_TOLERATE_LOAD=1 count tables the verifier rejects instead of failing

import { readdirSync, readFileSync } from "node:fs";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { loadPolicy, type Action, type Policy } from "../../runtime/binding.js";
import { ReferencePolicy } from "../oracle/reference-eval.js";
import { core, oracle } from "./compare.js";
import { actionArb, policyArbOf, printPolicy, showAction, type GPolicy } from "./gen.js";

const RUNS = Number(process.env.TRJ_DIFF_RUNS ?? 300);
const LARGE_RUNS = Number(process.env.TRJ_DIFF_LARGE_RUNS ?? 4);
const SEED = process.env.TRJ_DIFF_SEED === undefined ? undefined : Number(process.env.TRJ_DIFF_SEED);
const PATH = process.env.TRJ_DIFF_PATH;
const TOLERATE_LOAD = process.env.TRJ_DIFF_TOLERATE_LOAD === "1";

function runDifferential(label: string, minRules: number, maxRules: number, runs: number, actionsPerPolicy: number): void {
  let generated = 0;
  let compiled = 0;
  let evaluated = 0;
  const failures = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const count = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const started = Date.now();
  fc.assert(
    fc.property(
      policyArbOf(minRules, maxRules),
      fc.array(actionArb, { minLength: actionsPerPolicy, maxLength: actionsPerPolicy }),
      (gp: GPolicy, actions) => {
        const source = printPolicy(gp);
        const opts = { vars: gp.vars, env: {} };
        generated++;
        const r = compile(source, { file: "gen.trj", examples: false, ...opts });
        if (!r.ok || r.bytes === null || r.policy === null) {
          for (const c of new Set(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code))) count(failures, c);
          return true; // skipped, but counted: the generator must stay honest
        }
        compiled++;
        let policy: Policy;
        try {
          policy = loadPolicy(r.bytes);
        } catch (e) {
          // A table the compiler emits and the verifier rejects is a bug of its own.
          if (!TOLERATE_LOAD) throw new Error(`compiled policy rejected by loadPolicy: ${String(e)}\n--- policy\n${source}`);
          count(failures, `load:${(e as { code?: string }).code ?? "?"}`);
          return true;
        }
        const ref = new ReferencePolicy(r.policy, opts);
        for (const a of actions) {
          const got = core(policy.evaluate(a as Action));
          const want = oracle(ref.evaluate(a));
          evaluated++;
          count(outcomes, `${want.why}:${want.decision}${want.flagged ? "+flag" : ""}`);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(
              `core and oracle disagree\n--- policy (vars ${JSON.stringify(gp.vars)})\n${source}--- action\n${showAction(a)}\n` +
                `--- core   ${JSON.stringify(got)}\n--- oracle ${JSON.stringify(want)}`,
            );
          }
        }
        return true;
      },
    ),
    { numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}), ...(PATH ? { path: PATH } : {}) },
  );
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${label}: ${generated} policies generated, ${compiled} compiled (${((100 * compiled) / generated).toFixed(1)}%), ` +
      `${evaluated} actions compared in ${secs}s; compile failures by code: ${JSON.stringify(Object.fromEntries(failures))}; ` +
      `outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`,
  );
  expect(compiled / generated).toBeGreaterThanOrEqual(0.8);
}

describe("random policies: compiled core == reference evaluator", () => {
  it(`agrees on ${RUNS} random policies of 10-30 rules, 60 actions each`, () => {
    runDifferential("differential", 10, 30, RUNS, 60);
  }, 300_000);

  it(`agrees on ${LARGE_RUNS} random policies of 60-120 rules, 300 actions each`, () => {
    runDifferential("differential (large)", 60, 120, LARGE_RUNS, 300);
  }, 300_000);
});

describe("shipped policies: compiled core == reference evaluator", () => {
  const dir = new URL("../../policies/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".trj"));
  for (const f of files) {
    it(`agrees on ${f} for 3000 random actions`, () => {
      const source = readFileSync(new URL(f, dir), "utf8");
      const opts = { vars: { WORKSPACE: "/work" }, env: {} };
      const r = compile(source, { file: f, examples: false, ...opts });
      if (!r.ok || !r.bytes || !r.policy) {
        // Compiling the shipped policies is tested elsewhere; nothing to compare here.
        console.warn(`${f} does not compile: ${r.diagnostics.map((d) => `${d.loc.start.line}:${d.code}`).join(", ")}`);
        return;
      }
      const policy = loadPolicy(r.bytes);
      const ref = new ReferencePolicy(r.policy, opts);
      for (const a of fc.sample(actionArb, { numRuns: 3000, seed: 42 })) {
        const got = core(policy.evaluate(a as Action));
        const want = oracle(ref.evaluate(a));
        expect(got, `${f}: ${showAction(a)}`).toEqual(want);
      }
    });
  }
});
