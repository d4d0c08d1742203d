// Writer throughput: the real producer (native/ring/test/ring_fill.c, T
// threads of file.read records) against startAuditWriter draining into a log.
//   npx tsx test/audit/bench-writer.ts [threads=8] [records per thread=25000] [ring bytes=4194304]
//   (BATCH=<bytes> sets the writer's batchBytes)
// Prints records/s of the whole pipeline (ring → encode → sha256 → write), the
// writer's CPU per record (the producer's threads share the same CPUs), and
// how long verify takes on the log.

import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";

import { createRing } from "../../runtime/binding.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { startAuditWriter } from "../../runtime/audit/writer.js";
import { readFileSync } from "node:fs";
import { ringFill, tempDir, testPolicy } from "./support.js";

const threads = Number(process.argv[2] ?? 8);
const per = Number(process.argv[3] ?? 25000);
const size = Number(process.argv[4] ?? 4 << 20);

const dir = tempDir();
const log = join(dir, "bench.jsonl");
const policy = testPolicy();
const ring = createRing({ dataSize: size });
ring.configure({ mode: "enforce", ask: "deny", policyHash: Buffer.from(policy.info().hash, "hex"), writerFd: 3 });
const w = startAuditWriter({ ring, logPath: log, policy, run: { agentId: "bench", argv: ["ring_fill"], mode: "enforce", policyFile: "bench", backstop: { on: false } }, batchBytes: process.env["BATCH"] ? Number(process.env["BATCH"]) : undefined });
const bin = ringFill();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const child = spawn(bin, ["3", "flood", String(threads), String(per), policy.info().hash], { stdio: ["ignore", "inherit", "inherit", ring.fd] });
const code = await new Promise<number | null>((r) => child.on("exit", r));
const t1 = process.hrtime.bigint();
const s = await w.stop();
const t2 = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);
const secs = Number(t2 - t0) / 1e9;
const total = s.decisions + s.processes;
console.log(`producer exit ${code}; ${total} records in ${secs.toFixed(3)} s = ${Math.round(total / secs)} records/s (producer done after ${(Number(t1 - t0) / 1e9).toFixed(3)} s); log ${(statSync(log).size / 1e6).toFixed(1)} MB, ${Math.round(statSync(log).size / s.entries)} B/line`);
console.log(`writer cpu: user ${(cpu.user / 1e6).toFixed(3)} s, sys ${(cpu.system / 1e6).toFixed(3)} s = ${(((cpu.user + cpu.system) / total) * 1).toFixed(2)} µs/record`);
const t3 = process.hrtime.bigint();
const v = verifyLog(readFileSync(log, "utf8"));
console.log(`verify: ${v.ok ? "ok" : v.problems[0]?.message} (${v.entries} entries) in ${(Number(process.hrtime.bigint() - t3) / 1e9).toFixed(3)} s`);
ring.unmap();
