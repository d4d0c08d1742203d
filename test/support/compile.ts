// Compiling policies in tests: a fixed, empty environment so results never
// depend on the machine, and WORKSPACE pinned for the shipped policies.

import { readFileSync } from "node:fs";
import { compile, type CompileResult } from "../../compiler/index.js";

export const TEST_VARS = { WORKSPACE: "/work" };

export function compileFile(file: string, vars: Record<string, string> = TEST_VARS): CompileResult {
  return compile(readFileSync(file, "utf8"), { file, vars, env: {} });
}

export function compileText(source: string, file = "test.trj", vars: Record<string, string> = {}): CompileResult {
  return compile(source, { file, vars, env: {} });
}

/** Compile or throw with every diagnostic: for tests whose policy must be valid. */
export function mustCompile(source: string, file = "test.trj"): Uint8Array {
  const r = compileText(source, file);
  if (!r.bytes) throw new Error(r.diagnostics.map((d) => `${d.loc.start.line}:${d.loc.start.col} ${d.code}: ${d.message}`).join("\n"));
  return r.bytes;
}
