// Cost of one policy.evaluate() from Node, marshalling and result included.
//
//   npx tsx bench/addon-eval.ts [policy.trjb | policy.trj] [actions.jsonl] [--calls N]
//
// With no policy, a built-in 10-rule policy is compiled. With no actions, a
// fixed mix (file.read, exec, net.connect, tool.call) is used. Each action is
// evaluated N times (default 1e6) in batches of BATCH calls; a batch's time /
// BATCH is one sample, minus the cost of timing an empty batch. Prints median
// and p99 ns per call for each action and for all of them together.

import { readFileSync } from "node:fs";

import { parseAction } from "../runtime/actions.js";
import { loadPolicy, type Action } from "../runtime/binding.js";

const BATCH = 10;

const BUILTIN = `policy "bench-10" version "1.0.0"
default deny
rule read_system: allow file.read if path under "/usr" or path under "/etc"
rule workspace:   allow file.* if path under "/home/user/project"
rule no_secrets:  deny file.* if path matches "**/.ssh/**" or path matches "**/*.pem" reason "credentials are off limits"
rule git:         allow exec if exe == "/usr/bin/git"
rule no_b64:      deny exec if cmdline =~ /base64\\s+(-d|--decode)/
rule pypi:        allow net.connect if host in ["pypi.org", "files.pythonhosted.org"] and port == 443
rule ssh:         ask net.connect if port == 22 timeout 30s
rule metadata:    deny net.connect, net.send if ip == 169.254.169.254
rule big_charge:  flag tool.call if tool == "stripe.charges.create" and args.amount > 1000
rule tools:       allow tool.call if tool == "stripe.charges.create"
`;

const DEFAULT_ACTIONS: Action[] = [
  { kind: "file.read", path: "/home/user/project/src/index.ts", pid: 4242 },
  { kind: "exec", exe: "/usr/bin/git", argv: ["git", "status", "--short"], pid: 4242 },
  { kind: "net.connect", ip: "151.101.0.223", port: 443, host: "pypi.org", family: "inet" },
  { kind: "tool.call", tool: "stripe.charges.create", args: { amount: 1200, currency: "usd" } },
];

function parseArgs(argv: string[]): { policy?: string; actions?: string; calls: number } {
  const out: { policy?: string; actions?: string; calls: number } = { calls: 1_000_000 };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--calls") out.calls = Number(argv[++i]);
    else rest.push(argv[i]!);
  }
  if (rest[0] !== undefined) out.policy = rest[0];
  if (rest[1] !== undefined) out.actions = rest[1];
  if (!Number.isInteger(out.calls) || out.calls < BATCH) throw new Error("--calls must be an integer >= " + BATCH);
  return out;
}

async function policyBytes(file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined && !file.endsWith(".trj") && !/\.ya?ml$/.test(file)) return readFileSync(file);
  const { compile } = await import("../compiler/index.js");
  const source = file === undefined ? BUILTIN : readFileSync(file, "utf8");
  const r = compile(source, { file: file ?? "bench-10.trj" });
  if (!r.ok || r.bytes === null) throw new Error(`cannot compile ${file ?? "the built-in policy"}: ${JSON.stringify(r.diagnostics)}`);
  return r.bytes;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function measure(fn: () => unknown, calls: number): Float64Array {
  const n = Math.floor(calls / BATCH);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    for (let j = 0; j < BATCH; j++) fn();
    samples[i] = ((performance.now() - t0) * 1e6) / BATCH;
  }
  return samples.sort();
}

const args = parseArgs(process.argv.slice(2));
const policy = loadPolicy(await policyBytes(args.policy));
const actions =
  args.actions === undefined
    ? DEFAULT_ACTIONS
    : readFileSync(args.actions, "utf8").split("\n").filter((l) => l.trim() !== "").map(parseAction);
const info = policy.info();
console.log(`policy ${info.name} ${info.version}: ${info.rules.length} rules, ${info.fields.length} fields; ${args.calls} calls per action, batches of ${BATCH}`);

// Warm up, and the cost of timing an empty batch (subtracted from every sample).
for (const a of actions) for (let i = 0; i < 100_000; i++) policy.evaluate(a);
let sink = 0;
const empty = measure(() => sink++, Math.min(args.calls, 1_000_000));
const overhead = quantile(empty, 0.5);

const all: number[] = [];
for (const a of actions) {
  const s = measure(() => policy.evaluate(a), args.calls);
  for (let i = 0; i < s.length; i++) s[i] = Math.max(0, s[i]! - overhead);
  s.sort();
  for (let i = 0; i < s.length; i += 10) all.push(s[i]!);
  const d = policy.evaluate(a);
  const label = `${a.kind} -> ${d.decision}${d.rule ? ` (${d.rule})` : ` (${d.reason})`}`;
  console.log(`${label.padEnd(48)} median ${quantile(s, 0.5).toFixed(0).padStart(5)} ns   p99 ${quantile(s, 0.99).toFixed(0).padStart(6)} ns`);
}
const total = Float64Array.from(all).sort();
console.log(`${"all".padEnd(48)} median ${quantile(total, 0.5).toFixed(0).padStart(5)} ns   p99 ${quantile(total, 0.99).toFixed(0).padStart(6)} ns`);
if (sink < 0) console.log(sink);
