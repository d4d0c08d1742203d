// compile() from compiler/index.ts, stage by stage with a clock on each, so the
// bench can say where compile time goes — and can produce the table of a policy
// whose full compile() is too slow to wait for (the shadowed-rule lint is the
// one stage that only adds warnings, so skipping it gives the same bytes).
//
// This mirrors compiler/index.ts; run.ts checks that the two give identical bytes
// on every size where the full compile finishes, and says so if they ever differ.

import { createHash } from "node:crypto";

import { CHECKS } from "../compiler/index.js";
import type { CheckContext } from "../compiler/check/context.js";
import { checkShadowed } from "../compiler/check/shadow.js";
import { Diagnostics } from "../compiler/diagnostics.js";
import { emit } from "../compiler/emit.js";
import { runExamples } from "../compiler/examples.js";
import { lowerPolicy } from "../compiler/lower/policy.js";
import { buildProgram, type Program } from "../compiler/lower/program.js";
import { parsePolicy } from "../compiler/parse.js";
import { Scope } from "../compiler/resolve.js";

export interface StageTimes {
  parse: number;
  check: number;
  lower: number;
  shadowLint: number | null; // null = skipped
  buildProgram: number;
  emit: number;
  examples: number;
  total: number;
}

export interface Staged {
  bytes: Uint8Array;
  ms: StageTimes;
  program: Program;
}

export function compileStaged(source: string, file: string, opts: { shadowLint: boolean }): Staged {
  const diags = new Diagnostics();
  const ms: Partial<StageTimes> = {};
  const t = (): number => performance.now();
  const t0 = t();
  let a = t0;
  const lap = (k: keyof StageTimes): void => {
    const b = t();
    ms[k] = b - a;
    a = b;
  };
  const fail = (where: string): never => {
    throw new Error(`bench policy does not compile (${where}): ${JSON.stringify(diags.list.slice(0, 3))}`);
  };

  const parsed = parsePolicy(source, file);
  diags.list.push(...parsed.diagnostics);
  if (parsed.policy === null || diags.hasErrors) fail("parse");
  const policy = parsed.policy!;
  lap("parse");
  const ctx: CheckContext = { policy, source, scope: new Scope(policy, {}, diags), diags, argsTypes: new Map(), predicates: new Map() };
  for (const pass of CHECKS) pass(ctx);
  if (diags.hasErrors) fail("check");
  lap("check");
  const ir = lowerPolicy(ctx);
  lap("lower");
  const program = buildProgram(ir);
  lap("buildProgram");
  if (opts.shadowLint) {
    checkShadowed(ir, program, diags);
    lap("shadowLint");
  } else ms.shadowLint = null;
  const bytes = emit(program, createHash("sha256").update(source).digest());
  lap("emit");
  runExamples(ctx, bytes);
  if (diags.hasErrors) fail("examples");
  lap("examples");
  ms.total = t() - t0;
  return { bytes, ms: ms as StageTimes, program };
}

/** Sizes of the parts of a table, for the report. */
export function tableStats(p: Program): { dfaStates: Record<string, number>; intervals: Record<string, number>; classes: number; atoms: number; insns: number } {
  const dfaStates: Record<string, number> = {};
  const intervals: Record<string, number> = {};
  for (const c of p.classifiers) {
    const name = p.fields[c.slot]!.name;
    if (c.type === "str") dfaStates[name] = c.dfa.nStates;
    else intervals[name] = c.bounds.length;
  }
  return { dfaStates, intervals, classes: p.classes.length, atoms: p.atoms.length, insns: p.code.length };
}
