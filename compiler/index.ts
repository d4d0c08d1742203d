// The compiler pipeline, written as data: parse → check → lower → lint →
// backstop → generate → run examples. Each stage collects diagnostics; the run stops after
// a stage that reported an error.

import { createHash } from "node:crypto";
import type { Policy } from "./ast.js";
import { checkConditions } from "./check/conditions.js";
import type { CheckContext, CheckPass } from "./check/context.js";
import { checkDecisions } from "./check/decisions.js";
import { checkExamples } from "./check/examples.js";
import { checkHeader } from "./check/header.js";
import { inferArgsTypes } from "./check/infer-args.js";
import { checkKinds } from "./check/kinds.js";
import { checkNames } from "./check/names.js";
import { checkShadowed } from "./check/shadow.js";
import { DfaTooLarge } from "./automata/index.js";
import { Diagnostics, type Diagnostic } from "./diagnostics.js";
import { emit } from "./emit.js";
import { runExamples } from "./examples.js";
import { computeBackstop } from "./lower/backstop.js";
import { lowerPolicy } from "./lower/policy.js";
import { buildProgram, ProgramTooLarge, type Program } from "./lower/program.js";
import { parsePolicy } from "./parse.js";
import { Scope, type ResolveOptions } from "./resolve.js";
import { parseYamlPolicy } from "./yaml.js";

/** Read-only checks, in order; each reads the context and reports. */
export const CHECKS: CheckPass[] = [checkHeader, checkNames, checkKinds, inferArgsTypes, checkConditions, checkDecisions, checkExamples];

export interface CompileOptions extends ResolveOptions {
  /** Shown in diagnostics; its extension picks the front-end (.yaml/.yml = YAML). */
  file: string;
  /** Run inline examples against the compiled table (needs the native addon). Default true. */
  examples?: boolean;
  /** Run the shadowed-rule lint (warnings only: the bytes are the same without it). Default true. */
  shadowLint?: boolean;
  /** Told when each stage ends and what the program looks like: the bench's window into compile(). */
  observe?: { stage?(name: CompileStage, ms: number): void; program?(p: Program): void };
}

export type CompileStage = "parse" | "check" | "lower" | "buildProgram" | "shadowLint" | "backstop" | "emit" | "examples";

export interface CompileResult {
  ok: boolean;
  bytes: Uint8Array | null;
  diagnostics: Diagnostic[];
  policy: Policy | null;
}

export const isYamlFile = (file: string): boolean => /\.ya?ml$/i.test(file);

export function compile(source: string, opts: CompileOptions): CompileResult {
  const diags = new Diagnostics();
  const fail = (policy: Policy | null = null): CompileResult => ({ ok: false, bytes: null, diagnostics: sorted(diags), policy });

  let lapStart = performance.now();
  const lap = (name: CompileStage): void => {
    if (!opts.observe?.stage) return;
    const now = performance.now();
    opts.observe.stage(name, now - lapStart);
    lapStart = now;
  };

  const parsed = isYamlFile(opts.file) ? parseYamlPolicy(source, opts.file) : parsePolicy(source, opts.file);
  diags.list.push(...parsed.diagnostics);
  const policy = parsed.policy;
  if (policy === null || diags.hasErrors) return fail(policy);
  lap("parse");

  const ctx: CheckContext = { policy, source, scope: new Scope(policy, opts, diags), diags, argsTypes: new Map(), predicates: new Map() };
  for (const pass of CHECKS) pass(ctx);
  if (diags.hasErrors) return fail(policy);
  lap("check");

  const ir = lowerPolicy(ctx);
  lap("lower");
  let bytes: Uint8Array;
  try {
    const program = buildProgram(ir);
    lap("buildProgram");
    opts.observe?.program?.(program);
    if (opts.shadowLint !== false) {
      checkShadowed(ir, program, diags);
      lap("shadowLint");
    }
    const backstop = computeBackstop(ir, diags);
    lap("backstop");
    bytes = emit(program, createHash("sha256").update(source).digest(), backstop.entries);
    lap("emit");
  } catch (e) {
    if (!(e instanceof ProgramTooLarge) && !(e instanceof DfaTooLarge)) throw e;
    diags.error("too-large", policy.loc, `the policy is too large to compile: ${e.message}`, "split it or simplify its patterns");
    return fail(policy);
  }
  if (opts.examples !== false) runExamples(ctx, bytes);
  if (diags.hasErrors) return fail(policy);
  lap("examples");
  return { ok: true, bytes, diagnostics: sorted(diags), policy };
}

function sorted(d: Diagnostics): Diagnostic[] {
  return [...d.list].sort((a, b) => a.loc.start.offset - b.loc.start.offset || (a.code < b.code ? -1 : 1));
}
