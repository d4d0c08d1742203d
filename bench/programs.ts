// Whole programs with and without the monitor (issue 4, part 4).
//
//   tsx bench/programs.ts [--quick]     prints a table, writes bench/out/programs.json
//
// Workloads (each a real program run as `trajeckt run` would run an agent):
//   git-status   `git status` in a generated 10,000-file repository
//   find         `find` over the same tree
//   python       python3 importing a large slice of the standard library
//   node-test    a node script shaped like `npm test`: 20 child processes + 1,000 file writes/reads
//   tar          `tar -cf` of the tree
// Method: hyperfine-style, without needing hyperfine. An agent runs its tools
// inside one long monitored session, so that is what is timed: a session is
// bench/programs/timeit.c running the workload RUNS times in a row (fork,
// exec, wait; each run timed from inside) after a 0.5 s settle and one
// untimed warm-up run. Plain session = `timeit ... prog`; monitored session =
// `trajeckt run --policy programs.trjb -- timeit ... prog`, so the ratio is
// what the monitor costs the program (library, decisions, kernel backstop,
// audit ring, writer running alongside). ROUNDS plain and monitored sessions
// alternate so drift hits both; report medians and the ratio with a 95 %
// bootstrap interval over the runs. The launcher's own start-up (Node,
// compile, verify, spawn) is a fixed cost per agent, reported on its own line
// (`launcher`: `trajeckt run -- true` vs `true`, timed around the spawn). A
// fresh `trajeckt run` per workload run would also time the launcher's Node
// start-up competing for the CPUs with the workload (+20–70 ms on 2 cores).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, "out");
const WS = join(OUT, "ws");
const QUICK = process.argv.includes("--quick");

export interface ProgramResult {
  name: string;
  runs: number;
  plainMs: number;
  monitoredMs: number;
  ratio: number;
  ratioLo: number;
  ratioHi: number;
  decisions: number | null;
}

function sh(cmd: string, args: string[], cwd = WS): void {
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
}

function setup(files: number): void {
  const repo = join(WS, "repo");
  if (existsSync(join(repo, ".git")) && existsSync(join(repo, `d${Math.floor((files - 1) / 100)}`))) return;
  mkdirSync(repo, { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = join(repo, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(4));
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" };
  execFileSync("git", ["init", "-q"], { cwd: repo });
  execFileSync("git", ["add", "-A"], { cwd: repo });
  execFileSync("git", ["commit", "-qm", "bench"], { cwd: repo, env });
  writeFileSync(
    join(WS, "node-test.mjs"),
    `import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
const d = process.argv[2];
rmSync(d, { recursive: true, force: true });
mkdirSync(d, { recursive: true });
for (let i = 0; i < 1000; i++) writeFileSync(d + "/t" + i + ".js", "export const x = " + i + ";\\n");
let s = 0;
for (let i = 0; i < 1000; i++) s += readFileSync(d + "/t" + i + ".js", "utf8").length;
for (let i = 0; i < 20; i++) execFileSync(process.execPath, ["-e", "process.exit(0)"]);
console.log(s);
`,
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function bootstrap(plain: number[], mon: number[]): [number, number] {
  const ratios: number[] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let b = 0; b < 2000; b++) {
    const p: number[] = [];
    const m: number[] = [];
    for (let i = 0; i < plain.length; i++) {
      const k = Math.floor(rnd() * plain.length);
      p.push(plain[k]!);
      m.push(mon[k]!);
    }
    ratios.push(median(m) / median(p));
  }
  ratios.sort((a, b) => a - b);
  return [ratios[Math.floor(0.025 * ratios.length)]!, ratios[Math.floor(0.975 * ratios.length)]!];
}

/** Quiet time before a session's first run: the launcher's Node process finishes starting. */
const SETTLE_MS = 500;

function spawnOk(argv: string[], cwd: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stderr ?? "").slice(-2000)}`);
}

/** One timeit session (plain, or wrapped in `trajeckt run`): the wall ms of each timed run, from its -o file. */
function sessionMs(argv: string[], cwd: string, times: string): number[] {
  rmSync(times, { force: true });
  spawnOk(argv, cwd);
  const ms = readFileSync(times, "utf8").trim().split("\n").map((l) => Number(l) / 1e6);
  if (ms.length === 0 || ms.some((x) => !Number.isFinite(x))) throw new Error(`timeit wrote no times for ${argv.join(" ")}`);
  return ms;
}

/** Wall ms around a whole spawn (the launcher row). */
function outerMs(argv: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  spawnOk(argv, cwd);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function runPrograms(progress: (s: string) => void = (s) => process.stderr.write(s + "\n")): ProgramResult[] {
  mkdirSync(WS, { recursive: true });
  progress("programs: generating a 10,000-file git repository");
  setup(10_000);
  // The system python3 where there is one: a version manager's shim on PATH (pyenv)
  // is a shell script that runs more programs, which would be a different workload.
  const python = realpathSync(existsSync("/usr/bin/python3") ? "/usr/bin/python3" : execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim());
  const node = realpathSync(process.execPath);
  const trjb = join(OUT, "programs.trjb");
  execFileSync(process.execPath, [join(ROOT, "bin/trajeckt.js"), "compile", join(BENCH, "programs/programs.trj"), "--var", `WS=${WS}`, "--var", `PYTHON=${python}`, "--var", `NODE=${node}`, "--var", `BENCH=${OUT}`, "--var", `GITCONFIG=${join(homedir(), ".gitconfig")}`, "--var", `GITCONFIG_DIR=${join(homedir(), ".config", "git")}`, "-o", trjb], { stdio: "inherit" });
  const repo = join(WS, "repo");
  const timeit = join(OUT, "timeit");
  execFileSync("cc", ["-O2", "-Wall", "-Wextra", "-Werror", join(BENCH, "programs/timeit.c"), "-o", timeit]);
  const workloads: { name: string; argv: string[] }[] = [
    { name: "git-status", argv: ["git", "status", "--porcelain"] },
    { name: "find", argv: ["find", ".", "-name", "*.txt"] },
    { name: "python", argv: [python, "-c", "import json, email.parser, http.client, xml.dom.minidom, asyncio, decimal, sqlite3, unittest, argparse, logging, csv, pathlib, subprocess, tarfile, zipfile"] },
    { name: "node-test", argv: [node, join(WS, "node-test.mjs"), join(WS, "node-test-out")] },
    { name: "tar", argv: ["tar", "-cf", join(WS, "repo.tar"), "."] },
  ];
  // Each session runs the workload RUNS times after a settle and a warm-up run
  // (see the header); ROUNDS sessions of each kind, interleaved.
  const [ROUNDS, RUNS] = QUICK ? [1, 3] : [3, 5];
  const pairs = ROUNDS * RUNS;
  const results: ProgramResult[] = [];
  for (const w of QUICK ? workloads.filter((x) => x.name === "git-status" || x.name === "python") : workloads) {
    const audit = join(OUT, `programs-${w.name}.jsonl`);
    const times = join(WS, `programs-${w.name}.times`);
    const session = [timeit, "-n", String(RUNS), "-w", "1", "-s", String(SETTLE_MS), "-o", times, ...w.argv];
    const mon = [process.execPath, join(ROOT, "bin/trajeckt.js"), "run", "--quiet", "--policy", trjb, "--audit", audit, "--", ...session];
    const p: number[] = [];
    const m: number[] = [];
    let decisions: number | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      progress(`programs: ${w.name} round ${round + 1}/${ROUNDS}: ${RUNS} runs plain, ${RUNS} under trajeckt run`);
      p.push(...sessionMs(session, repo, times));
      rmSync(audit, { force: true }); // a log holds one run
      m.push(...sessionMs(mon, repo, times));
      const lines = readFileSync(audit, "utf8").split("\n").length - 1;
      decisions = Math.round((lines - 2) / (RUNS + 1)); // minus run.start and run.end; per workload run (timeit's own few included)
    }
    const [lo, hi] = bootstrap(p, m);
    results.push({ name: w.name, runs: pairs, plainMs: median(p), monitoredMs: median(m), ratio: median(m) / median(p), ratioLo: lo, ratioHi: hi, decisions });
  }
  // the launcher's fixed cost: whole spawn of `trajeckt run -- true` vs `true`
  const p: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < pairs; i++) {
    progress(`programs: launcher start-up pair ${i + 1}/${pairs}`);
    p.push(outerMs(["/usr/bin/true"], repo));
    rmSync(join(OUT, "programs-launcher.jsonl"), { force: true });
    m.push(outerMs([process.execPath, join(ROOT, "bin/trajeckt.js"), "run", "--quiet", "--policy", trjb, "--audit", join(OUT, "programs-launcher.jsonl"), "--", "/usr/bin/true"], repo));
  }
  const [lo, hi] = bootstrap(p, m);
  results.push({ name: "launcher", runs: pairs, plainMs: median(p), monitoredMs: median(m), ratio: median(m) / median(p), ratioLo: lo, ratioHi: hi, decisions: null });
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rs = runPrograms();
  writeFileSync(join(OUT, "programs.json"), JSON.stringify(rs, null, 2));
  for (const r of rs) {
    console.log(`${r.name.padEnd(11)} plain ${r.plainMs.toFixed(1).padStart(8)} ms  monitored ${r.monitoredMs.toFixed(1).padStart(8)} ms  ratio ${r.ratio.toFixed(3)} [${r.ratioLo.toFixed(3)}, ${r.ratioHi.toFixed(3)}]  decisions ${r.decisions ?? "?"}`);
  }
}
