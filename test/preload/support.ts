// What the test files of test/preload share: where the library is, building
// it and the C programs beside the tests, compiling a policy, and running a
// program under the library through the harness (run_with_policy.c, which
// seals the policy into a memfd and execs the program with LD_PRELOAD).
//
//   buildPreload(out?)                     make native/preload (serialized with flock)
//   compileC(src, out, extra?)             cc -std=c11 -Wall -Wextra -Werror -O2
//   buildHarness(out)                      run_with_policy.c → out
//   compilePolicy(file, source, vars)      .trj source → .trjb at file
//   runUnder(harness, policy, argv, opts)  one synchronous run under the library
//   sh(cmd, args, opts?)                   stdout, or throw with the output
//   realPath(p)                            readlink -f ("" when it does not exist)

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";

import { compile } from "../../compiler/index.js";

export const ROOT = join(import.meta.dirname, "../..");
export const PRELOAD_OUT = join(ROOT, "native/out/preload");
export const LIB = join(PRELOAD_OUT, "libtrajeckt.so");

/** Run cmd; its stdout, or throw with its output when it exits nonzero. */
export function sh(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Build (or bring up to date) libtrajeckt.so; concurrent test files take
 * turns. With `out`, a private copy is built there (OUT=out): a run that must
 * never execute a library another run is rewriting.
 */
export function buildPreload(out?: string): void {
  const make = ["make", "-s", "-C", join(ROOT, "native/preload"), ...(out ? ["-j2", `OUT=${out}`] : [])];
  sh("flock", ["/tmp/trajeckt-preload-make.lock", ...make]);
}

/** Compile one C program (a file of test/preload, or an absolute path) to out, warnings as errors. */
export function compileC(src: string, out: string, extra: string[] = []): string {
  mkdirSync(dirname(out), { recursive: true });
  const file = isAbsolute(src) ? src : join(import.meta.dirname, src);
  sh("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", ...extra, file, "-o", out]);
  return out;
}

/** The harness, built at out (each test file its own copy: they run in parallel). */
export function buildHarness(out: string): string {
  return compileC("run_with_policy.c", out);
}

/** Compile a policy source to file (.trjb); throws with the diagnostics. */
export function compilePolicy(file: string, source: string, vars: Record<string, string>): string {
  const r = compile(source, { file: "test.trj", vars, env: {} });
  if (!r.bytes) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  writeFileSync(file, r.bytes);
  return file;
}

export interface RunOptions {
  cwd: string;
  /** harness options before the library (--ring FILE, --mode observe, ...) */
  harness?: string[];
  /** default: PATH=/usr/bin:/bin, HOME=cwd */
  env?: Record<string, string>;
  /** the library to preload (default LIB) */
  lib?: string;
  timeout?: number;
}

/** Run argv under the library and policy through harness; stdin is closed (a socket there makes bash read ~/.bashrc). */
export function runUnder(harness: string, policy: string, argv: string[], opts: RunOptions): SpawnSyncReturns<string> {
  return spawnSync(harness, [...(opts.harness ?? []), opts.lib ?? LIB, policy, ...argv], {
    encoding: "utf8",
    cwd: opts.cwd,
    env: opts.env ?? { PATH: "/usr/bin:/bin", HOME: opts.cwd },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: opts.timeout ?? 30_000,
  });
}

/** readlink -f p: the real path ("" when it does not exist). */
export function realPath(p: string): string {
  return spawnSync("readlink", ["-f", p], { encoding: "utf8" }).stdout.trim();
}
