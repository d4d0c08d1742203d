// What every command shares: argument parsing with --help, --var collection,
// diagnostic printing and the exit codes (0 ok, 1 policy errors, 2 usage).

import { parseArgs, type ParseArgsConfig } from "node:util";
import { render, type Diagnostic } from "../../compiler/diagnostics.js";
import { UsageError } from "../policy-file.js";

export const EXIT_OK = 0;
export const EXIT_POLICY = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => AsyncIterable<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run: (args: { values: Record<string, unknown>; positionals: string[] }, io: Io) => Promise<number> | number;
}

export const VAR_OPTION = { var: { type: "string", multiple: true } } as const;

export function parse(cmd: Command, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...cmd.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${cmd.usage}`);
  }
}

/** --var NAME=VALUE (repeatable) → record. */
export function vars(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of (values.var as string[] | undefined) ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var expects NAME=VALUE, got \`${v}\``);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export function oneFile(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}\n\n${usage}`);
  return positionals[0]!;
}

/** Print diagnostics (text with carets, or one JSON object per line). */
export function printDiagnostics(io: Io, diags: Diagnostic[], source: string | null, format: unknown): void {
  for (const d of diags) {
    if (format === "json") io.err(JSON.stringify({ code: d.code, severity: d.severity, file: d.loc.file, line: d.loc.start.line, col: d.loc.start.col, message: d.message, hint: d.hint ?? null }) + "\n");
    else io.err(render(d, source ?? undefined));
  }
}
