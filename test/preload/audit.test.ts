// The audit channel, producer side: libtrajeckt.so writes one record per
// decision into the ring named by TRAJECKT_AUDIT_FD (native/ring/trj_ring.h)
// before the call proceeds, and denies everything when it cannot. The test
// harness (run_with_policy.c) creates the ring as a file (--ring) and never
// drains it, so after a run the file holds every record from position 0.

import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRecords, parseRingHeader, readRingFile, type AuditRecord, type RingHeader } from "../../runtime/audit/records.js";
import { buildHarness, buildPreload, compilePolicy, LIB, PRELOAD_OUT, realPath, runUnder } from "./support.js";

// Our own copy of the harness: preload.test.ts builds its own at the same time.
const HARNESS = join(PRELOAD_OUT, "test/audit/run_with_policy");

// Records are decoded with the product decoder (runtime/audit/records.ts):
// the harness never drains its ring, so readRingFile sees every record.

type Rec = AuditRecord;

function readRing(file: string): Rec[] {
  return readRingFile(file);
}

/** xs[i], failing the test when it is missing. */
function nth<T>(xs: T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`no element ${i} in ${xs.length}`);
  return x;
}

function ringHeader(file: string): RingHeader {
  return parseRingHeader(readFileSync(file).subarray(0, 4096));
}

function byProc(recs: Rec[]): Map<number, Rec[]> {
  const m = new Map<number, Rec[]>();
  for (const r of recs) m.set(r.proc, [...(m.get(r.proc) ?? []), r]);
  return m;
}

function expectContiguous(recs: Rec[]): void {
  for (const [proc, rs] of byProc(recs)) {
    expect([proc, rs.map((r) => r.seq).sort((a, b) => a - b)]).toEqual([proc, rs.map((_, i) => i)]);
    const first = rs.find((r) => r.seq === 0)!;
    if (!first.vfork) expect([proc, first.kind]).toEqual([proc, "proc.start"]);
  }
}

// ---- fixture -----------------------------------------------------------------

let tmp = "";
let WS = "";
let POLICY = "";
let n = 0;

const RULES = ["read_system", "devices", "workspace", "no_secrets", "asked", "tools"];

function realPython(): string {
  return realPath("/usr/bin/python3");
}

function policySource(): string {
  const tools = ["cat", "bash", "true", "sleep"].map((t) => `"/usr/bin/${t}"`).join(", ");
  return `policy "audit-test" version "1.0.0"
default deny
const WS = env("WS", "/nonexistent")
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys", "/dev"]
rule read_system: allow file.read if path under system
rule devices:     allow file.write if path == "/dev/null" or path == "/dev/tty"
rule workspace:   allow file.read, file.write, file.create, file.delete, file.meta, dir.create if path under WS
rule no_secrets:  deny file.*, dir.create if path matches "**/secret*"  reason "credentials"
rule asked:       ask file.read if path matches "**/ask*" timeout 1s
rule tools:       allow exec if exe in [${tools}, "${realPython()}"]
`;
}

function ringFile(): string {
  return join(tmp, `ring-${++n}`);
}

function run(argv: string[], harness: string[] = []): SpawnSyncReturns<string> {
  return runUnder(HARNESS, POLICY, argv, { cwd: WS, harness });
}

/** The same, without blocking the event loop (a Node broker must answer meanwhile). */
function runAsync(argv: string[], harness: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(HARNESS, [...harness, LIB, POLICY, ...argv], {
      cwd: WS, env: { PATH: "/usr/bin:/bin", HOME: WS }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

beforeAll(() => {
  buildPreload();
  buildHarness(HARNESS);
  tmp = mkdtempSync(join(tmpdir(), "trj-audit-"));
  WS = join(tmp, "ws");
  mkdirSync(WS, { recursive: true });
  writeFileSync(join(WS, "a.txt"), "hello\n");
  writeFileSync(join(WS, "b.txt"), "bee\n");
  writeFileSync(join(WS, "secret.txt"), "s3cret\n");
  writeFileSync(join(WS, "ask.txt"), "asked for\n");
  POLICY = compilePolicy(join(tmp, "audit.trjb"), policySource(), { WS });
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- records -------------------------------------------------------------------

describe("every decision is recorded before the call proceeds", () => {
  it("records_every_decision_of_a_cat_run_with_its_rule_and_outcome", () => {
    const ring = ringFile();
    const r = run(["cat", "a.txt", "secret.txt"], ["--ring", ring]);
    expect(r.stdout).toBe("hello\n");
    expect(r.stderr).toContain("secret.txt: Permission denied");
    const recs = readRing(ring);
    expect(recs.map((x) => x.kind)).toEqual(["proc.start", "file.read", "file.read"]);
    const [start, a, s] = [nth(recs, 0), nth(recs, 1), nth(recs, 2)];
    expect(start.fields.exe).toBe("/usr/bin/cat");
    expect(start.fields.note).toBe("exec");
    expect(start.fields.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect([a.fields.path, a.decision, a.verdict, a.cause, RULES[a.rule]]).toEqual([join(WS, "a.txt"), "allow", "allow", "policy", "workspace"]);
    expect([s.fields.path, s.decision, s.verdict, s.cause, RULES[s.rule]]).toEqual([join(WS, "secret.txt"), "deny", "deny", "policy", "no_secrets"]);
    for (const x of recs) {
      expect(x.pid).toBe(start.pid);
      expect(x.tid).toBe(start.pid);
      expect(x.proc).toBe(start.proc);
    }
    expect(recs.map((x) => x.seq)).toEqual([0, 1, 2]);
    const now = BigInt(Date.now()) * 1_000_000n;
    expect(now - a.timeNs < 60_000_000_000n && a.timeNs <= now).toBe(true);
    expect(a.evalNs).toBeGreaterThan(0);
  });

  it("records_exec_with_exe_argc_and_every_argv_element", () => {
    const ring = ringFile();
    const r = run(["bash", "-c", "cat a.txt 'two words' ''"], ["--ring", ring]);
    expect(r.stdout).toBe("hello\n");
    const ex = readRing(ring).filter((x) => x.kind === "exec");
    expect(ex.length).toBe(1);
    expect(nth(ex, 0).fields.exe).toBe("/usr/bin/cat");
    expect(nth(ex, 0).fields.argc).toBe(4);
    expect(nth(ex, 0).fields.argv).toEqual(["cat", "a.txt", "two words", ""]);
    expect([nth(ex, 0).decision, RULES[nth(ex, 0).rule]]).toEqual(["allow", "tools"]);
  });

  it("cuts_a_huge_argv_to_fit_the_record_and_marks_it_truncated", () => {
    const ring = ringFile();
    const big = "0".repeat(100_000); // 5 of them: 500 KB of argv, the record holds 256 KiB
    const r = run(["bash", "-c", 'b=$(printf "%0100000d" 0); cat a.txt $b $b $b $b $b >/dev/null 2>&1; true'], ["--ring", ring]);
    expect(r.status).toBe(0);
    const ex = readRing(ring).filter((x) => x.kind === "exec");
    expect(ex.length).toBe(1);
    const h = ringHeader(ring);
    const recs = readRing(ring);
    expect(nth(ex, 0).fields.argc).toBe(7);
    expect(nth(ex, 0).fields.truncated).toEqual(["argv"]);
    const argv = nth(ex, 0).fields.argv as string[];
    expect(argv.slice(0, 4)).toEqual(["cat", "a.txt", big, big]);
    expect(argv.length).toBe(5);
    expect(nth(argv, 4).length).toBeLessThan(big.length);
    // the exec record is about 256 KiB (the limit), the others are small
    expect(Number(h.head)).toBeGreaterThan(256 * 1024);
    expect(Number(h.head)).toBeLessThan(256 * 1024 + 4096 * recs.length);
  });

  it("gives_each_process_image_its_own_proc_with_contiguous_seq_from_a_proc_start", () => {
    const ring = ringFile();
    const r = run(["bash", "-c", "cat a.txt; (cat b.txt); true"], ["--ring", ring]);
    expect(r.stdout).toBe("hello\nbee\n");
    const recs = readRing(ring);
    expectContiguous(recs);
    const starts = recs.filter((x) => x.kind === "proc.start");
    // bash, fork+exec cat, the subshell (fork), its cat (exec)
    expect(starts.map((x) => x.fields.note)).toEqual(["exec", "fork", "exec", "fork", "exec"]);
    expect(new Set(starts.map((x) => x.proc)).size).toBe(starts.length);
    const reads = recs.filter((x) => x.kind === "file.read" && typeof x.fields.path === "string" && x.fields.path.startsWith(WS));
    expect(reads.map((x) => x.fields.path)).toEqual([join(WS, "a.txt"), join(WS, "b.txt")]);
    expect(nth(reads, 0).proc).not.toBe(nth(reads, 1).proc);
    // a fork child names its parent
    expect(nth(starts, 1).fields.ppid).toBe(nth(starts, 0).pid);
  });

  it("gives_python_fork_children_their_own_proc", () => {
    const ring = ringFile();
    const py = [
      "import os",
      "pid = os.fork()",
      "if pid == 0:",
      "    open('b.txt').read(); os._exit(0)",
      "os.waitpid(pid, 0)",
      "open('a.txt').read()",
    ].join("\n");
    const r = run(["python3", "-c", py], ["--ring", ring]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const recs = readRing(ring);
    expectContiguous(recs);
    const a = recs.find((x) => x.fields.path === join(WS, "a.txt"))!;
    const b = recs.find((x) => x.fields.path === join(WS, "b.txt"))!;
    expect(a.proc).not.toBe(b.proc);
    expect(b.pid).not.toBe(a.pid);
    const childStart = recs.find((x) => x.proc === b.proc && x.seq === 0)!;
    expect([childStart.kind, childStart.fields.note, childStart.fields.ppid]).toEqual(["proc.start", "fork", a.pid]);
  });

  it("keeps_children_recording_when_python_closes_the_audit_fd", () => {
    const ring = ringFile();
    const py = "import subprocess; subprocess.run(['cat', 'a.txt'], close_fds=True, check=True)";
    const r = run(["python3", "-c", py], ["--ring", ring]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "hello\n", ""]);
    const recs = readRing(ring);
    const read = recs.find((x) => x.fields.path === join(WS, "a.txt"));
    expect(read?.decision).toBe("allow");
    const catStart = recs.find((x) => x.proc === read!.proc && x.seq === 0);
    expect([catStart?.kind, catStart?.fields.exe]).toEqual(["proc.start", "/usr/bin/cat"]);
    // python's _posixsubprocess execs from a vfork child: a one-off proc, flagged
    const ex = recs.find((x) => x.kind === "exec" && x.fields.exe === "/usr/bin/cat")!;
    expect(ex.vfork).toBe(true);
    expect([ex.seq, ex.fields.note]).toEqual([0, "vfork-child"]);
  });
});

// ---- fail closed ------------------------------------------------------------------

describe("no audit channel, no calls", () => {
  it("denies_every_call_without_an_audit_fd_and_says_so_once", () => {
    const r = run(["cat", "a.txt"], ["--no-ring"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("trajeckt: audit channel unavailable: TRAJECKT_AUDIT_FD is not set\ncat: a.txt: Permission denied\n");
    expect(r.status).not.toBe(0);
  });

  it("denies_every_call_when_the_audit_fd_is_not_a_ring", () => {
    const r = spawnSync(HARNESS, ["--no-ring", LIB, POLICY, "cat", "a.txt"], {
      encoding: "utf8", cwd: WS, env: { PATH: "/usr/bin:/bin", TRAJECKT_AUDIT_FD: "0" },
      stdio: [ "pipe", "pipe", "pipe" ], input: "",
    });
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("trajeckt:"))).toEqual([
      "trajeckt: audit channel unavailable: TRAJECKT_AUDIT_FD is not an audit ring (magic, version or sizes)",
    ]);
    expect(r.stderr).toContain("a.txt: Permission denied");
  });

  it("denies_every_call_when_the_writer_has_closed_the_ring", () => {
    const ring = ringFile();
    const r = run(["cat", "a.txt"], ["--ring", ring, "--writer-state", "closed"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("a.txt: Permission denied");
    expect(readRing(ring)).toEqual([]);
  });

  it("denies_opens_once_the_writer_process_is_dead", async () => {
    const ring = ringFile();
    const log = join(WS, `dead-${n}.log`);
    // the log is opened (and allowed) once; each later open of a.txt is judged
    const py = [
      "import os, time, errno",
      `log = os.open(${JSON.stringify(log)}, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)`,
      "os.write(log, b'pid %d\\n' % os.getpid())",
      "end = time.time() + 20",
      "while time.time() < end:",
      "    try:",
      "        os.close(os.open('a.txt', os.O_RDONLY)); os.write(log, b'ok\\n')",
      "    except OSError as e:",
      "        os.write(log, (errno.errorcode[e.errno] + '\\n').encode())",
      "    time.sleep(0.05)",
    ].join("\n");
    const c = spawn(HARNESS, ["--ring", ring, LIB, POLICY, "python3", "-c", py], {
      cwd: WS, env: { PATH: "/usr/bin:/bin", HOME: WS }, stdio: "ignore",
    });
    const exited = new Promise((r) => c.on("exit", r));
    const lines = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
    for (let i = 0; i < 100 && !lines().includes("ok"); i++) await sleep(50);
    const pid = Number(lines()[0]?.split(" ")[1]);
    try {
      expect(lines()).toContain("ok");
      c.kill("SIGKILL"); // the writer (the harness) dies; python, its child, keeps running
      await exited;
      for (let i = 0; i < 100 && !lines().includes("EACCES"); i++) await sleep(50);
      await sleep(300);
      const after = lines().slice(lines().indexOf("EACCES"));
      expect(after.length).toBeGreaterThan(3);
      expect(new Set(after)).toEqual(new Set(["EACCES"]));
      expect(ringHeader(ring).writerState).toBe("broken");
    } finally {
      if (pid > 0) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
    }
  }, 20_000);

  it("blocks_the_agent_on_a_full_ring_instead_of_dropping_records", async () => {
    // Nothing drains the harness's ring: once 64 KiB of records are written the
    // program must wait (the consumer side would release it; not tested here).
    const ring = ringFile();
    const py = "import os\nfor i in range(5000):\n    os.close(os.open('a.txt', os.O_RDONLY))\nprint('done')";
    const c = spawn(HARNESS, ["--ring", ring, "--ring-size", "65536", LIB, POLICY, "python3", "-c", py], {
      cwd: WS, env: { PATH: "/usr/bin:/bin", HOME: WS }, stdio: ["ignore", "pipe", "pipe"], detached: true,
    });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    const exited = new Promise((r) => c.on("exit", r));
    let finished = false;
    void exited.then(() => (finished = true));
    // Wait until python is parked on the futex (or 15 s: a loaded runner is slow to start python).
    const parked = (): boolean => {
      try { return ringHeader(ring).waiters === 1; } catch { return false; } // not created yet
    };
    for (let i = 0; i < 300 && !finished && !parked(); i++) await sleep(50);
    await sleep(200); // had it not blocked, it would now print "done"
    try {
      expect(finished).toBe(false);
      expect(out).toBe("");
      const recs = readRing(ring);
      const used = Number(ringHeader(ring).head);
      expect(used).toBeGreaterThan(65536 - 256);
      expect(used).toBeLessThanOrEqual(65536);
      expect(ringHeader(ring).waiters).toBe(1); // python is parked on the futex
      expectContiguous(recs);
      const reads = recs.filter((x) => x.fields.path === join(WS, "a.txt"));
      expect(reads.length).toBeGreaterThan(100);
      expect(reads.length).toBeLessThan(5000);
    } finally {
      process.kill(-c.pid!, "SIGKILL");
      await exited;
    }
  }, 20_000);
});

// ---- observe mode ---------------------------------------------------------------

describe("observe mode", () => {
  it("lets_a_denied_cat_succeed_and_records_it_as_observed", () => {
    const ring = ringFile();
    const r = run(["cat", "secret.txt"], ["--ring", ring, "--mode", "observe"]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "s3cret\n", ""]);
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "secret.txt"))!;
    expect([rec.decision, rec.cause, RULES[rec.rule], rec.observed]).toEqual(["deny", "policy", "no_secrets", true]);
  });

  it("still_denies_everything_in_observe_mode_without_an_audit_channel", () => {
    const ring = ringFile();
    const r = run(["cat", "a.txt"], ["--ring", ring, "--mode", "observe", "--writer-state", "closed"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("a.txt: Permission denied");
  });
});

// ---- ask ------------------------------------------------------------------------

interface Broker { server: Server; name: string; got: Buffer[] }

/** A broker on an abstract unix socket that answers `reply` (or never, if null). */
async function broker(reply: string | null): Promise<Broker> {
  const name = `trj-ask-${process.pid}-${++n}`;
  const got: Buffer[] = [];
  const held: Socket[] = [];
  const server = createServer((s) => {
    held.push(s);
    let buf = Buffer.alloc(0);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8 && buf.length >= buf.readUInt32LE(0)) {
        got.push(buf);
        if (reply !== null) s.end(reply);
      }
    });
    s.on("error", () => {});
  });
  server.on("close", () => held.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(`\0${name}`, r));
  return { server, name, got };
}

describe("ask", () => {
  it("allows_when_the_broker_answers_y_and_records_ask_allowed", async () => {
    const b = await broker("y");
    const ring = ringFile();
    try {
      const r = await runAsync(["cat", "ask.txt"], ["--ring", ring, "--ask-addr", `@${b.name}`, "--writer-pid", String(process.pid)]);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, "asked for\n", ""]);
    } finally {
      b.server.close();
    }
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "ask.txt"))!;
    expect([rec.verdict, rec.decision, rec.cause, RULES[rec.rule]]).toEqual(["ask", "allow", "ask-allowed", "asked"]);
    // the broker got the record, ring encoding, same proc and seq
    expect(b.got.length).toBe(1);
    const got = nth(b.got, 0);
    expect(got.readUInt32LE(0)).toBe(got.length); // commit word = len
    const sent = decodeRecords(got);
    expect(sent.length).toBe(1);
    const one = nth(sent, 0);
    expect([one.kind, one.verdict, one.decision, one.fields.path, one.proc, one.seq]).toEqual([
      "file.read", "ask", "deny", join(WS, "ask.txt"), rec.proc, rec.seq,
    ]);
  });

  it("denies_when_the_broker_answers_anything_else", async () => {
    const b = await broker("n");
    const ring = ringFile();
    try {
      const r = await runAsync(["cat", "ask.txt"], ["--ring", ring, "--ask-addr", `@${b.name}`, "--writer-pid", String(process.pid)]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("ask.txt: Permission denied");
    } finally {
      b.server.close();
    }
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "ask.txt"))!;
    expect([rec.verdict, rec.decision, rec.cause]).toEqual(["ask", "deny", "ask-denied"]);
  });

  it("denies_after_the_rule_timeout_when_nobody_answers", async () => {
    const b = await broker(null);
    const ring = ringFile();
    const t0 = Date.now();
    try {
      const r = await runAsync(["cat", "ask.txt"], ["--ring", ring, "--ask-addr", `@${b.name}`, "--writer-pid", String(process.pid)]);
      expect(r.stderr).toContain("ask.txt: Permission denied");
    } finally {
      b.server.close();
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "ask.txt"))!;
    expect([rec.verdict, rec.decision, rec.cause]).toEqual(["ask", "deny", "ask-timeout"]);
    expect(rec.askMs).toBeGreaterThanOrEqual(950);
    expect(rec.askMs).toBeLessThan(5000);
  }, 20_000);

  it("denies_ask_at_once_without_a_broker", () => {
    const ring = ringFile();
    const r = run(["cat", "ask.txt"], ["--ring", ring]);
    expect(r.stderr).toContain("ask.txt: Permission denied");
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "ask.txt"))!;
    expect([rec.verdict, rec.decision, rec.cause, rec.askMs]).toEqual(["ask", "deny", "ask-unavailable", 0]);
  });

  it("denies_ask_when_the_broker_address_has_no_listener", () => {
    const ring = ringFile();
    const r = run(["cat", "ask.txt"], ["--ring", ring, "--ask-addr", `@trj-nobody-${process.pid}`]);
    expect(r.stderr).toContain("ask.txt: Permission denied");
    const rec = readRing(ring).find((x) => x.fields.path === join(WS, "ask.txt"))!;
    expect([rec.decision, rec.cause]).toEqual(["deny", "ask-unavailable"]);
  });
});
