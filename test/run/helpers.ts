// Shared by test/run: building the natives, running `bin/trajeckt.js run`,
// reading audit logs, and hand-made ring records.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { KINDS, type Kind } from "../../compiler/catalog.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "trajeckt.js");
export const LIB = join(ROOT, "native", "out", "preload", "libtrajeckt.so");
export const EXEC = join(ROOT, "native", "out", "launcher", "trajeckt-exec");

export function buildNatives(): void {
  execFileSync("make", ["-s", "-C", join(ROOT, "native", "preload")], { stdio: "inherit" });
  execFileSync("make", ["-s", "-C", join(ROOT, "native", "launcher")], { stdio: "inherit" });
}

/** Compile a C file from test/run (or elsewhere) into dir; returns the binary. */
export function buildC(src: string, out: string, flags: string[] = []): string {
  execFileSync("cc", ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", ...flags, src, "-o", out, "-lpthread"], { stdio: "inherit" });
  return out;
}

export function scratch(tag: string): string {
  return mkdtempSync(join(tmpdir(), `trajeckt-run-${tag}-`));
}

export function writePolicy(dir: string, text: string, name = "p.trj"): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `node bin/trajeckt.js ARGS` in its own session (no controlling terminal, as in CI), to completion. */
export function trajeckt(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Result> {
  const c = trajecktAsync(args, opts);
  const t = setTimeout(() => c.kill("SIGKILL"), opts.timeout ?? 60_000);
  return collect(c).finally(() => clearTimeout(t));
}

/** The same, in the background. */
export function trajecktAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

export function collect(c: ChildProcess): Promise<Result> {
  let stdout = "";
  let stderr = "";
  c.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  c.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((res) => c.once("close", (code, signal) => res({ code, signal, stdout, stderr })));
}

/** Every JSON line of a log. */
export function logLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The log's decision lines (not run.start / run.end / proc.start / lost). */
export function decisions(file: string): Record<string, unknown>[] {
  return logLines(file).filter((l) => typeof l.kind === "string" && KINDS.includes(l.kind as Kind));
}

/** A hand-made ring record (trj_ring.h encoding). */
export function encodeRecord(r: {
  kind: Kind;
  pid?: number;
  rule?: number;
  decision?: 1 | 2;
  verdict?: 1 | 2 | 3;
  fields?: { id: number; value: Buffer }[];
}): Buffer {
  const fields = r.fields ?? [];
  const len = 56 + fields.reduce((n, f) => n + 8 + ((f.value.length + 7) & ~7), 0);
  const b = Buffer.alloc(len);
  b.writeUInt32LE(len, 0);
  b.writeInt32LE(r.pid ?? 4242, 4);
  b.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n, 8);
  b.writeUInt32LE(1, 16);
  b.writeUInt32LE(0, 20);
  b.writeInt32LE(r.pid ?? 4242, 24);
  b.writeUInt16LE(KINDS.indexOf(r.kind), 28);
  b[30] = r.decision ?? 2;
  b[31] = r.verdict ?? 3;
  b.writeInt32LE(r.rule ?? -1, 36);
  b.writeUInt16LE(fields.length, 44);
  let p = 56;
  for (const f of fields) {
    b.writeUInt16LE(f.id, p);
    b.writeUInt32LE(f.value.length, p + 4);
    f.value.copy(b, p + 8);
    p += 8 + ((f.value.length + 7) & ~7);
  }
  return b;
}
