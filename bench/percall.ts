// Per-call cost of a monitored operation, side by side (issue 4, part 2).
//
//   tsx bench/percall.ts [--quick]      prints a table, writes bench/out/percall.json
//
// One C loop (bench/percall/percall.c) runs each operation N times under each
// mechanism, in interleaved rounds (A B C ... A B C ...) so that drift on a
// shared VM hits every mechanism alike. Mechanisms:
//   none       no monitor
//   enforce    `trajeckt run` as users run it: libtrajeckt.so + audit ring +
//              writer, enforce mode, kernel backstop on (Landlock + seccomp +
//              the seccomp supervisor for exec, connect, addressed sends)
//   library    the same with --backstop off: what the backstop itself costs
//   observe    enforce with --mode observe
//   strace     `strace -f -o /dev/null` (ptrace: what many agent tracers do)
//   notify     seccomp user notification, decisions by the same C core in a
//              supervisor process (bench/percall/notify-run.c)
//   landlock   Landlock alone (kernel floor, no decisions in user space, no audit)
// Every mechanism decides with bench/percall/percall.trj, under which every
// loop's operation is allowed (a denied call is cheaper and would flatter a monitor).
// Added cost = p50 (and p99) of the mechanism minus the same percentile of
// `none` in the same run. Extra syscalls per operation come from `strace -c -f`
// counts at two loop lengths: (count(N2) - count(N1)) / (N2 - N1), so start-up
// syscalls cancel out. strace cannot run under the backstop (its seccomp
// filter refuses ptrace, on purpose), so syscalls are counted with the
// backstop off; the backstop adds filters in the kernel, never a syscall.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, "out");
const QUICK = process.argv.includes("--quick");

export interface OpResult {
  op: string;
  n: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  mean: number;
  ok: number;
  fail: number;
  threads?: number;
  rss_kb?: number;
  hwm_kb?: number;
}

export interface PercallReport {
  ops: { op: string; arg: string; n: number }[];
  mechanisms: string[];
  unavailable: Record<string, string>;
  /** op → mechanism → median over rounds of each percentile */
  results: Record<string, Record<string, OpResult>>;
  /** op → mechanism → extra syscalls per operation vs none */
  extraSyscalls: Record<string, Record<string, number>>;
  rounds: number;
  /** openat with 2 threads at once: none vs enforce (median over rounds) */
  threads2: Record<string, OpResult>;
  /** VmRSS at the end of a 1,000-openat loop: none vs enforce, and the policy table's size */
  rss: { noneKb: number; enforceKb: number; policyBytes: number };
}

const CLOSED_PORT = "9"; // discard: closed on loopback here; checked below

function build(): void {
  mkdirSync(OUT, { recursive: true });
  const cc = (out: string, srcs: string[], inc: string[] = []) =>
    execFileSync("cc", ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", ...inc.map((i) => `-I${i}`), ...srcs, "-o", join(OUT, out)], { stdio: "inherit" });
  cc("percall", [join(BENCH, "percall/percall.c"), "-pthread"]);
  const core = execFileSync("sh", ["-c", `ls ${join(ROOT, "native/core")}/*.c`], { encoding: "utf8" }).trim().split("\n");
  cc("notify-run", [join(BENCH, "percall/notify-run.c"), ...core], [join(ROOT, "native/core")]);
  cc("landlock-run", [join(BENCH, "percall/landlock-run.c")], [join(ROOT, "native/include")]);
  execFileSync("make", ["-s", "-C", join(ROOT, "native/preload")], { stdio: "inherit" });
  execFileSync(process.execPath, [join(ROOT, "bin/trajeckt.js"), "compile", join(BENCH, "percall/percall.trj"), "--var", `BENCH_DIR=${OUT}`, "-o", join(OUT, "percall.trjb")], { stdio: "inherit" });
  writeFileSync(join(OUT, "percall-file.txt"), "bench\n");
}

function wrap(mech: string, argv: string[]): string[] {
  rmSync(join(OUT, `percall-${mech}.jsonl`), { force: true }); // a log holds one run
  const trajeckt = [process.execPath, join(ROOT, "bin/trajeckt.js"), "run", "--quiet", "--policy", join(OUT, "percall.trjb"), "--audit", join(OUT, `percall-${mech}.jsonl`)];
  switch (mech) {
    case "none":
      return argv;
    case "enforce":
      return [...trajeckt, "--", ...argv];
    case "library":
      return [...trajeckt, "--backstop", "off", "--", ...argv];
    case "observe":
      return [...trajeckt, "--mode", "observe", "--", ...argv];
    case "strace":
      return ["strace", "-f", "-o", "/dev/null", ...argv];
    case "notify":
      return [join(OUT, "notify-run"), join(OUT, "percall.trjb"), ...argv];
    case "landlock":
      return [join(OUT, "landlock-run"), CLOSED_PORT, ...argv];
    default:
      throw new Error(mech);
  }
}

function runOnce(mech: string, op: string, n: number, arg: string, threads = 1): OpResult {
  const [cmd, ...args] = wrap(mech, [join(OUT, "percall"), op, String(n), arg]);
  const r = spawnSync(cmd!, args, { encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, PERCALL_THREADS: String(threads) } });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) throw new Error(`${mech} ${op}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  const res = JSON.parse(line) as OpResult;
  if (res.fail > 0) throw new Error(`${mech} ${op}: ${res.fail}/${res.n} operations failed — the policy or the machine does not allow what the loop does`);
  return res;
}

/**
 * Syscalls the loop process itself made (strace -c, no -f, summary on
 * stderr). strace runs INSIDE the mechanism (as the monitored program, which
 * then execs the loop), so the launcher's own syscalls are not counted.
 */
function syscallCount(mech: string, op: string, n: number, arg: string): number {
  const inner = wrap(mech, ["strace", "-c", join(OUT, "percall"), op, String(n), arg]);
  if (mech === "enforce" || mech === "observe") inner.splice(inner.indexOf("--"), 0, "--backstop", "off"); // see the header: ptrace is refused under the backstop
  const r = spawnSync(inner[0]!, inner.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`strace -c ${mech} ${op}: ${r.stderr}`);
  const total = r.stderr.split("\n").find((l) => /\btotal$/.test(l.trim()));
  const cols = total?.trim().split(/\s+/) ?? [];
  // columns: % time, seconds, usecs/call, calls, [errors], total
  const calls = Number(cols[3]);
  if (!Number.isFinite(calls)) throw new Error(`cannot parse strace -c output:\n${r.stderr}`);
  return calls;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

export function runPercall(progress: (s: string) => void = (s) => process.stderr.write(s + "\n")): PercallReport {
  build();
  const scale = QUICK ? 0.1 : 1;
  const ops = [
    { op: "openat", arg: join(OUT, "percall-file.txt"), n: Math.round(50_000 * scale) },
    { op: "stat", arg: join(OUT, "percall-file.txt"), n: Math.round(50_000 * scale) },
    { op: "connect", arg: CLOSED_PORT, n: Math.round(20_000 * scale) },
    { op: "forkexec", arg: "/usr/bin/true", n: Math.round(300 * scale) },
    { op: "resolve", arg: "localhost", n: Math.round(5_000 * scale) },
  ];
  const mechanisms = ["none", "enforce", "library", "observe", "strace", "notify", "landlock"];
  const unavailable: Record<string, string> = {};
  for (const m of mechanisms) {
    try {
      runOnce(m, "null", 10, "");
    } catch (e) {
      unavailable[m] = (e as Error).message.split("\n")[0]!;
    }
  }
  const usable = mechanisms.filter((m) => !(m in unavailable));
  const rounds = QUICK ? 1 : 5;
  const samples: Record<string, Record<string, OpResult[]>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const { op, arg, n } of ops) {
      for (const m of usable) {
        // strace and notify are ~10-100x slower per call: fewer iterations, same distribution
        const slow = m === "strace" || m === "notify";
        const iters = Math.max(op === "forkexec" ? 20 : 200, slow ? Math.round(n / 10) : n);
        progress(`percall round ${round + 1}/${rounds}: ${op} under ${m} (${iters})`);
        ((samples[op] ??= {})[m] ??= []).push(runOnce(m, op, iters, arg));
      }
    }
  }
  const results: PercallReport["results"] = {};
  for (const [op, byMech] of Object.entries(samples)) {
    results[op] = {};
    for (const [m, rs] of Object.entries(byMech)) {
      results[op]![m] = {
        op,
        n: rs.reduce((a, r) => a + r.n, 0),
        p50: median(rs.map((r) => r.p50)),
        p90: median(rs.map((r) => r.p90)),
        p99: median(rs.map((r) => r.p99)),
        p999: median(rs.map((r) => r.p999)),
        mean: median(rs.map((r) => r.mean)),
        ok: rs.reduce((a, r) => a + r.ok, 0),
        fail: 0,
      };
    }
  }
  const extraSyscalls: PercallReport["extraSyscalls"] = {};
  for (const { op, arg } of QUICK ? ops.filter((o) => o.op === "openat") : ops) {
    const [n1, n2] = op === "forkexec" ? [20, 120] : [1000, 3000];
    const per = (m: string) => (syscallCount(m, op, n2, arg) - syscallCount(m, op, n1, arg)) / (n2 - n1);
    const base = per("none");
    extraSyscalls[op] = {};
    for (const m of ["enforce", "observe"].filter((x) => usable.includes(x))) {
      progress(`percall syscalls: ${op} under ${m}`);
      extraSyscalls[op]![m] = Math.round((per(m) - base) * 100) / 100;
    }
  }
  const file = join(OUT, "percall-file.txt");
  const t2: Record<string, OpResult[]> = { none: [], enforce: [] };
  for (let round = 0; round < rounds; round++) {
    for (const m of ["none", "enforce"].filter((x) => usable.includes(x))) {
      progress(`percall round ${round + 1}/${rounds}: openat, 2 threads, under ${m}`);
      t2[m]!.push(runOnce(m, "openat", Math.round(50_000 * scale), file, 2));
    }
  }
  const threads2: Record<string, OpResult> = {};
  for (const [m, rs] of Object.entries(t2)) {
    if (rs.length) threads2[m] = { ...rs[0]!, p50: median(rs.map((r) => r.p50)), p90: median(rs.map((r) => r.p90)), p99: median(rs.map((r) => r.p99)), p999: median(rs.map((r) => r.p999)), mean: median(rs.map((r) => r.mean)) };
  }
  progress("percall: resident memory, none vs enforce");
  const rssOf = (m: string) => median((QUICK ? [0] : [0, 1, 2]).map(() => runOnce(m, "openat", 1000, file).rss_kb ?? 0));
  const rss = { noneKb: rssOf("none"), enforceKb: usable.includes("enforce") ? rssOf("enforce") : 0, policyBytes: statSync(join(OUT, "percall.trjb")).size };
  return { ops, mechanisms: usable, unavailable, results, extraSyscalls, rounds, threads2, rss };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rep = runPercall();
  writeFileSync(join(OUT, "percall.json"), JSON.stringify(rep, null, 2));
  for (const [op, byMech] of Object.entries(rep.results)) {
    const none = byMech.none!;
    for (const [m, r] of Object.entries(byMech)) {
      console.log(`${op.padEnd(9)} ${m.padEnd(9)} p50 ${String(r.p50).padStart(9)} ns  p99 ${String(r.p99).padStart(9)} ns  added p50 ${String(r.p50 - none.p50).padStart(9)} ns  syscalls +${rep.extraSyscalls[op]?.[m] ?? "-"}`);
    }
  }
  if (Object.keys(rep.unavailable).length) console.log("unavailable:", rep.unavailable);
}
