// Shared by the parser tests: strip locations, read fixtures, shorthand nodes.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Cond, Policy } from "../../compiler/ast.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { parsePolicy } from "../../compiler/parse.js";

export const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8");

/** A deep copy without `loc`/`opLoc`, to compare shapes. */
export function stripLocs<T>(node: T): T {
  return JSON.parse(JSON.stringify(node, (k, v: unknown) => (k === "loc" || k === "opLoc" ? undefined : v))) as T;
}

/** Parses and fails the test with the rendered diagnostics if anything was reported. */
export function parseOk(source: string, file = "test.trj"): Policy {
  const r = parsePolicy(source, file);
  expect(r.diagnostics).toEqual([]);
  expect(r.policy).not.toBeNull();
  return r.policy!;
}

/** The one diagnostic of a failed parse. */
export function parseFails(source: string, file = "test.trj"): Diagnostic {
  const r = parsePolicy(source, file);
  expect(r.policy).toBeNull();
  expect(r.diagnostics).toHaveLength(1);
  return r.diagnostics[0]!;
}

export const HEADER = 'policy "p" version "1.0.0"\n';

/** The condition of the only rule of `rule r: deny * if <cond>`, locations stripped. */
export function cond(text: string): Cond {
  const p = parseOk(`${HEADER}rule r: deny * if ${text}\n`);
  const rule = p.decls[0];
  if (rule?.type !== "rule" || rule.cond === null) throw new Error("no condition");
  return stripLocs(rule.cond);
}

// Shorthand builders for expected ASTs (without locations).
export const str = (value: string) => ({ type: "string", value }) as const;
export const num = (value: number) => ({ type: "number", value }) as const;
export const ref = (name: string) => ({ type: "ref", name }) as const;
export const ip = (text: string) => ({ type: "ip", text }) as const;
export const field = (name: string) => ({ type: "field", name }) as const;
export const ident = (name: string) => ({ type: "ident", name }) as const;
export const kind = (text: string) => ({ type: "kind", text }) as const;
export const cmp = (f: string, op: string, value: unknown) => ({ type: "cmp", field: field(f), op, value }) as const;
