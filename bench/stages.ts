// compile() from compiler/index.ts, stage by stage with a clock on each (its
// `observe` hooks), so the bench can say where compile time goes — and can
// produce the table of a policy whose full compile() is too slow to wait for:
// the shadowed-rule lint only adds warnings, so skipping it gives the same bytes
// (run.ts checks that on every size where the full compile finishes).

import { compile, type CompileStage } from "../compiler/index.js";
import type { Program } from "../compiler/lower/program.js";

export type StageTimes = Partial<Record<CompileStage, number>> & { total: number };

export interface Staged {
  bytes: Uint8Array;
  ms: StageTimes;
  program: Program;
}

export function compileStaged(source: string, file: string, opts: { shadowLint: boolean }): Staged {
  const ms: StageTimes = { total: 0 };
  let program: Program | null = null;
  const t0 = performance.now();
  const r = compile(source, {
    file,
    shadowLint: opts.shadowLint,
    observe: { stage: (name, t) => void (ms[name] = t), program: (p) => void (program = p) },
  });
  ms.total = performance.now() - t0;
  if (!r.ok || r.bytes === null || program === null) throw new Error(`bench policy does not compile: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  return { bytes: r.bytes, ms, program };
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
