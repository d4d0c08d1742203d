// npm run bench [-- --quick] [-- --no-callgrind] [-- --check]
//
// --quick: a reduced set in about a minute. --check: exit 1 when a goal is missed
// (never part of npm test: CI must not fail on noise).
//
// Measures, side by side in one run on this machine:
//   1. the C core alone (bench/core-eval.c): generated policies of 10..10,000
//      rules, a fixed action mix, per-call percentiles; callgrind instruction
//      counts per decision when valgrind is installed;
//   2. policy.evaluate() from Node through the addon, and Cedar (cedar-wasm) on
//      equivalent policies of 6 and 1,000 rules, after checking that both give the
//      same decisions;
//   3. compile time, .trjb size, load + verify time;
//   4. the monitor: per-call cost of openat/stat/connect/fork+exec/getaddrinfo
//      under no monitor, trajeckt enforce/observe, strace, seccomp user-notify
//      and Landlock (percall.ts); whole programs with and without it
//      (programs.ts); 2 threads; resident memory;
//   5. the machine.
// Writes bench/results/latest.{json,md}, overhead.svg, and (full runs) the
// README's generated Performance block.
// Prints a table and writes bench/results/latest.json and latest.md. Goals are
// reported, never asserted; the run fails only when a measurement would be
// meaningless (an engine decides an action differently than expected).
//
// Layout: this file orchestrates; compile-one.ts, node-eval.ts and the core-eval
// binary each run in a fresh child process. Scratch files go to bench/out/.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { actionMix, cedarCore, fullCore, rulesFor, toCedar, toCoreLine, toTrj, type MixAction } from "./gen.js";
import type { CedarResult, Dist, NodeJob, TrjResult } from "./node-eval.js";
import { runPercall, type PercallReport } from "./percall.js";
import { runPrograms, type ProgramResult } from "./programs.js";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, "out");
const RESULTS = join(BENCH, "results");

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const CHECK = argv.includes("--check"); // exit 1 when a goal is missed (not part of npm test: noise must not fail CI)
const CALLGRIND = !argv.includes("--no-callgrind") && !QUICK; // instruction counts: the full run's

const CFG = QUICK
  ? { sizes: [10, 1000], iters: 200_000, cgIters: 200, fullCompile: [10], fullCompileBig: null as number | null, bigTimeoutS: 0, nodeCalls: 100_000, cedarBudgetMs: 300, loads: 2 }
  : { sizes: [10, 100, 1000, 10_000], iters: 2_000_000, cgIters: 2000, fullCompile: [10, 100, 1000], fullCompileBig: 10_000, bigTimeoutS: 60, nodeCalls: 1_000_000, cedarBudgetMs: 4000, loads: 5 };
const CEDAR_SIZES = [6, 1000];

const started = Date.now();
const step = (s: string): void => void process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "";
  }
}

/** Run a child, return its stdout's last line as JSON; throw with its stderr if it fails. */
function child<T>(cmd: string, args: string[], opts: { timeoutS?: number; cwd?: string } = {}): T | { timedOut: true } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, encoding: "utf8", maxBuffer: 64 << 20, timeout: opts.timeoutS ? opts.timeoutS * 1000 : undefined, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return { timedOut: true };
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  if (r.stderr) process.stderr.write(r.stderr);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}
const tsx = (script: string, args: string[], opts?: { timeoutS?: number }) => child<unknown>(process.execPath, ["--import", "tsx", join(BENCH, script), ...args], opts);
const timedOut = (x: unknown): x is { timedOut: true } => typeof x === "object" && x !== null && "timedOut" in x;

// ---- 4. machine ------------------------------------------------------------------------

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const field = (k: string) => cpuinfo.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "?";
  const flags = field("flags").split(" ");
  let clocksource = "?";
  try {
    clocksource = readFileSync("/sys/devices/system/clocksource/clocksource0/current_clocksource", "utf8").trim();
  } catch {
    /* not Linux */
  }
  return {
    date: new Date().toISOString(),
    cpu: field("model name"),
    cpuFamilyModel: `family ${field("cpu family")} model ${field("model")} stepping ${field("stepping")}`,
    cpuMHz: field("cpu MHz"),
    cores: os.cpus().length,
    hypervisor: flags.includes("hypervisor"),
    clocksource,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    gcc: sh("gcc", ["--version"]).split("\n")[0] ?? "?",
    valgrind: sh("valgrind", ["--version"]) || null,
    git: `${sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"])}${sh("git", ["-C", ROOT, "status", "--porcelain"]) ? " (uncommitted changes)" : ""}`,
    loadavgStart: os.loadavg().map((x) => +x.toFixed(2)),
    loadavgEnd: [] as number[],
  };
}

// ---- build -------------------------------------------------------------------------------

function buildCoreEval(): string {
  const bin = join(OUT, "core-eval");
  const core = readdirSync(join(ROOT, "native/core")).filter((f) => f.endsWith(".c")).map((f) => join(ROOT, "native/core", f));
  execFileSync("gcc", ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wvla",
    "-I", join(ROOT, "native/core"), join(BENCH, "core-eval.c"), ...core, "-o", bin], { stdio: "inherit" });
  return bin;
}

// ---- types of the children's answers -------------------------------------------------------

interface Staged { wallMs: number; cpuMs: number; bytes: number; sha256: string; stagesMs: Record<string, number | null>; stats: { dfaStates: Record<string, number>; intervals: Record<string, number>; classes: number; atoms: number; insns: number } }
interface Full { wallMs: number; cpuMs: number; bytes: number; sha256: string; warnings: number }
interface CoreRun {
  iterations: number;
  actions: number;
  table_bytes: number;
  load_verify_ns: { first: number; min: number; median: number; runs: number; sha256_median: number };
  timer_ns: number;
  timer_min_ns: number;
  timer_p90_ns: number;
  pass_median_ns_per_call: number;
  per_action: { decision: string; rule: string; error: string; p50: number; p99: number }[];
  raw: Record<string, number>;
  ns: { p50: number; p90: number; p99: number; p999: number };
}

// ---- callgrind ---------------------------------------------------------------------------------

/** Ir per dump part of one `core-eval --count` run under callgrind. */
function callgrindParts(bin: string, trjb: string, actions: string, iters: number, tag: string): Map<number, number> {
  const dir = join(OUT, "callgrind");
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith(`${tag}.`)) rmSync(join(dir, f));
  const prefix = join(dir, tag);
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${prefix}.%p`, "--dump-instr=no", "--compress-strings=no", bin, trjb, actions, String(iters), "--count"],
    { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`callgrind failed: ${r.stderr.slice(-2000)}`);
  const parts = new Map<number, number>();
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${tag}.`)) continue;
    const text = readFileSync(join(dir, f), "utf8");
    const part = Number(text.match(/^part: (\d+)$/m)?.[1] ?? 1);
    const totals = Number(text.match(/^(?:totals|summary): (\d+)$/m)?.[1]);
    parts.set(part, totals);
  }
  return parts;
}

/** Instructions per decision, per action: (parts of N-run - parts of 0-run) / N. */
function instructionsPerDecision(bin: string, trjb: string, actions: string, n_actions: number, iters: number, tag: string): number[] | { mixOnly: number } {
  const withN = callgrindParts(bin, trjb, actions, iters, `${tag}-n`);
  const zero = callgrindParts(bin, trjb, actions, 0, `${tag}-0`);
  if (withN.size >= n_actions + 1 && zero.size === withN.size) {
    const out: number[] = [];
    for (let k = 1; k <= n_actions; k++) out.push((withN.get(k)! - zero.get(k)!) / iters);
    return out;
  }
  // No client requests (core-eval built without valgrind/callgrind.h): one total.
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { mixOnly: (sum(withN) - sum(zero)) / (iters * n_actions) };
}

// ---- formatting ----------------------------------------------------------------------------------

const ns = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? "–" : x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : x >= 1e4 ? `${(x / 1e3).toFixed(1)} µs` : x >= 1e3 ? `${(x / 1e3).toFixed(2)} µs` : `${Math.round(x)} ns`);
const ms = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`);
const bytes = (x: number): string => (x >= 1 << 20 ? `${(x / (1 << 20)).toFixed(1)} MiB` : x >= 1024 ? `${(x / 1024).toFixed(1)} KiB` : `${x} B`);
const num = (x: number | null | undefined, d = 0): string => (x === null || x === undefined ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (x: number): string => (x >= 100 ? `${Math.round(x).toLocaleString("en-US")}×` : `${x.toFixed(1)}×`);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(" | ")} |`;
  return [line(head), `|${w.map((x, i) => (i === 0 ? ` ${"-".repeat(x)} ` : ` ${"-".repeat(x - 1)}: `)).join("|")}|`, ...rows.map((r) => line(r.map(String)))].join("\n");
}

// ---- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const m = machine();
  step(`${QUICK ? "quick" : "full"} run on ${m.cpu}, ${m.cores} cores, load average ${m.loadavgStart.join(" ")}`);
  if (!existsSync(join(ROOT, "build/Release/trajeckt.node"))) throw new Error("the native addon is not built: run `npm run build` first");

  step("building bench/out/core-eval (gcc -O2, native/core/*.c + bench/core-eval.c)");
  const bin = buildCoreEval();
  const haveValgrind = CALLGRIND && m.valgrind !== null;

  // Action files for core-eval.
  const fullMix = actionMix(false);
  const shortMix = fullMix.filter((a) => !a.label.includes("long path"));
  const cedarMix = actionMix(true);
  const writeMix = (name: string, mix: MixAction[]) => {
    const f = join(OUT, name);
    writeFileSync(f, mix.map((a) => toCoreLine(a.action)).join("\n") + "\n");
    return f;
  };
  const fullMixFile = writeMix("mix-full.txt", fullMix);
  const shortMixFile = writeMix("mix-short.txt", shortMix);

  // ---- 3. compile -------------------------------------------------------------------
  const compiles: { rules: number; staged: Staged; full: Full | { timedOut: true; afterS: number } | null; source: number }[] = [];
  const trjbOf = new Map<string, string>();
  for (const n of CFG.sizes) {
    const src = join(OUT, `core-${n}.trj`);
    const source = toTrj(`bench-${n}`, rulesFor(n, fullCore()));
    writeFileSync(src, source);
    const trjb = join(OUT, `core-${n}.trjb`);
    let full: Full | { timedOut: true; afterS: number } | null = null;
    if (CFG.fullCompile.includes(n)) {
      step(`compile() ${n} rules (fresh process)`);
      full = tsx("compile-one.ts", ["full", src]) as Full;
    } else if (n === CFG.fullCompileBig) {
      step(`compile() ${n} rules (fresh process, given up after ${CFG.bigTimeoutS} s)`);
      const r = tsx("compile-one.ts", ["full", src], { timeoutS: CFG.bigTimeoutS });
      full = timedOut(r) ? { timedOut: true, afterS: CFG.bigTimeoutS } : (r as Full);
    }
    step(`compile stages ${n} rules, without the shadowed-rule lint (fresh process)`);
    const staged = tsx("compile-one.ts", ["staged", src, trjb]) as Staged;
    if (full && !timedOut(full) && full.sha256 !== staged.sha256) throw new Error(`bench/stages.ts no longer matches compiler/index.ts: ${n}-rule tables differ`);
    compiles.push({ rules: n, staged, full, source: source.length });
    trjbOf.set(`core-${n}`, trjb);
  }
  const cedarSources = new Map<number, string>();
  for (const n of CEDAR_SIZES) {
    const rules = rulesFor(n, cedarCore());
    const src = join(OUT, `cedar-${n}.trj`);
    writeFileSync(src, toTrj(`bench-cedar-${n}`, rules));
    writeFileSync(join(OUT, `cedar-${n}.cedar`), toCedar(rules));
    cedarSources.set(n, toCedar(rules));
    step(`compile ${n}-rule Cedar-equivalent policy`);
    tsx("compile-one.ts", ["staged", src, join(OUT, `cedar-${n}.trjb`)]);
  }

  // ---- 1. C core -------------------------------------------------------------------------
  const failures: string[] = [];
  const core: { rules: number; full: CoreRun; short: CoreRun; ir: number[] | { mixOnly: number } | null }[] = [];
  for (const n of CFG.sizes) {
    const trjb = trjbOf.get(`core-${n}`)!;
    step(`core-eval ${n} rules: ${num(CFG.iters)} timed decisions, full mix and short mix`);
    const full = child<CoreRun>(bin, [trjb, fullMixFile, String(CFG.iters)]) as CoreRun;
    const short = child<CoreRun>(bin, [trjb, shortMixFile, String(CFG.iters)]) as CoreRun;
    full.per_action.forEach((a, i) => {
      if (a.decision !== fullMix[i]!.expect) failures.push(`core ${n} rules: ${fullMix[i]!.label}: ${a.decision} (${a.rule || a.error}), expected ${fullMix[i]!.expect}`);
    });
    let ir: number[] | { mixOnly: number } | null = null;
    if (haveValgrind) {
      step(`callgrind ${n} rules: ${CFG.cgIters} decisions per action, minus a zero-iteration run`);
      ir = instructionsPerDecision(bin, trjb, fullMixFile, fullMix.length, CFG.cgIters, `core-${n}`);
    }
    core.push({ rules: n, full, short, ir });
  }
  if (failures.length > 0) throw new Error(`the C core decides differently than the bench expects:\n${failures.join("\n")}`);

  // ---- 2. Node: addon and Cedar ----------------------------------------------------------------
  const job: NodeJob = {
    calls: CFG.nodeCalls,
    cedarBudgetMs: CFG.cedarBudgetMs,
    loads: CFG.loads,
    trj: CFG.sizes.map((n) => ({ id: `core-${n}`, file: trjbOf.get(`core-${n}`)!, mix: fullMix })),
    cedar: CEDAR_SIZES.map((n) => ({ id: `cedar-${n}`, trjFile: join(OUT, `cedar-${n}.trjb`), policies: cedarSources.get(n)!, mix: cedarMix })),
  };
  const jobFile = join(OUT, "node-job.json");
  writeFileSync(jobFile, JSON.stringify(job));
  step(`node: evaluate() ${num(CFG.nodeCalls)} calls per policy; Cedar ${CFG.cedarBudgetMs} ms per API and size (fresh process)`);
  const node = tsx("node-eval.ts", [jobFile]) as { trj: TrjResult[]; cedar: CedarResult[]; cedarVersion: string; failures: string[] };
  if (node.failures.length > 0) throw new Error(`engines disagree, nothing timed:\n${node.failures.join("\n")}`);

  // ---- 4-6. the monitor: per call, whole programs, scale ------------------------------------
  const percall = runPercall(step);
  const programs = runPrograms(step);

  m.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
  const results = { quick: QUICK, config: CFG, machine: m, cedarVersion: node.cedarVersion, mix: fullMix.map((a) => ({ label: a.label, expect: a.expect, action: a.action })), compiles, core, node, percall, programs, elapsedS: (Date.now() - started) / 1000 };
  writeFileSync(join(RESULTS, "latest.json"), JSON.stringify(results, null, 1) + "\n");
  const md = report(results);
  writeFileSync(join(RESULTS, "latest.md"), md);
  writeFileSync(join(RESULTS, "overhead.svg"), overheadChart(percall));
  if (!QUICK) updateReadme(results);
  process.stdout.write("\n" + md.slice(md.indexOf("## Results")) + "\n");
  step(`done: bench/results/latest.md, latest.json (${statSync(join(RESULTS, "latest.json")).size} bytes), overhead.svg${QUICK ? "" : ", README.md Performance section"}`);
  if (MISSED.length > 0) {
    step(`${MISSED.length} goal(s) missed:\n  ${MISSED.join("\n  ")}`);
    if (CHECK) process.exitCode = 1;
  }
}

// ---- goals, chart, README ------------------------------------------------------------------------

/** Goals missed in this run (filled by report()). */
const MISSED: string[] = [];

/** Added cost of the monitor on one op: mechanism minus none, same percentile, same run. */
function added(p: PercallReport, op: string, mech: string, pct: "p50" | "p99"): number | null {
  const r = p.results[op];
  if (!r?.[mech] || !r.none) return null;
  return r[mech]![pct] - r.none[pct];
}

/** What the kernel backstop adds on one op: enforce (backstop on) minus library (backstop off), medians, same run. */
function backstopCost(p: PercallReport, op: string): number | null {
  const r = p.results[op];
  return r?.enforce && r.library ? r.enforce.p50 - r.library.p50 : null;
}

/** Horizontal bars, log scale: added ns per openat+close by mechanism. */
function overheadChart(p: PercallReport): string {
  const label: Record<string, string> = { enforce: "trajeckt (enforce)", library: "trajeckt, backstop off", observe: "trajeckt (observe)", landlock: "Landlock alone (no audit)", notify: "seccomp user-notify + same core", strace: "strace -f (ptrace)" };
  const bars = Object.keys(label).map((m) => ({ m, v: added(p, "openat", m, "p50") })).filter((b): b is { m: string; v: number } => b.v !== null);
  const W = 760, left = 250, right = 90, row = 34, top = 44, H = top + bars.length * row + 40;
  const lo = 10, hi = Math.max(1e5, ...bars.map((b) => b.v));
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - left - right);
  const ticks = [10, 100, 1000, 10000, 100000, 1000000].filter((t) => t <= hi);
  const tick = (t: number) => (t >= 1000 ? `${t / 1000} µs` : `${t} ns`);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">`,
    `<text x="${left}" y="20" font-weight="bold">Added cost per openat+close, median (log scale; lower is better)</text>`];
  for (const t of ticks) out.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${H - 30}" stroke="#ddd"/><text x="${x(t)}" y="${H - 14}" text-anchor="middle" fill="#555">${tick(t)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * row;
    const colour = b.m === "enforce" || b.m === "library" || b.m === "observe" ? "#2b7a4b" : "#8a8a8a";
    out.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${label[b.m]}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${Math.max(2, x(b.v) - left)}" height="${row - 12}" fill="${colour}"/>`,
      `<text x="${x(b.v) + 6}" y="${y + 17}">${b.v >= 1000 ? `${(b.v / 1000).toFixed(1)} µs` : `${Math.round(b.v)} ns`}</text>`);
  });
  out.push("</svg>\n");
  return out.join("\n");
}

const README_BEGIN = "<!-- bench:begin (generated by npm run bench; edit bench/run.ts, not this block) -->";
const README_END = "<!-- bench:end -->";

/** Replace the README's generated Performance block with this run's figures. */
function updateReadme(r: Results): void {
  const file = join(ROOT, "README.md");
  const readme = readFileSync(file, "utf8");
  const a = readme.indexOf(README_BEGIN), b = readme.indexOf(README_END);
  if (a < 0 || b < a) return;
  const p = r.percall;
  const small = r.core[0]!, big = r.core[r.core.length - 1]!;
  const c6 = r.node.cedar.find((c) => c.id === "cedar-6"), c1k = r.node.cedar.find((c) => c.id === "cedar-1000");
  const rows: string[][] = [];
  const add = (what: string, v: string) => rows.push([what, v]);
  const ao = (m: string, pct: "p50" | "p99") => { const v = added(p, "openat", m, pct); return v === null ? "–" : ns(v); };
  add("added per openat+close, trajeckt enforce: median / p99", `${ao("enforce", "p50")} / ${ao("enforce", "p99")}`);
  add("same, seccomp user-notify with the same core / strace -f (median)", `${ao("notify", "p50")} / ${ao("strace", "p50")}`);
  const bs = backstopCost(p, "openat");
  if (bs !== null) add("of which the kernel backstop (Landlock + seccomp): enforce − backstop off, median", ns(bs));
  // connect and exec go through the seccomp supervisor (one notification round trip each); files never do
  const bc = backstopCost(p, "connect"), bf = backstopCost(p, "forkexec");
  if (bc !== null) add("kernel backstop per connect, incl. the seccomp supervisor's round trip: enforce − backstop off, median", ns(bc));
  if (bf !== null) add("kernel backstop per fork+exec (supervisor round trip, Landlock, filters), median", ns(bf));
  add("extra syscalls per hooked openat (strace -c)", String(p.extraSyscalls.openat?.enforce ?? "–"));
  for (const w of r.programs.filter((x) => x.name !== "launcher")) add(`whole program: ${w.name} (monitored ÷ plain, 95 % CI)`, `${w.ratio.toFixed(3)} [${w.ratioLo.toFixed(3)}, ${w.ratioHi.toFixed(3)}]`);
  const launcher = r.programs.find((x) => x.name === "launcher");
  if (launcher) add("`trajeckt run` start-up (Node launcher, verify, spawn), median", ms(launcher.monitoredMs - launcher.plainMs));
  add("C core per decision, 10 rules (short mix): p50 / p99", `${ns(small.short.ns.p50)} / ${ns(small.short.ns.p99)}`);
  add(`C core, ${num(big.rules)} vs 10 rules, p99 (short mix)`, `${(big.short.ns.p99 / small.short.ns.p99).toFixed(2)}×`);
  if (c6) add("`evaluate()` from Node vs Cedar `isAuthorized`, 6 rules", ratio(c6.stateless.median / c6.trajeckt.median) + " faster");
  if (c6?.gateway) add("`evaluate()` in process vs asking a Node daemon over a unix socket, 6 rules (median)", `${ns(c6.trajeckt.median)} vs ${ns(c6.gateway.median)}`);
  if (c1k) add("`evaluate()` from Node vs Cedar `isAuthorized`, 1,000 rules", ratio(c1k.stateless.median / c1k.trajeckt.median) + " faster");
  add("resident memory added per agent process (policy table " + bytes(p.rss.policyBytes) + ")", `${num(p.rss.enforceKb - p.rss.noneKb)} KiB`);
  const block = [README_BEGIN, "",
    `From \`npm run bench\` on ${r.machine.date.slice(0, 10)} (${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.kernel}, node ${r.machine.node}; load average ${r.machine.loadavgStart.join(" ")} at start). Every ratio is measured side by side in that one run; method and all figures: [bench/results/latest.md](bench/results/latest.md).`, "",
    "![added cost per openat by mechanism](bench/results/overhead.svg)", "",
    table(["what", "measured"], rows), "",
    MISSED.length ? `Goals missed in this run: ${MISSED.join("; ")}. The report says by how much and why.` : "Every goal in the report was met in this run.", "",
    README_END].join("\n");
  writeFileSync(file, readme.slice(0, a) + block + readme.slice(b + README_END.length));
}

// ---- the report --------------------------------------------------------------------------------------

type Results = {
  quick: boolean;
  config: typeof CFG;
  machine: ReturnType<typeof machine>;
  cedarVersion: string;
  mix: { label: string; expect: string; action: Record<string, unknown> }[];
  compiles: { rules: number; staged: Staged; full: Full | { timedOut: true; afterS: number } | null; source: number }[];
  core: { rules: number; full: CoreRun; short: CoreRun; ir: number[] | { mixOnly: number } | null }[];
  node: { trj: TrjResult[]; cedar: CedarResult[] };
  percall: PercallReport;
  programs: ProgramResult[];
  elapsedS: number;
};

function irStats(ir: number[] | { mixOnly: number } | null, mix: { label: string }[]) {
  if (ir === null) return null;
  if (!Array.isArray(ir)) return { mix: ir.mixOnly, short: null, long: null, max: null };
  const isLong = (i: number) => mix[i]!.label.includes("long path");
  const short = ir.filter((_, i) => !isLong(i));
  return { mix: mean(ir), short: mean(short), shortMax: Math.max(...short), long: mean(ir.filter((_, i) => isLong(i))), max: Math.max(...ir) };
}

function report(r: Results): string {
  const M = r.machine;
  const out: string[] = [];
  const small = r.core[0]!;
  const big = r.core[r.core.length - 1]!;
  out.push(`# trajeckt benchmark — ${M.date.slice(0, 10)}${r.quick ? " (quick run: reduced set)" : ""}`, "");
  out.push("## Method", "");
  out.push(
    "Everything below was measured in one `npm run bench` run on the machine described under *Machine*. Generated policies (bench/gen.ts):",
    "a fixed core — secret globs (`deny file.* if path matches [\"**/.ssh/**\", \"**/*.pem\", …]`), system reads, a workspace, dev tools, registries (`host in [...] and port == 443`), the cloud metadata range,",
    "and for the C-core policies two command-line regexes and an `ask` rule — plus scaling rules that grow like real policies: 40 % workspaces (`path under \"/data/p<i>\"`), 10 % read-only shares,",
    "10 % per-project secrets (`path matches \"/data/p<k>/secrets/**\"`), 20 % tools (`exe == ...`), 15 % services (`host == ... and port == 443`), 5 % blocked subnets (`ip in 10.x.y.0/24`).",
    `The action mix (${r.mix.length} actions, identical for every size) holds hits, misses, secrets, two 1.1 KB paths, a regex deny and an ask; the *short mix* is the same without the two long paths;`,
    "the *Cedar mix* is the full mix without the regex deny and the ask (long paths included).",
    "The bench checks every decision against the expected one before it reports a time.",
    "",
    `- **C core** (bench/core-eval.c, gcc -O2, no Node): ${num(r.config.iters)} decisions round-robin over the mix after ${num(r.config.iters / 10)} warm-up calls. Each call is timed alone with`,
    "  `clock_gettime(CLOCK_MONOTONIC)` (vDSO); right after it the empty timer pair is timed the same way and the median of those (`timer`) is **subtracted** from every percentile.",
    "  *pass* = one clock pair around a whole pass over the mix, median pass ÷ actions in it: a mean cost per decision with almost no timer in it, robust to preemption.",
    "  For calls as short as the timer pair itself, out-of-order execution overlaps part of the call with the clock reads, so subtracted per-call figures of the fastest actions can read low; *pass* has no such bias.",
    "- **Instructions** (callgrind, when valgrind is installed): `core-eval --count` evaluates each action N times and asks callgrind to dump counters after each action;",
    `  the same run with N = 0 is **subtracted** part by part (this removes loading, parsing and the dump requests), then ÷ N (N = ${r.config.cgIters}). Loop overhead of a few instructions per call remains. These counts do not depend on machine noise.`,
    "- **Load + verify**: `trj_load` (SHA-256 of the body, then every verifier pass) in core-eval, repeated up to 7 times, median; `loadPolicy(bytes)` in Node (copy, trj_load, field plan), median of " + r.config.loads + ".",
    `- **Node** (bench/node-eval.ts, a fresh process): \`policy.evaluate(action)\` round-robin over the mix; one sample = one pass timed with \`process.hrtime.bigint()\`, minus the median time of an empty pass, ÷ calls in the pass;`,
    `  ${num(r.config.nodeCalls)} calls after a warm-up. **Cedar** ${r.cedarVersion} (@cedar-policy/cedar-wasm, Node bindings): \`isAuthorized\` (stateless: the policy text is parsed on every call — that is the API) and`,
    `  \`statefulIsAuthorized\` (policy set preparsed once with \`preparsePolicySet\`); each call timed alone for ${r.config.cedarBudgetMs} ms after a warm-up, and summed per pass for the same per-pass statistic as trajeckt.`,
    "  The Cedar policies are generated from the same rule list (bench/gen.ts `toCedar`): kinds are Cedar actions, field values are the request context (`context.path like \"/data/p1/*\"`,",
    "  `context.ip.isInRange(ip(\"169.254.0.0/16\"))`), the cheapest way to give Cedar its inputs (no entity store). Regexes and `ask` have no Cedar equivalent, so those policies leave them out.",
    "  Before timing, every mix action is decided by trajeckt, `isAuthorized` and `statefulIsAuthorized`; the run fails if any disagrees. Speed ratio = Cedar ÷ trajeckt per decision, on the median pass",
    "  (robust to the process being descheduled); the ratio of means is shown too, but means carry every preemption of a loaded machine.",
    "- **Compile**: `compile()` from compiler/index.ts in a fresh Node process per policy (as `trajeckt compile` runs: cold JIT), wall time and CPU time (user + system of the process).",
    `  The stage breakdown comes from bench/stages.ts, which runs the same stages with a clock on each but without the shadowed-rule lint (the only stage that just adds warnings; the bench checks the bytes are identical).${r.config.bigTimeoutS ? ` Where \`compile()\` is given up after ${r.config.bigTimeoutS} s, the table for the eval benchmarks comes from the staged build.` : ""}`,
    "- Percentiles: p50/p90/p99/p99.9 are nearest-rank over all samples. Wall-clock figures include whatever else the machine was doing; see the load average under *Machine*.",
    `- Clock: ${r.machine.clocksource}; an empty timer pair read ${small.full.timer_min_ns}–${small.full.timer_p90_ns} ns (min–p90, median ${small.full.timer_ns} ns), so per-call C figures move in steps of about 10 ns on this machine.`,
    "",
  );

  out.push("## Results", "");
  // Goals.
  const irS = irStats(small.ir, r.mix);
  const irB = irStats(big.ir, r.mix);
  const c6 = r.node.cedar.find((c) => c.id === "cedar-6");
  const c1k = r.node.cedar.find((c) => c.id === "cedar-1000");
    const bigCompile = r.compiles[r.compiles.length - 1]!;
  const goals: string[][] = [];
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  goals.push(["C core p99 ≤ 100 ns at 10 rules (full mix, with 1.1 KB paths)", ns(small.full.ns.p99), verdict(small.full.ns.p99 <= 100)]);
  goals.push(["C core p99 ≤ 100 ns at 10 rules (short mix: no long paths)", ns(small.short.ns.p99), verdict(small.short.ns.p99 <= 100)]);
  const within = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  goals.push([`${num(big.rules)} rules within 2× of 10 rules: p50 / p99 (short mix)`, `${within(big.short.ns.p50, small.short.ns.p50)} / ${within(big.short.ns.p99, small.short.ns.p99)}`, verdict(big.short.ns.p50 <= 2 * small.short.ns.p50 && big.short.ns.p99 <= 2 * small.short.ns.p99)]);
  goals.push([`${num(big.rules)} rules within 2× of 10 rules: mean per decision (pass, full mix)`, within(big.full.pass_median_ns_per_call, small.full.pass_median_ns_per_call), verdict(big.full.pass_median_ns_per_call <= 2 * small.full.pass_median_ns_per_call)]);
  if (irS && irB) goals.push([`${num(big.rules)} rules within 2× of 10 rules: instructions per decision (mix)`, within(irB.mix, irS.mix), verdict(irB.mix <= 2 * irS.mix)]);
  if (c6) {
    goals.push(["≥ 30× faster than Cedar isAuthorized, 6 rules (median)", ratio(c6.stateless.median / c6.trajeckt.median), verdict(c6.stateless.median / c6.trajeckt.median >= 30)]);
    if (c6.stateful) goals.push(["≥ 30× faster than Cedar statefulIsAuthorized, 6 rules (median)", ratio(c6.stateful.median / c6.trajeckt.median), verdict(c6.stateful.median / c6.trajeckt.median >= 30)]);
  }
  if (c1k) {
    goals.push(["≥ 1,000× faster than Cedar isAuthorized, 1,000 rules (median)", ratio(c1k.stateless.median / c1k.trajeckt.median), verdict(c1k.stateless.median / c1k.trajeckt.median >= 1000)]);
    if (c1k.stateful) goals.push(["≥ 1,000× faster than Cedar statefulIsAuthorized, 1,000 rules (median)", ratio(c1k.stateful.median / c1k.trajeckt.median), verdict(c1k.stateful.median / c1k.trajeckt.median >= 1000)]);
  }
  if (bigCompile.full) {
    const f = bigCompile.full;
    goals.push([`compile() of ${num(bigCompile.rules)} rules < 2 s`, timedOut(f) ? `> ${f.afterS} s (given up)` : `${ms(f.wallMs)} wall, ${ms(f.cpuMs)} CPU`, verdict(!timedOut(f) && f.wallMs < 2000)]);
  }
  goals.push([`compile of ${num(bigCompile.rules)} rules without the shadowed-rule lint < 2 s`, `${ms(bigCompile.staged.wallMs)} wall, ${ms(bigCompile.staged.cpuMs)} CPU`, verdict(bigCompile.staged.wallMs < 2000)]);
  const P = r.percall;
  const eP50 = added(P, "openat", "enforce", "p50"), eP99 = added(P, "openat", "enforce", "p99");
  if (eP50 !== null && eP99 !== null) {
    goals.push(["added cost per hooked openat (decision + audit), median ≤ 300 ns", ns(eP50), verdict(eP50 <= 300)]);
    goals.push(["added cost per hooked openat, p99 ≤ 1 µs", ns(eP99), verdict(eP99 <= 1000)]);
    goals.push(["≥ 5,000× under the seed article's 1.6 ms (median added)", ratio(1.6e6 / Math.max(eP50, 1)), verdict(1.6e6 / Math.max(eP50, 1) >= 5000)]);
    const nP50 = added(P, "openat", "notify", "p50"), sP50 = added(P, "openat", "strace", "p50");
    if (nP50 !== null) goals.push(["≥ 20× less added cost than seccomp user-notify (openat, median)", ratio(nP50 / Math.max(eP50, 1)), verdict(nP50 / Math.max(eP50, 1) >= 20)]);
    if (sP50 !== null) goals.push(["≥ 100× less added cost than strace -f (openat, median)", ratio(sP50 / Math.max(eP50, 1)), verdict(sP50 / Math.max(eP50, 1) >= 100)]);
  }
  const sys = P.extraSyscalls.openat?.enforce;
  if (sys !== undefined) goals.push(["zero extra syscalls per hooked openat (no symlink on the way), strace -c", String(sys), verdict(sys <= 0.01)]);
  for (const w of r.programs.filter((x) => x.name !== "launcher"))
    goals.push([`whole program ${w.name}: ≤ 5 % wall time over no monitor`, `${((w.ratio - 1) * 100).toFixed(1)} % [${((w.ratioLo - 1) * 100).toFixed(1)}, ${((w.ratioHi - 1) * 100).toFixed(1)}]`, verdict(w.ratio <= 1.05)]);
  const rssAdded = P.rss.enforceKb - P.rss.noneKb;
  goals.push([`resident memory added per agent process ≤ 2 MiB beyond the policy table (${bytes(P.rss.policyBytes)})`, `${num(rssAdded)} KiB`, verdict(rssAdded * 1024 - P.rss.policyBytes <= 2 << 20)]);
  if (r.quick) goals.push(["(quick run: the 10,000-rule figures are not measured)", "", ""]);
  for (const g of goals) if (g[2] === verdict(false)) MISSED.push(`${g[0]}: ${g[1]}`);
  out.push("### Goals", "", table(["goal", "measured", ""], goals), "");

  // C core.
  out.push("### 1. C core, per decision", "");
  out.push(table(
    ["rules", ".trjb", "path DFA states", "p50", "p90", "p99", "p99.9", "pass", "short p50", "short p99", "short p99.9", "short pass", "timer"],
    r.core.map((c) => {
      const st = r.compiles.find((x) => x.rules === c.rules)!.staged.stats;
      return [num(c.rules), bytes(c.full.table_bytes), num(st.dfaStates.path ?? 0), ns(c.full.ns.p50), ns(c.full.ns.p90), ns(c.full.ns.p99), ns(c.full.ns.p999), ns(c.full.pass_median_ns_per_call),
        ns(c.short.ns.p50), ns(c.short.ns.p99), ns(c.short.ns.p999), ns(c.short.pass_median_ns_per_call), ns(c.full.timer_ns)];
    }),
  ), "");
  if (r.core.some((c) => c.ir !== null)) {
    out.push("Instructions per decision (callgrind):", "");
    out.push(table(["rules", "mix mean", "short-mix mean", "short-mix max", "1.1 KB path (mean of 2)", "max"], r.core.map((c) => {
      const s = irStats(c.ir, r.mix);
      return s ? [num(c.rules), num(s.mix), num(s.short), num(s.shortMax ?? null), num(s.long), num(s.max)] : [num(c.rules), "–", "–", "–", "–", "–"];
    })), "");
  }
  out.push("Per action, C core (p50 / p99 ns, timer subtracted; instructions):", "");
  out.push(table(["action", "decision (rule)", ...r.core.map((c) => `${num(c.rules)} rules`)], r.mix.map((a, i) => [
    a.label,
    `${small.full.per_action[i]!.decision} (${small.full.per_action[i]!.rule || "default"})`,
    ...r.core.map((c) => `${c.full.per_action[i]!.p50} / ${c.full.per_action[i]!.p99}${Array.isArray(c.ir) ? `; ${num(c.ir[i]!)} Ir` : ""}`),
  ])), "");

  // Node.
  out.push("### 2. From Node: `policy.evaluate()` and Cedar", "");
  const d = (x: Dist) => [ns(x.median), ns(x.p99), ns(x.mean)];
  const rows: string[][] = [];
  for (const c of r.node.cedar) {
    const n = num(c.rules);
    rows.push([`trajeckt evaluate(), ${n} rules`, ...d(c.trajeckt), num(c.trajeckt.calls), "1×", "1×"]);
    rows.push([`Cedar isAuthorized, ${n} rules`, ...d(c.stateless), num(c.stateless.calls), ratio(c.stateless.median / c.trajeckt.median), ratio(c.stateless.mean / c.trajeckt.mean)]);
    if (c.stateful) rows.push([`Cedar statefulIsAuthorized, ${n} rules`, ...d(c.stateful), num(c.stateful.calls), ratio(c.stateful.median / c.trajeckt.median), ratio(c.stateful.mean / c.trajeckt.mean)]);
    if (c.gateway) rows.push([`Node daemon over a unix socket (same evaluate()), ${n} rules`, ...d(c.gateway), num(c.gateway.calls), ratio(c.gateway.median / c.trajeckt.median), ratio(c.gateway.mean / c.trajeckt.mean)]);
  }
  out.push(table(["engine, policy", "median", "p99", "mean", "calls", "÷ trajeckt (median)", "÷ trajeckt (mean)"], rows), "");
  out.push(`Per call, per pass over the ${r.node.cedar[0]?.agree.length ?? 0}-action Cedar mix. Cedar per-call (each call timed alone) median / p99: ` +
    r.node.cedar.map((c) => `${num(c.rules)} rules: isAuthorized ${ns(c.stateless.perCallMedian)} / ${ns(c.stateless.perCallP99)}` + (c.stateful ? `, stateful ${ns(c.stateful.perCallMedian)} / ${ns(c.stateful.perCallP99)}` : "")).join("; ") +
    `. Decisions agreed on all ${r.node.cedar[0]?.agree.length ?? 0} actions (${r.node.cedar[0]?.agree.filter((a) => a.expect === "allow").length ?? 0} allow, ${r.node.cedar[0]?.agree.filter((a) => a.expect === "deny").length ?? 0} deny).`, "");
  out.push("*Node daemon over a unix socket*: the design users build first (an OPA-style sidecar) — bench/gateway-daemon.ts holds the same policy and answers one JSON line per decision with the same `evaluate()`, one request in flight; so its row is the cost of asking another process, not of deciding. " +
    "*OPA* (`@open-policy-agent/opa-wasm`) is not measured: it only runs policies compiled to Wasm by the `opa` CLI (`opa build -t wasm`), which is in neither Debian nor the npm registry, and building it from source needs Go modules from the internet, which this machine does not reach.", "");
  out.push("`policy.evaluate()` on the C-core policies (full mix), against the C core alone:", "");
  out.push(table(["rules", "evaluate() median", "p99", "mean", "C core (pass)", "Node + addon share (median − C)"], r.node.trj.map((t) => {
    const c = r.core.find((x) => `core-${x.rules}` === t.id)!;
    return [num(c.rules), ns(t.perCall.median), ns(t.perCall.p99), ns(t.perCall.mean), ns(c.full.pass_median_ns_per_call), ns(t.perCall.median - c.full.pass_median_ns_per_call)];
  })), "");
  out.push("Per action, `evaluate()` median ns (batches of 10 calls of one action) vs the C core's p50:", "");
  const t0 = r.node.trj[0]!;
  const tN = r.node.trj[r.node.trj.length - 1]!;
  out.push(table(["action", `evaluate() ${t0.id.slice(5)} rules`, `C core ${t0.id.slice(5)}`, `evaluate() ${tN.id.slice(5)} rules`, `C core ${tN.id.slice(5)}`], r.mix.map((a, i) => [
    a.label, ns(t0.perAction[i]!.medianNs), ns(small.full.per_action[i]!.p50), ns(tN.perAction[i]!.medianNs), ns(big.full.per_action[i]!.p50),
  ])), "");

  // The monitor.
  out.push("### 3. Per monitored call, by mechanism", "");
  out.push(`bench/percall.ts: the same C loop (bench/percall/percall.c) under each mechanism, ${P.rounds} interleaved rounds, median of each percentile over rounds; ` +
    "every mechanism decides with bench/percall/percall.trj, under which every loop's operation is allowed. *added* = mechanism − none in the same run. " +
    "*syscalls* = extra system calls per operation, from `strace -c` at two loop lengths (start-up cancels out), strace running inside the mechanism as the monitored program. " +
    "*enforce* is `trajeckt run` as shipped (library, audit, kernel backstop: Landlock + seccomp + the seccomp supervisor, which every exec, connect and addressed send reaches through one user-notification round trip); *library* is the same with `--backstop off`, so enforce − library is the backstop's own cost. " +
    "strace cannot run under the backstop (its seccomp filter refuses ptrace), so the syscall counts of enforce and observe are taken with `--backstop off`; the backstop adds kernel filters, not syscalls. " +
    "`stat` is not judged by trajeckt (existence probes are not hooked) and is not sent to the seccomp supervisor either, so its rows show the mechanisms' ambient cost. " +
    (Object.keys(P.unavailable).length ? `Unavailable here: ${Object.entries(P.unavailable).map(([k, v]) => `${k} (${v})`).join("; ")}.` : ""), "");
  const pc: string[][] = [];
  for (const { op, n } of P.ops) {
    for (const m of P.mechanisms) {
      const x = P.results[op]?.[m];
      if (!x) continue;
      pc.push([op, m, ns(x.p50), ns(x.p99), ns(x.p999), m === "none" ? "–" : ns(added(P, op, m, "p50")!), m === "none" ? "–" : ns(added(P, op, m, "p99")!), String(P.extraSyscalls[op]?.[m] ?? "–"), num(x.n)]);
    }
    void n;
  }
  out.push(table(["op", "mechanism", "p50", "p99", "p99.9", "added p50", "added p99", "syscalls", "calls"], pc), "");
  out.push("### 4. Whole programs", "");
  out.push("bench/programs.ts: an agent runs its tools inside one long monitored session, so a session is timed: bench/programs/timeit.c runs the workload several times in a row (fork, exec, wait; each run timed from inside) after a 0.5 s settle and one untimed warm-up run, plain and under `trajeckt run` (policy bench/programs/programs.trj, kernel backstop on); plain and monitored sessions alternate; ratio of medians with a 95 % bootstrap interval over the runs; *decisions logged* is per run. *launcher* is the whole `trajeckt run -- true` against `true`, timed from outside: the fixed start-up cost per agent (Node and tsx, compile or load, verify, spawn). A fresh `trajeckt run` per workload run would also charge each run with the launcher's start-up competing for the 2 CPUs (+20–70 ms here).", "");
  out.push(table(["workload", "pairs", "plain", "monitored", "ratio", "95 % CI", "decisions logged"], r.programs.map((w) => [w.name, String(w.runs), ms(w.plainMs), ms(w.monitoredMs), w.ratio.toFixed(3), `${w.ratioLo.toFixed(3)}–${w.ratioHi.toFixed(3)}`, w.decisions === null ? "–" : num(w.decisions)])), "");
  out.push("### 5. Scale", "");
  const t1 = P.results.openat, t2 = P.threads2;
  out.push(table(["openat+close", "none p50", "enforce p50", "added p50", "added p99"], [
    ["1 thread", ns(t1?.none?.p50 ?? null), ns(t1?.enforce?.p50 ?? null), ns(added(P, "openat", "enforce", "p50")), ns(added(P, "openat", "enforce", "p99"))],
    ["2 threads at once (concurrent decisions and ring appends)", ns(t2.none?.p50 ?? null), ns(t2.enforce?.p50 ?? null), ns(t2.none && t2.enforce ? t2.enforce.p50 - t2.none.p50 : null), ns(t2.none && t2.enforce ? t2.enforce.p99 - t2.none.p99 : null)],
  ]), "");
  out.push(`Resident memory at the end of a 1,000-openat loop: ${num(P.rss.noneKb)} KiB plain, ${num(P.rss.enforceKb)} KiB under trajeckt (policy table ${bytes(P.rss.policyBytes)}, audit ring pages this process touched, the library's code and data). Decision cost at 10,000 vs 10 rules: section 1.`, "");

  // Compile, size, load.
  out.push("### 6. Compile, size, load", "");
  out.push(table(["rules", "source", "compile() wall", "compile() CPU", "no-lint wall", "no-lint CPU", "parse", "check", "lower", "build (DFAs)", "backstop", "emit", ".trjb", "trj_load (C)", "loadPolicy (Node)"],
    r.compiles.map((c) => {
      const k = r.core.find((x) => x.rules === c.rules)!;
      const t = r.node.trj.find((x) => x.id === `core-${c.rules}`)!;
      const f = c.full;
      const s = c.staged.stagesMs;
      return [num(c.rules), bytes(c.source), f === null ? "–" : timedOut(f) ? `> ${f.afterS} s` : ms(f.wallMs), f === null || timedOut(f) ? "–" : ms(f.cpuMs), ms(c.staged.wallMs), ms(c.staged.cpuMs),
        ms(s.parse!), ms(s.check!), ms(s.lower!), ms(s.buildProgram!), ms(s.backstop ?? null), ms(s.emit!), bytes(c.staged.bytes), ms(k.full.load_verify_ns.median / 1e6), ms(t.loadPolicyMs.median)];
    })), "");
  const lintRows = r.compiles.filter((c) => c.full && !timedOut(c.full));
  if (lintRows.length > 0)
    out.push(`The shadowed-rule lint (\`checkShadowed\`) costs compile() minus the staged build: ${lintRows.map((c) => `${num(c.rules)} rules ≈ ${ms(Math.max(0, (c.full as Full).cpuMs - c.staged.cpuMs))} CPU`).join(", ")}.`, "");
  out.push("Table contents (staged build):", "");
  out.push(table(["rules", "DFA states per field", "interval bounds", "classes", "atoms", "instructions"], r.compiles.map((c) => [num(c.rules),
    Object.entries(c.staged.stats.dfaStates).map(([k, v]) => `${k} ${num(v)}`).join(", "), Object.entries(c.staged.stats.intervals).map(([k, v]) => `${k} ${num(v)}`).join(", "),
    num(c.staged.stats.classes), num(c.staged.stats.atoms), num(c.staged.stats.insns)])), "");

  // Findings: each note appears only while its symptom is measured; the causes
  // were found by profiling (perf, callgrind, node --cpu-prof) on 2026-11-27.
  const notes: string[] = [];
  const longIdx = r.mix.map((a, i) => (a.label.includes("long path") ? i : -1)).filter((i) => i >= 0);
  const longLen = Number(r.mix[longIdx[0]!]?.label.match(/\((\d+) B\)/)?.[1] ?? 0);
  if (longIdx.length > 0 && longLen > 0) {
    const p50 = mean(longIdx.map((i) => small.full.per_action[i]!.p50));
    const irLong = Array.isArray(small.ir) ? mean(longIdx.map((i) => (small.ir as number[])[i]!)) : null;
    if (p50 / longLen > 0.5)
      notes.push(`**Long values set the tail.** A ${longLen}-byte path costs ${ns(p50)} in the C core at every size (${(p50 / longLen).toFixed(2)} ns${irLong ? `, ${(irLong / longLen).toFixed(1)} instructions` : ""} per byte): the path DFA is walked byte by byte to the end, because the floating secret globs (\`**/.ssh/**\`) keep it from ever reaching a sink state. Two such paths in ${r.mix.length} actions are what the full-mix p90/p99 measure. ` +
        "Per byte, `walk_dfa` (native/core/eval.c) is one dependent add and one load of `next[]` (format 3: transitions are premultiplied row offsets, sink states are numbered first so the early-exit test compares with a register, and each row ends with its state's class, so the class is one load with no division), so a byte costs about one L1 load latency. What is left is the number of bytes walked: reach a sink sooner (a separate classifier for floating patterns, which never let the walk stop) or consume two bytes per step (a larger stride-2 table).");
  }
  if (small.short.ns.p99 > 100 && Array.isArray(small.ir) && longLen > 0) {
    const irs = small.ir;
    const perByte = mean(longIdx.map((i) => irs[i]!)) / longLen;
    const shortIdx = r.mix.map((_, i) => i).filter((i) => !longIdx.includes(i));
    const worst = [...shortIdx].sort((a, b) => small.full.per_action[b]!.p50 - small.full.per_action[a]!.p50).slice(0, 3);
    const valueBytes = (i: number) => Object.entries(r.mix[i]!.action).filter(([k, v]) => k !== "kind" && typeof v === "string" && k !== "ip").reduce((n, [, v]) => n + (v as string).length, 0);
    notes.push(`**p99 ≤ 100 ns at 10 rules is missed on the short mix too** (${ns(small.short.ns.p99)}, ${Math.round((small.short.ns.p99 / 100 - 1) * 100)} % over). The heaviest short actions are already near 100 ns at the median: ` +
      worst.map((i) => `${r.mix[i]!.label} ${ns(small.full.per_action[i]!.p50)} p50 / ${ns(small.full.per_action[i]!.p99)} p99, ${num(irs[i]!)} instructions for ${valueBytes(i)} bytes of string values`).join("; ") +
      `. At ≈${perByte.toFixed(0)} instructions per byte (measured on the long paths), the byte walk is a large share of each; the rest is work that does not depend on value length (entry program, candidate rules, \`atom_true\` lookups, one division per string field to find the final state's class).`);
  }
  const bigStats = r.compiles[r.compiles.length - 1]!;
  if (bigStats.staged.bytes > 4 << 20) {
    const pathStates = bigStats.staged.stats.dfaStates.path ?? 0;
    notes.push(`**Table size grows faster than the rules' text.** ${num(bigStats.rules)} rules (${bytes(bigStats.source)} of source) make a ${bytes(bigStats.staged.bytes)} table; the path DFA has ${num(pathStates)} states (${(pathStates / bigStats.rules).toFixed(1)} per rule). ` +
      "One DFA per field is the product of every pattern on that field: each `under \"/data/p<i>\"` class must also track how far the floating secret globs have matched, so states ≈ prefix classes × glob states. " +
      `Load + verify follows the size: ${ms(big.full.load_verify_ns.median / 1e6)} for trj_load, of which SHA-256 of the body ${ms(big.full.load_verify_ns.sha256_median / 1e6)} (the core's portable SHA-256; callgrind puts it at ~96 % of trj_load's instructions). ` +
      "Fixes: a second classifier per field for floating patterns (sum instead of product); a faster SHA-256 (this CPU has SHA-NI).");
  }
  const fullBig = bigStats.full;
  const lint1k = r.compiles.find((c) => c.rules === 1000 && c.full && !timedOut(c.full));
  if ((fullBig && timedOut(fullBig)) || (lint1k && (lint1k.full as Full).cpuMs > 2 * lint1k.staged.cpuMs))
    notes.push("**compile() is quadratic in the number of rules.** `checkShadowed` (compiler/check/shadow.ts) compares every non-deny rule with every deny rule and calls `isSubset`, which builds a product DFA, for each pair of predicates on the same field" +
      (lint1k ? ` (at 1,000 rules: ${ms((lint1k.full as Full).cpuMs - lint1k.staged.cpuMs)} of ${ms((lint1k.full as Full).cpuMs)} CPU)` : "") +
      (fullBig && timedOut(fullBig) ? `; at ${num(bigStats.rules)} rules it did not finish in ${fullBig.afterS} s.` : ".") +
      " Fix: prefilter pairs with a cheap necessary condition — e.g. one witness string of the allow predicate run through a merged DFA of all deny predicates of that field (its accept set names the only deny rules worth an `isSubset`). " +
      `Without the lint, ${num(bigStats.rules)} rules still take ${ms(bigStats.staged.cpuMs)} CPU: parse ${ms(bigStats.staged.stagesMs.parse!)}, check ${ms(bigStats.staged.stagesMs.check!)} and lower ${ms(bigStats.staged.stagesMs.lower!)} (each calls \`predicateOf\` on every string predicate, which builds a DFA for the never-matches test \`intersects(pat, ROOT)\` in compiler/lower/predicates.ts — so twice per predicate), build ${ms(bigStats.staged.stagesMs.buildProgram!)}, emit ${ms(bigStats.staged.stagesMs.emit!)}.`);
  const tSmall = r.node.trj[0]!;
  const addonShare = tSmall.perCall.median - small.full.pass_median_ns_per_call;
  if (addonShare > 150)
    notes.push(`**From Node, the addon costs more than the decision.** \`evaluate()\` adds ~${ns(addonShare)} per call over the C core (per action: ${ns(Math.min(...tSmall.perAction.map((a, i) => a.medianNs - small.full.per_action[i]!.p50)))}–${ns(Math.max(...tSmall.perAction.map((a, i) => a.medianNs - small.full.per_action[i]!.p50)))}). ` +
      "Likely cause (perf): `napi_get_named_property` with C-string names in `Policy::Marshal`/`Evaluate` (native/addon/marshal.cc, policy.cc) — every call makes a V8 string, internalizes it (string-table lookup) and does a generic property lookup without inline caches; it is over half of `Evaluate`'s time, `trj_eval` a few percent. " +
      "Fix: create the key strings once per policy (napi_ref to internalized strings) and use `napi_get_property`; or read the fields in JS (binding.ts, monomorphic property loads) and pass them to the addon positionally.");
  // The monitor's own findings (measured 2026-12-07: perf, strace -c, A/B builds).
  const lib = added(P, "openat", "library", "p50"), enf = added(P, "openat", "enforce", "p50"), ll = added(P, "openat", "landlock", "p50");
  if (lib !== null && enf !== null && enf > 300)
    notes.push(`**Added cost per openat: ${ns(enf)}, of which the library ${ns(lib)} and the kernel backstop ${ns(enf - lib)}** (Landlock alone: ${ll === null ? "–" : ns(ll)}; Landlock checks each path component against the domain's rules on every open, so its cost grows with path depth — ${P.ops.find((o) => o.op === "openat")?.arg.split("/").length ?? "?"} components here). ` +
      "The library's part is the decision and its record on top of the open: the open is done with openat2(RESOLVE_NO_SYMLINKS) on the normalized path (no extra syscall), then the C core decides (tens of ns at this policy size, section 1), two vDSO clock reads (~29 ns each on this VM, measured alone on 2026-12-07), the record is built and published with one CAS in the shared ring. Next: build the record in place, drop the evaluation clock reads from the hot path (sample eval_ns instead).");
  const p99 = added(P, "openat", "enforce", "p99"), lib99 = added(P, "openat", "library", "p99"), ll99 = added(P, "openat", "landlock", "p99");
  if (p99 !== null && p99 > 1000)
    notes.push(`**The p99 (${ns(p99)} added) comes with the audit path, not the kernel layers:** it is there with the library alone (${lib99 === null ? "–" : ns(lib99)}) and not with Landlock alone (${ll99 === null ? "–" : ns(ll99)}). ` +
      "The loop makes a decision every few µs; the writer (another process; 1.2–2.5 µs of CPU per record in test/audit/bench-writer.ts on 2026-12-07) drains the ring beside it on the same 2 vCPUs, so a producer now and then waits for ring space (backpressure, by design) or is descheduled for the writer's threads. A sustained rate this high is a benchmark's, not an agent's; short bursts fit in the 4 MiB ring.");
  const tar = r.programs.find((w) => w.name === "tar"), find = r.programs.find((w) => w.name === "find");
  if (tar && tar.ratio > 1.05)
    notes.push(`**tar: ${((tar.ratio - 1) * 100).toFixed(0)} % for ${num(tar.decisions ?? 0)} decisions per run.** tar opens every file relative to a directory descriptor; the library judges the absolute path, and to learn the directory's path it reads /proc/self/fd/N once per such open (strace -c on this workload, 2026-12-07: +10,142 readlinkat for 10,142 opens). The "0 extra syscalls" goal is for absolute paths. Next: remember each directory descriptor's path, validated by one fstat (dev, inode) instead of a /proc readlink — never trusted unvalidated, since the agent can swap what fd N is with raw syscalls.`);
  const fe = added(P, "forkexec", "enforce", "p50");
  if (find && find.ratio > 1.05 && fe !== null)
    notes.push(`**find: ${((find.ratio - 1) * 100).toFixed(0)} % of a ${ms(find.plainMs)} program** is mostly the per-process start: every monitored exec costs +${ms(fe / 1e6)} (the forkexec row: the loader maps and relocates the library, which maps the sealed policy, verifies it, maps the ring and writes proc.start), plus ${num(find.decisions ?? 0)} directory opens relative to a descriptor (one /proc readlink each, as for tar).`);
  if (notes.length > 0) out.push("## Findings", "", ...notes.map((n) => `- ${n}`), "");

  out.push("## Machine", "");
  out.push(table(["", ""], [
    ["date", M.date], ["CPU", `${M.cpu} (${M.cpuFamilyModel}, ${M.cpuMHz} MHz${M.hypervisor ? ", virtual machine" : ""})`], ["cores", String(M.cores)], ["memory", `${M.memGiB} GiB`],
    ["kernel", M.kernel], ["clock source", M.clocksource], ["node", M.node], ["gcc", M.gcc], ["valgrind", M.valgrind ?? "not installed"], ["cedar-wasm", r.cedarVersion], ["trajeckt", M.git],
    ["load average (1, 5, 15 min) at start / end", `${M.loadavgStart.join(", ")} / ${M.loadavgEnd.join(", ")}`], ["run time", `${r.elapsedS.toFixed(0)} s`],
  ]), "");
  if (Math.max(...M.loadavgStart, ...M.loadavgEnd) > M.cores)
    out.push(`The load average exceeded the ${M.cores} cores during this run: other processes shared the CPUs, so wall-clock tails (p99.9, compile wall time) include time the benchmark spent descheduled. The callgrind counts and the CPU times are not affected.`, "");
  return out.join("\n");
}

await main();
