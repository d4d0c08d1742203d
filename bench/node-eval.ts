// Child process of bench/run.ts: decision cost from Node, trajeckt's addon and
// Cedar (cedar-wasm) side by side, in a fresh process (no compiler garbage on
// the heap). Reads a job file (JSON, NodeJob below), prints one JSON result.
//
//   tsx bench/node-eval.ts <job.json>
//
// trajeckt: policy.evaluate(action), round-robin over the mix. One sample = one
//   pass over the mix timed with process.hrtime.bigint(), divided by the calls in
//   it, minus the median cost of timing an empty pass. Median and p99 are over
//   passes; `calls` decisions in all, after a warm-up.
// Cedar: isAuthorized (stateless: parses the policy text on every call, which
//   is what that API does) and statefulIsAuthorized (policy set preparsed once).
//   Each call takes tens of microseconds or more, so each call is timed on its
//   own; passes are also summed so both engines report the same statistic.
//   Runs for a time budget rather than a call count.
// Gateway: the same policy in a Node daemon (bench/gateway-daemon.ts) asked
//   over a unix socket, one JSON line each way, one request in flight (a
//   hooked call waits for its answer). Each round trip timed alone, for the
//   Cedar time budget.
// Before any timing, every action of a Cedar mix is decided by both engines (and
// both Cedar APIs) and compared with the expected decision; any disagreement
// fails the run.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

import { loadPolicy, type Action, type Policy } from "../runtime/binding.js";
import { toCedarRequest, type Decision, type MixAction } from "./gen.js";

export interface NodeJob {
  calls: number; // trajeckt decisions per measurement
  cedarBudgetMs: number; // per Cedar measurement
  loads: number; // loadPolicy repetitions
  trj: { id: string; file: string; mix: MixAction[] }[];
  cedar: { id: string; trjFile: string; policies: string; mix: MixAction[] }[];
}

export interface Dist {
  median: number;
  p99: number;
  mean: number;
  samples: number;
  calls: number;
}

export interface TrjResult {
  id: string;
  loadPolicyMs: { min: number; median: number; runs: number };
  perCall: Dist; // pass / calls-per-pass
  perAction: { label: string; decision: string; rule: string | null; medianNs: number }[];
  emptyPassNs: number;
}

export interface CedarResult {
  id: string;
  rules: number;
  agree: { label: string; expect: Decision; trajeckt: string; cedar: string; cedarStateful: string }[];
  trajeckt: Dist;
  stateless: Dist & { perCallMedian: number; perCallP99: number };
  stateful: (Dist & { perCallMedian: number; perCallP99: number }) | null;
  /** the same policy asked of a Node daemon over a unix socket, per round trip */
  gateway: (Dist & { perCallMedian: number; perCallP99: number }) | null;
}

const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as NodeJob;
const log = (s: string): void => void process.stderr.write(`  node: ${s}\n`);

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function dist(perCall: Float64Array, calls: number): Dist {
  const s = Float64Array.from(perCall).sort();
  let sum = 0;
  for (const x of s) sum += x;
  return { median: quantile(s, 0.5), p99: quantile(s, 0.99), mean: sum / s.length, samples: s.length, calls };
}

/** Cost of timing one empty pass of n calls of a trivial function (median of many). */
function emptyPass(n: number): number {
  const xs = [() => 0];
  let sink = 0;
  const f = xs[0]!;
  const s = new Float64Array(20_000);
  for (let k = 0; k < s.length; k++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < n; j++) sink += f();
    s[k] = Number(process.hrtime.bigint() - t0);
  }
  if (sink < 0) log(String(sink));
  return quantile(s.sort(), 0.5);
}

/** trajeckt: passes over the mix; per-call = (pass - empty) / n. */
function timeTrj(policy: Policy, actions: Action[], calls: number): { d: Dist; empty: number } {
  const n = actions.length;
  const passes = Math.max(10, Math.floor(calls / n));
  for (let k = 0; k < Math.max(2000, passes / 10); k++) for (let j = 0; j < n; j++) policy.evaluate(actions[j]!);
  const empty = emptyPass(n);
  const s = new Float64Array(passes);
  for (let k = 0; k < passes; k++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < n; j++) policy.evaluate(actions[j]!);
    s[k] = Math.max(0, Number(process.hrtime.bigint() - t0) - empty) / n;
  }
  return { d: dist(s, passes * n), empty };
}

/** One action alone, in batches of 10. */
function timeOne(policy: Policy, a: Action, calls: number): number {
  const B = 10;
  const s = new Float64Array(Math.max(10, Math.floor(calls / B)));
  for (let k = 0; k < s.length; k++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < B; j++) policy.evaluate(a);
    s[k] = Number(process.hrtime.bigint() - t0) / B;
  }
  return quantile(s.sort(), 0.5);
}

/** Cedar: every call timed alone, for a time budget; passes summed too. */
function timeCedar(call: (j: number) => void, n: number, budgetMs: number): Dist & { perCallMedian: number; perCallP99: number } {
  const per: number[] = [];
  const passes: number[] = [];
  const warmEnd = performance.now() + Math.min(500, budgetMs / 10);
  do for (let j = 0; j < n; j++) call(j);
  while (performance.now() < warmEnd);
  const end = performance.now() + budgetMs;
  do {
    let pass = 0;
    for (let j = 0; j < n; j++) {
      const t0 = process.hrtime.bigint();
      call(j);
      const dt = Number(process.hrtime.bigint() - t0);
      per.push(dt);
      pass += dt;
    }
    passes.push(pass / n);
  } while (performance.now() < end);
  const d = dist(Float64Array.from(passes), per.length);
  const ps = Float64Array.from(per).sort();
  return { ...d, perCallMedian: quantile(ps, 0.5), perCallP99: quantile(ps, 0.99) };
}

/**
 * Start the gateway daemon on `trjFile`; returns ask(action) → decision (one
 * request in flight) and stop(). Every round trip is a real socket write, a
 * JSON parse and evaluate() in the daemon, and a reply read here.
 */
async function startGateway(trjFile: string, id: string): Promise<{ ask(a: Action): Promise<string>; stop(): void }> {
  const sockPath = join(tmpdir(), `trajeckt-bench-gateway-${process.pid}-${id}.sock`);
  const daemon = spawn(process.execPath, ["--import", "tsx", join(dirname(fileURLToPath(import.meta.url)), "gateway-daemon.ts"), trjFile, sockPath], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    daemon.stdout.once("data", () => resolve());
    daemon.once("exit", (code) => reject(new Error(`gateway daemon exited (${code}) before it listened`)));
  });
  const sock = createConnection(sockPath);
  await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  sock.setEncoding("utf8");
  let buf = "";
  let waiting: ((line: string) => void) | null = null;
  sock.on("data", (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf("\n");
    if (nl !== -1 && waiting) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting;
      waiting = null;
      w(line);
    }
  });
  return {
    ask: (a) => new Promise<string>((resolve) => {
      waiting = (line) => resolve((JSON.parse(line) as { decision: string }).decision);
      sock.write(JSON.stringify(a) + "\n");
    }),
    stop: () => { sock.destroy(); daemon.kill("SIGTERM"); },
  };
}

/** Gateway round trips, each timed alone, for a time budget (the Cedar method). */
async function timeGateway(ask: (a: Action) => Promise<string>, actions: Action[], budgetMs: number): Promise<Dist & { perCallMedian: number; perCallP99: number }> {
  const per: number[] = [];
  const passes: number[] = [];
  const warmEnd = performance.now() + Math.min(500, budgetMs / 10);
  do for (const a of actions) await ask(a);
  while (performance.now() < warmEnd);
  const end = performance.now() + budgetMs;
  do {
    let pass = 0;
    for (const a of actions) {
      const t0 = process.hrtime.bigint();
      await ask(a);
      const dt = Number(process.hrtime.bigint() - t0);
      per.push(dt);
      pass += dt;
    }
    passes.push(pass / actions.length);
  } while (performance.now() < end);
  const d = dist(Float64Array.from(passes), per.length);
  const ps = Float64Array.from(per).sort();
  return { ...d, perCallMedian: quantile(ps, 0.5), perCallP99: quantile(ps, 0.99) };
}

function cedarDecision(a: cedar.AuthorizationAnswer, what: string): Decision {
  if (a.type !== "success") throw new Error(`${what}: cedar failed: ${JSON.stringify(a.errors).slice(0, 400)}`);
  if (a.response.diagnostics.errors.length > 0) throw new Error(`${what}: cedar policy errors: ${JSON.stringify(a.response.diagnostics.errors).slice(0, 400)}`);
  return a.response.decision;
}

const out: { trj: TrjResult[]; cedar: CedarResult[]; cedarVersion: string; failures: string[] } = {
  trj: [],
  cedar: [],
  cedarVersion: cedar.getCedarVersion(),
  failures: [],
};

function load(file: string, runs: number): { policy: Policy; ms: TrjResult["loadPolicyMs"] } {
  const bytes = readFileSync(file);
  const t: number[] = [];
  let policy: Policy | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    policy = loadPolicy(bytes);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return { policy: policy!, ms: { min: t[0]!, median: t[Math.floor(t.length / 2)]!, runs } };
}

for (const j of job.trj) {
  log(`trajeckt evaluate() ${j.id}`);
  const { policy, ms } = load(j.file, job.loads);
  const actions = j.mix.map((m) => m.action);
  const { d, empty } = timeTrj(policy, actions, job.calls);
  const perAction = j.mix.map((m) => {
    const r = policy.evaluate(m.action);
    if (r.decision !== m.expect) out.failures.push(`${j.id}: ${m.label}: trajeckt decides ${r.decision}, expected ${m.expect}`);
    return { label: m.label, decision: r.decision, rule: r.rule, medianNs: timeOne(policy, m.action, Math.max(1000, job.calls / 20)) };
  });
  out.trj.push({ id: j.id, loadPolicyMs: ms, perCall: d, perAction, emptyPassNs: empty });
}

for (const c of job.cedar) {
  log(`cedar vs trajeckt ${c.id}: checking decisions`);
  const policy = loadPolicy(readFileSync(c.trjFile));
  const psetId = `bench-${c.id}`;
  const pre = cedar.preparsePolicySet(psetId, { staticPolicies: c.policies });
  if (pre.type !== "success") throw new Error(`cedar cannot parse the ${c.id} policy set: ${JSON.stringify(pre.errors).slice(0, 400)}`);
  const principal = { type: "Agent", id: "agent-1" };
  const resource = { type: "Target", id: "t" };
  const reqs = c.mix.map((m) => toCedarRequest(m.action));
  const stateless = reqs.map((r) => ({
    principal,
    action: { type: "Action", id: r.action },
    resource,
    context: r.context as cedar.Context,
    policies: { staticPolicies: c.policies },
    entities: [] as cedar.Entities,
  }));
  const stateful = reqs.map((r) => ({
    principal,
    action: { type: "Action", id: r.action },
    resource,
    context: r.context as cedar.Context,
    preparsedPolicySetId: psetId,
    entities: [] as cedar.Entities,
  }));
  const agree = c.mix.map((m, i) => {
    const t = policy.evaluate(m.action).decision;
    const s = cedarDecision(cedar.isAuthorized(stateless[i]!), m.label);
    const f = cedarDecision(cedar.statefulIsAuthorized(stateful[i]!), m.label);
    if (t !== m.expect || s !== m.expect || f !== m.expect)
      out.failures.push(`${c.id}: ${m.label}: expected ${m.expect}, trajeckt ${t}, cedar isAuthorized ${s}, statefulIsAuthorized ${f}`);
    return { label: m.label, expect: m.expect, trajeckt: t, cedar: s, cedarStateful: f };
  });
  if (out.failures.length > 0) break; // never time engines that disagree
  const rules = (c.policies.match(/^@id\(/gm) ?? []).length;
  log(`cedar vs trajeckt ${c.id}: trajeckt evaluate()`);
  const trj = timeTrj(policy, c.mix.map((m) => m.action), job.calls).d;
  log(`cedar vs trajeckt ${c.id}: cedar isAuthorized (stateless), ${job.cedarBudgetMs} ms`);
  const sl = timeCedar((j) => void cedar.isAuthorized(stateless[j]!), c.mix.length, job.cedarBudgetMs);
  log(`cedar vs trajeckt ${c.id}: cedar statefulIsAuthorized, ${job.cedarBudgetMs} ms`);
  const sf = typeof cedar.statefulIsAuthorized === "function"
    ? timeCedar((j) => void cedar.statefulIsAuthorized(stateful[j]!), c.mix.length, job.cedarBudgetMs)
    : null;
  log(`gateway (Node daemon over a unix socket) ${c.id}: checking decisions, then ${job.cedarBudgetMs} ms`);
  const gw = await startGateway(c.trjFile, c.id);
  let gateway: CedarResult["gateway"] = null;
  try {
    const actions = c.mix.map((m) => m.action);
    for (const [i, a] of actions.entries()) {
      const d = await gw.ask(a);
      if (d !== c.mix[i]!.expect) out.failures.push(`${c.id}: ${c.mix[i]!.label}: the gateway daemon decides ${d}, expected ${c.mix[i]!.expect}`);
    }
    if (out.failures.length === 0) gateway = await timeGateway(gw.ask, actions, job.cedarBudgetMs);
  } finally {
    gw.stop();
  }
  out.cedar.push({ id: c.id, rules, agree, trajeckt: trj, stateless: sl, stateful: sf, gateway });
}

process.stdout.write(JSON.stringify(out) + "\n");
