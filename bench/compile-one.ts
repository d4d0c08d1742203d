// Child process of bench/run.ts: compile one generated policy in a fresh Node
// process (as `trajeckt compile` would), timing it. Prints one JSON line.
//
//   tsx bench/compile-one.ts full   <source.trj> [out.trjb]   compile() from compiler/index.ts
//   tsx bench/compile-one.ts staged <source.trj> <out.trjb>   the same stages, timed one by one,
//                                                              without the shadowed-rule lint
//
// Wall time is performance.now() around the call; CPU time is process.cpuUsage()
// (user + system, all threads: GC helpers included), which the machine's other
// load does not inflate the way it inflates wall time.

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

import { compile } from "../compiler/index.js";
import { compileStaged, tableStats } from "./stages.js";

const [mode, src, outFile] = process.argv.slice(2);
if ((mode !== "full" && mode !== "staged") || src === undefined) throw new Error("usage: compile-one full|staged <source.trj> [out.trjb]");
const source = readFileSync(src, "utf8");
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const c0 = process.cpuUsage();
const t0 = performance.now();
if (mode === "full") {
  const r = compile(source, { file: src });
  const wallMs = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  if (!r.ok || r.bytes === null) throw new Error(`compile failed: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  if (outFile) writeFileSync(outFile, r.bytes);
  const warnings = r.diagnostics.filter((d) => d.severity === "warning").length;
  console.log(JSON.stringify({ wallMs, cpuMs: (cu.user + cu.system) / 1000, bytes: r.bytes.length, sha256: sha(r.bytes), warnings }));
} else {
  const r = compileStaged(source, src, { shadowLint: false });
  const wallMs = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  writeFileSync(outFile!, r.bytes);
  console.log(JSON.stringify({ wallMs, cpuMs: (cu.user + cu.system) / 1000, bytes: r.bytes.length, sha256: sha(r.bytes), stagesMs: r.ms, stats: tableStats(r.program) }));
}
