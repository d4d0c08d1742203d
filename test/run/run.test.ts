// `trajeckt run` end to end: bin/trajeckt.js launching real programs under
// libtrajeckt.so, each run's log checked line by line and with the audit
// verifier. Every launcher runs in its own session (no controlling terminal).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { verifyLog } from "../../runtime/audit/verify.js";
import { buildC, buildNatives, collect, decisions, logLines, ROOT, scratch, trajeckt, trajecktAsync, writePolicy } from "./helpers.js";

let dir: string;
let policy: string;
let secret: string;
let allowed: string;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function verified(log: string): void {
  const report = verifyLog(readFileSync(log, "utf8"));
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}

beforeAll(() => {
  buildNatives();
  dir = scratch("run");
  secret = join(dir, "secret.txt");
  allowed = join(dir, "allowed.txt");
  writeFileSync(secret, "the secret\n");
  writeFileSync(allowed, "allowed\n");
  policy = writePolicy(
    dir,
    `policy "run-test" version "1.0.0"
default allow
rule no_secret: deny file.read if path == ${JSON.stringify(secret)} reason "test secret"
rule ask_me:    ask file.read if path == ${JSON.stringify(join(dir, "ask.txt"))} timeout 5s
rule no_log:    deny file.* if path matches ${JSON.stringify(dir + "/*.jsonl")}
`,
  );
  writeFileSync(join(dir, "ask.txt"), "asked\n");
});

let n = 0;
const newLog = (): string => join(dir, `audit-${++n}.jsonl`);

describe("trajeckt run", () => {
  it("passes_the_agent_exit_code_through", async () => {
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--", "sh", "-c", "exit 3"]);
    expect(r.code).toBe(3);
    verified(log);
  });

  it("exits_128_plus_the_signal_that_killed_the_agent", async () => {
    const r = await trajeckt(["run", "--policy", policy, "--audit", newLog(), "--", "sh", "-c", "kill -KILL $$"]);
    expect(r.code).toBe(128 + 9);
  });

  it("denies_a_read_prints_the_usual_error_and_counts_it_in_the_summary", async () => {
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--", "cat", allowed, secret]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("allowed\n");
    expect(r.stderr).toContain(`cat: ${secret}: Permission denied`);
    const lines = decisions(log);
    const denied = lines.filter((l) => l.decision === "deny");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ kind: "file.read", path: secret, rule: "no_secret", cause: "policy" });
    expect(r.stderr).toMatch(new RegExp(`^trajeckt: ${lines.length} decisions, 1 denied, 0 flagged · log \\S*audit-${n}\\.jsonl$`, "m"));
    expect(logLines(log).at(-1)).toMatchObject({ kind: "run.end", denied: 1 });
    verified(log);
  });

  it("observe_mode_lets_a_denied_read_succeed_and_logs_it", async () => {
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--mode", "observe", "--audit", log, "--", "cat", secret]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("the secret\n");
    expect(decisions(log).filter((l) => l.decision === "deny")).toEqual([expect.objectContaining({ path: secret, rule: "no_secret", observed: true })]);
    expect(r.stderr).toMatch(/1 would have been denied/);
    verified(log);
  });

  it("ask_deny_denies_an_ask_rule_at_once", async () => {
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--ask", "deny", "--audit", log, "--", "cat", join(dir, "ask.txt")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Permission denied/);
    expect(decisions(log).find((l) => l.verdict === "ask")).toMatchObject({ decision: "deny", rule: "ask_me", cause: "ask-unavailable" });
  });

  it("without_a_terminal_ask_tty_also_denies_an_ask_rule", async () => {
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--", "cat", join(dir, "ask.txt")]);
    expect(r.code).toBe(1);
    expect(decisions(log).find((l) => l.verdict === "ask")).toMatchObject({ decision: "deny", cause: "ask-unavailable" });
  });

  it("exits_127_when_the_agent_cannot_be_started", async () => {
    const r = await trajeckt(["run", "--policy", policy, "--audit", newLog(), "--", "no-such-agent-program"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/cannot run no-such-agent-program: No such file or directory/);
  });

  it("refuses_to_start_with_a_corrupted_trjb", async () => {
    const ok = join(dir, "ok.trjb");
    expect((await trajeckt(["compile", policy, "-o", ok])).code).toBe(0);
    const bytes = readFileSync(ok);
    bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff; // a byte of the body: the hash no longer matches
    const bad = join(dir, "bad.trjb");
    writeFileSync(bad, bytes);
    const marker = join(dir, "started");
    const r = await trajeckt(["run", "--policy", bad, "--audit", newLog(), "--", "touch", marker]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rejected by the verifier/);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses_to_overwrite_an_existing_audit_log", async () => {
    const log = newLog();
    writeFileSync(log, "earlier run\n");
    const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--", "true"]);
    expect(r.code).toBe(2);
    expect(readFileSync(log, "utf8")).toBe("earlier run\n");
  });

  it("moves_an_earlier_default_log_aside_and_writes_a_fresh_one", async () => {
    const cwd = scratch("default-log");
    writeFileSync(join(cwd, "trajeckt-audit.jsonl"), "earlier run\n");
    const r = await trajeckt(["run", "--policy", policy, "--", "true"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/previous log moved to .*trajeckt-audit-\d{8}-\d{6}\.jsonl/);
    verified(join(cwd, "trajeckt-audit.jsonl"));
  });

  it("warns_when_the_policy_lets_the_agent_write_its_own_log", async () => {
    const open = writePolicy(dir, `policy "open" version "1.0.0"\ndefault allow\n`, "open.trj");
    const r = await trajeckt(["run", "--policy", open, "--audit", newLog(), "--", "true"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/WARNING: .*audit log/);
    const safe = await trajeckt(["run", "--policy", policy, "--audit", newLog(), "--", "true"]);
    expect(safe.stderr).not.toMatch(/WARNING/);
  });

  it("forwards_sigterm_to_the_agent_and_completes_the_log", async () => {
    const log = newLog();
    const c = trajecktAsync([
      "run", "--policy", policy, "--audit", log, "--",
      "sh", "-c", `trap 'cat ${secret}; exit 7' TERM; echo ready; while :; do sleep 0.05; done`,
    ]);
    const done = collect(c);
    let out = "";
    c.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await until(() => out.includes("ready"));
    process.kill(c.pid!, "SIGTERM");
    const r = await done;
    expect(r.code).toBe(7);
    expect(decisions(log).filter((l) => l.decision === "deny")).toEqual([expect.objectContaining({ path: secret })]);
    expect(logLines(log).at(-1)).toMatchObject({ kind: "run.end" });
    // not verified(log) here: dash execs `sleep` from vfork children, whose records carry no
    // proc.start, and audit/verify.ts does not accept that yet (reported to the lead)
  });

  it("sigkill_to_the_launcher_kills_the_agent_and_denies_a_surviving_grandchild", async () => {
    const log = newLog();
    const res = join(dir, "orphan.txt");
    const agentPid = join(dir, "agent.pid");
    const orphan = join(dir, "orphan.py");
    // the grandchild: its result file is opened while the launcher lives; once the
    // launcher is gone (and its heartbeat stale) it tries an allowed open
    writeFileSync(
      orphan,
      `import os, sys, time
res = open(sys.argv[1], "w", buffering=1)
launcher = int(sys.argv[2])
res.write("ready\\n")
while True:
    try:
        os.kill(launcher, 0)
        time.sleep(0.05)
    except PermissionError:
        time.sleep(0.05)  # the kernel backstop scopes signals: the launcher is outside the agent's domain
    except ProcessLookupError:
        break
time.sleep(1.6)
try:
    open(sys.argv[3]).read()
    res.write("read ok\\n")
except OSError as e:
    res.write(f"errno {e.errno}\\n")
`,
    );
    const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    // the agent (sh, then sleep: the same process) is the launcher's direct child, so $PPID is the launcher
    const c = trajecktAsync([
      "run", "--policy", policy, "--audit", log, "--",
      "sh", "-c", `echo $$ > ${agentPid}; ${py} ${orphan} ${res} $PPID ${allowed} & exec sleep 30`,
    ]);
    const done = collect(c);
    await until(() => existsSync(res) && readFileSync(res, "utf8").includes("ready") && existsSync(agentPid));
    const agent = Number(readFileSync(agentPid, "utf8"));
    expect(alive(agent)).toBe(true);
    c.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    await until(() => !alive(agent) || /^\d+ \S+ Z/.test(readFileSync(`/proc/${agent}/stat`, "utf8")), 5000);
    await until(() => /errno|read ok/.test(readFileSync(res, "utf8")), 10_000);
    expect(readFileSync(res, "utf8")).toBe("ready\nerrno 13\n");
  });

  it("survives_8_threads_of_opens_and_200_fork_execs_with_every_decision_recorded", async () => {
    const load = buildC(join(ROOT, "test", "run", "load.c"), join(dir, "load"));
    const log = newLog();
    const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--", load, allowed, "8", "20000", "200"], { timeout: 240_000 });
    expect(r.stdout.trim()).toBe("opens=160000 execs=200");
    expect(r.code).toBe(0);
    const lines = logLines(log);
    const decs = lines.filter((l) => typeof l.decision === "string" && l.kind !== "run.end" && l.kind !== "lost");
    expect(decs.filter((l) => l.kind === "file.read" && l.path === allowed)).toHaveLength(160_000);
    expect(decs.filter((l) => l.kind === "exec" && l.decision === "allow")).toHaveLength(200);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ kind: "run.end", lost: 0, denied: 0 });
    expect(end.decisions).toBe(decs.length);
    expect(r.stderr).toContain(`trajeckt: ${decs.length} decisions, 0 denied`);
    // sequence numbers contiguous per process image
    const seqs = new Map<number, number[]>();
    for (const l of lines) if (typeof l.proc === "number") (seqs.get(l.proc) ?? seqs.set(l.proc, []).get(l.proc)!).push(l.seq as number);
    for (const [, s] of seqs) {
      s.sort((a, b) => a - b);
      expect(s).toEqual(s.map((_, i) => i));
    }
    verified(log);
  }, 300_000);
});
