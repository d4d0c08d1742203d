// Reading a policy from disk: a compiled .trjb is taken as is (the verifier
// judges it on load); a source file (.trj, .yaml) is compiled first. One
// function, used by every command that takes a policy.

import { readFileSync } from "node:fs";
import { compile, type CompileResult } from "../compiler/index.js";

export interface PolicyFile {
  bytes: Uint8Array | null;
  /** Diagnostics from compiling a source file; empty for .trjb. */
  compiled: CompileResult | null;
  source: string | null;
}

export const isBytecodeFile = (file: string): boolean => file.endsWith(".trjb");

/** Throws a UsageError if the file cannot be read. */
export function readPolicyFile(file: string, vars: Record<string, string>, opts: { examples?: boolean } = {}): PolicyFile {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (isBytecodeFile(file)) return { bytes: new Uint8Array(raw), compiled: null, source: null };
  const source = raw.toString("utf8");
  const compiled = compile(source, { file, vars, env: process.env, examples: opts.examples ?? true });
  return { bytes: compiled.bytes, compiled, source };
}

/** A mistake in how a command was called: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
