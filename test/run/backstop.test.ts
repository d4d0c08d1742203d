// The kernel backstop (native/launcher/backstop*.c) from the agent's side:
// `trajeckt run` with the default `--backstop on` on programs the preload
// library cannot see into — a `-static` binary and raw system calls — each
// probe step a raw syscall (test/run/backstop_probe.c). Then the same with
// `--backstop off`, and the refusal when the kernel cannot carry it (the exec
// helper's TEST HOOK TRAJECKT_TEST_LANDLOCK_ABI pretends an older Landlock).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildC, buildNatives, collect, logLines, ROOT, scratch, trajeckt, trajecktAsync, writePolicy } from "./helpers.js";

let dir: string;
let policy: string;
let probe: string;
let probeStatic: string;
let secret: string;
let inside: string;
let allowedPort: number;
let deniedPort: number;
const servers: Server[] = [];

function listen(): Promise<number> {
  return new Promise((res) => {
    const s = createServer((c) => c.destroy());
    servers.push(s);
    s.listen(0, "127.0.0.1", () => res((s.address() as { port: number }).port));
  });
}

let n = 0;
const newLog = (): string => join(dir, "logs", `audit-${++n}.jsonl`);

/** Run the probe under `trajeckt run`; returns its `name=value` lines as an object, plus the run. */
async function run(bin: string, args: string[], opts: { backstop?: "on" | "off"; log?: string } = {}) {
  const log = opts.log ?? newLog();
  const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--quiet", ...(opts.backstop ? ["--backstop", opts.backstop] : []), "--", bin, ...args]);
  const out: Record<string, string> = {};
  for (const l of r.stdout.split("\n")) {
    const m = /^(\w+)=(.*)$/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return { out, r, log };
}

beforeAll(async () => {
  buildNatives();
  dir = scratch("backstop");
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "work"));
  mkdirSync(join(dir, "logs"));
  secret = join(dir, "secret.txt");
  inside = join(dir, "work", "inside.txt");
  writeFileSync(secret, "outside every region\n");
  writeFileSync(inside, "inside the region\n");
  const src = join(ROOT, "test", "run", "backstop_probe.c");
  probe = buildC(src, join(dir, "bin", "probe"));
  probeStatic = buildC(src, join(dir, "bin", "probe-static"), ["-static"]);
  allowedPort = await listen();
  deniedPort = await listen();
  policy = writePolicy(
    dir,
    `policy "backstop-test" version "1.0.0"
default deny
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev"]
list programs = ["/usr/bin", "/bin", ${JSON.stringify(join(dir, "bin"))}]
rule system:   allow file.read if path under system
rule work:     allow file.read, file.write, file.create, file.delete, dir.create if path under ${JSON.stringify(join(dir, "work"))}
rule programs: allow exec if exe under programs
rule net:      allow net.connect if port == ${allowedPort}
`,
  );
}, 120_000);

afterAll(() => {
  for (const s of servers) s.close();
});

describe("kernel backstop on (the default)", () => {
  it("e40_the_agent_runs_with_no_new_privs_and_a_seccomp_filter", async () => {
    const { out, r, log } = await run(probe, ["status"]);
    expect(r.code).toBe(0);
    expect(out).toMatchObject({ NoNewPrivs: "1", Seccomp: "2" });
    const start = logLines(log)[0]!;
    expect(start.kind).toBe("run.start");
    // run.start: what trajeckt-exec's dry run found it will apply
    expect(start).toMatchObject({ backstop: "on", landlock_abi: expect.any(Number), backstop_entries: expect.any(Number), seccomp_insns: expect.any(Number) });
    expect(start.landlock_abi as number).toBeGreaterThanOrEqual(4);
    expect(start.seccomp_insns as number).toBeGreaterThan(0);
    const summary = await trajeckt(["audit", "summary", log]);
    expect(summary.stdout).toMatch(/^kernel backstop: on \(landlock abi \d+, \d+ entries, seccomp \d+ instructions\)$/m);
    expect(summary.stdout).not.toMatch(/WARNING/);
  });

  it("e01_a_static_binary_cannot_read_outside_the_region", async () => {
    expect((await run(probeStatic, ["open", secret])).out.open).toBe("EACCES");
    expect((await run(probeStatic, ["open", inside])).out.open).toBe("ok");
  });

  it("e02_a_raw_openat_from_a_dynamic_binary_is_denied", async () => {
    expect((await run(probe, ["open", secret])).out.open).toBe("EACCES");
  });

  it("e04_io_uring_setup_is_enosys", async () => {
    expect((await run(probeStatic, ["uring"])).out.uring).toBe("ENOSYS");
  });

  it("e32_packet_raw_sctp_and_mptcp_sockets_are_refused", async () => {
    expect((await run(probeStatic, ["socket", "17", "3", "0"])).out.socket).toBe("EAFNOSUPPORT"); // AF_PACKET
    expect((await run(probeStatic, ["socket", "2", "3", "1"])).out.socket).toBe("EPERM"); // AF_INET SOCK_RAW ICMP
    expect((await run(probeStatic, ["socket", "2", "1", "132"])).out.socket).toBe("EPERM"); // IPPROTO_SCTP
    expect((await run(probeStatic, ["socket", "2", "1", "262"])).out.socket).toBe("EPERM"); // IPPROTO_MPTCP
    expect((await run(probeStatic, ["socket", "2", String(1 | 0o4000 | 0o2000000), "0"])).out.socket).toBe("ok"); // TCP, NONBLOCK|CLOEXEC
  });

  it("e01_a_static_binary_connects_only_where_the_policy_allows_and_the_supervisor_records_it", async () => {
    // the seccomp supervisor decides a static binary's connect with the policy (EPERM, like the
    // library) before Landlock's port rule (EACCES) would, and records it on the caller's behalf
    const denied = await run(probeStatic, ["connect", String(deniedPort)]);
    expect(denied.out.connect).toBe("EPERM");
    const allowed = await run(probeStatic, ["connect", String(allowedPort)]);
    expect(allowed.out.connect).toBe("ok");
    for (const [res, port, decision] of [[denied, deniedPort, "deny"], [allowed, allowedPort, "allow"]] as const) {
      const rec = logLines(res.log).find((l) => l.kind === "net.connect");
      expect(rec).toMatchObject({ decision, port, ip: "127.0.0.1", note: expect.stringMatching(/^seccomp: pid \d+ .*\/probe-static$/) });
    }
  });

  it("the_agent_cannot_signal_its_supervisor_and_dies_with_it", async () => {
    // the agent's parent is the supervisor (trajeckt-exec, outside the agent's Landlock
    // domain): the agent's own kill is refused (signal scope); killed from outside, it
    // takes the agent with it (PDEATHSIG), so no agent runs with calls nobody answers
    const log = newLog();
    const mark = join(dir, "work", `ppid-${Date.now()}`);
    const child = trajecktAsync(["run", "--policy", policy, "--audit", log, "--quiet", "--", "/bin/sh", "-c",
      `kill -9 $PPID 2>/dev/null && echo KILLED-FROM-INSIDE; echo $PPID > ${mark}; sleep 5; echo SURVIVED`]);
    const done = collect(child);
    let ppid = 0;
    for (let i = 0; i < 200 && ppid === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      if (existsSync(mark)) ppid = Number(readFileSync(mark, "utf8").trim() || "0");
    }
    expect(ppid).toBeGreaterThan(0);
    process.kill(ppid, "SIGKILL");
    const r = await done;
    expect(r.stdout).not.toContain("KILLED-FROM-INSIDE");
    expect(r.stdout).not.toContain("SURVIVED");
    expect(r.code).toBe(137); // the launcher passes on the supervisor's death by SIGKILL
  });

  it("e38_the_agent_inherits_only_stdio_the_policy_and_the_ring", async () => {
    expect((await run(probeStatic, ["fds"])).out.fds).toBe("0,1,2,3,4");
  });

  it("the_agent_cannot_install_a_seccomp_listener_of_its_own", async () => {
    // while the supervisor lives the kernel would say EBUSY; the backstop's own EPERM is what
    // still holds for a descendant that outlives the supervisor (its listener would answer CONTINUE)
    expect((await run(probeStatic, ["listener"])).out.listener).toBe("EPERM");
    expect((await run(probeStatic, ["listener"], { backstop: "off" })).out.listener).toBe("ok");
  });

  it("e35_ptrace_traceme_is_eperm", async () => {
    expect((await run(probeStatic, ["ptrace"])).out.ptrace).toBe("EPERM");
  });
});

describe("kernel backstop off", () => {
  it("leaves_only_the_library_and_says_so_in_run_start", async () => {
    const s = await run(probe, ["status"], { backstop: "off" });
    expect(s.out).toMatchObject({ NoNewPrivs: "0", Seccomp: "0" });
    const start = logLines(s.log)[0]!;
    expect(start).toMatchObject({ kind: "run.start", backstop: "off" });
    expect(start).not.toHaveProperty("landlock_abi");
    const summary = await trajeckt(["audit", "summary", s.log]);
    expect(summary.code).toBe(0);
    expect(summary.stdout.split("\n")[0]).toMatch(/^WARNING: kernel backstop OFF/);
    expect((await run(probeStatic, ["open", secret], { backstop: "off" })).out.open).toBe("ok");
    expect((await run(probeStatic, ["uring"], { backstop: "off" })).out.uring).not.toBe("ENOSYS");
    expect((await run(probeStatic, ["ptrace"], { backstop: "off" })).out.ptrace).toBe("ok");
    expect((await run(probeStatic, ["connect", String(deniedPort)], { backstop: "off" })).out.connect).toBe("ok");
  });
});

describe("a kernel that cannot carry the backstop", () => {
  it("refuses_to_start_the_agent_and_names_the_opt_out", async () => {
    for (const [abi, why] of [["3", /Landlock ABI 3 is too old/], ["0", /Landlock is not available/]] as const) {
      const marker = join(dir, "work", `started-${abi}`);
      const r = await trajeckt(["run", "--policy", policy, "--audit", newLog(), "--", "/usr/bin/touch", marker], { env: { TRAJECKT_TEST_LANDLOCK_ABI: abi } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/--backstop off/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(marker)).toBe(false);
    }
  });
});
