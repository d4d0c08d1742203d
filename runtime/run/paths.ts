// Where the launcher's native pieces live, and building them on first use.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { TrjError } from "../binding.js";

/** The package root (runtime/run/ → ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const PRELOAD_LIB = join(ROOT, "native", "out", "preload", "libtrajeckt.so");
export const EXEC_HELPER = join(ROOT, "native", "out", "launcher", "trajeckt-exec");

const BUILDS: [string, string][] = [
  [PRELOAD_LIB, join(ROOT, "native", "preload")],
  [EXEC_HELPER, join(ROOT, "native", "launcher")],
];

/**
 * The preload library and the exec helper, built with `make` if missing (a
 * fresh checkout after `npm install`). Throws TrjError "not-built" when make
 * fails or is missing.
 */
export function nativePaths(): { lib: string; exec: string } {
  for (const [file, dir] of BUILDS) {
    if (existsSync(file)) continue;
    const r = spawnSync("make", ["-s", "-C", dir], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0 || !existsSync(file)) {
      throw new TrjError("not-built", `${file} is missing and \`make -C ${dir}\` failed${r.stderr ? `:\n${r.stderr.trim()}` : ""}`);
    }
  }
  return { lib: PRELOAD_LIB, exec: EXEC_HELPER };
}
