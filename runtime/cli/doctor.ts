// trajeckt doctor: prove enforcement is live on this machine.
//
// Runs the launcher (runtime/run/launcher.ts) on a probe — the exec helper's
// `--probe-calls` mode, under libtrajeckt.so — with a built-in policy that
// allows everything except one file, one exec and one connect. Each denied
// call must fail with the errno a program would see (EACCES, EACCES, EPERM)
// AND leave a deny record in the audit log; the allowed open must work and
// be logged too. The probe runs with the kernel backstop on (the default of
// `trajeckt run`), so a kernel that cannot carry it fails here. Then the
// layers: Landlock ABI (>= 4 required), seccomp filter (required), seccomp
// user notification (required: the supervisor), and — with --policy FILE — whether the
// backstop would apply to that policy (`trajeckt-exec --check-backstop`).
// Exit 0 only if every required check passed.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants } from "node:os";

import { closeFd, createSealedMemfd } from "../binding.js";
import { readPolicyFile } from "../policy-file.js";
import { nativePaths } from "../run/paths.js";
import { checkBackstop, runAgent, RefusedError } from "../run/launcher.js";
import { VAR_OPTION, vars, type Command, type Io } from "./common.js";

const DENIED_PORT = 47; // reserved (ni-ftp); nothing listens, and a denial comes before any packet

export function doctorPolicy(dir: string): string {
  return `policy "trajeckt-doctor" version "1.0.0"
default allow
rule doctor_file:    deny file.read if path == ${JSON.stringify(dir + "/denied")}
rule doctor_exec:    deny exec if argv[1] == "--doctor-denied"
rule doctor_connect: deny net.connect if port == ${DENIED_PORT}
rule doctor_log:     deny file.* if path == ${JSON.stringify(dir + "/audit.jsonl")}
`;
}

interface Probe {
  open_denied: number;
  open_allowed: number;
  exec_denied: number;
  connect_denied: number;
}

type Line = Record<string, unknown>;

/** A field of a log line, at the top level or under `fields`. */
function field(l: Line, name: string): unknown {
  if (l[name] !== undefined) return l[name];
  const f = l.fields as Line | undefined;
  return f?.[name];
}

function ruleName(l: Line): unknown {
  const r = l.rule;
  if (r && typeof r === "object") return (r as Line).name;
  return r;
}

function logged(lines: Line[], kind: string, decision: string, rule: string | null, match: (l: Line) => boolean): boolean {
  return lines.some((l) => l.kind === kind && l.decision === decision && (rule === null || ruleName(l) === rule) && match(l));
}

const errnoName = (n: number): string => {
  if (n === 0) return "success";
  if (n === -1) return "it ran";
  const e = Object.entries(constants.errno).find(([, v]) => v === n);
  return e ? e[0] : `errno ${n}`;
};

export const doctorCommand: Command = {
  name: "doctor",
  summary: "prove enforcement is live on this machine",
  usage: `usage: trajeckt doctor [--json] [--policy FILE [--var NAME=VALUE]...]

Runs a probe under the preload library and the kernel backstop with a built-in
policy that denies one file, one exec and one connect; checks each call really
fails (EACCES, EACCES, EPERM) and is in the audit log, and that an allowed open
works. Reports the kernel's layers: Landlock ABI (4 or later required), seccomp
filter (required), seccomp user notification (required). With --policy: whether the kernel
backstop would apply to FILE. Exit 0 only if enforcement is live.`,
  options: { json: { type: "boolean" }, policy: { type: "string", short: "p" }, ...VAR_OPTION },
  async run({ values }, io) {
    const checks: { name: string; ok: boolean; detail: string; required: boolean }[] = [];
    const check = (name: string, ok: boolean, detail: string, required = true): void => void checks.push({ name, ok, detail, required });
    const dir = mkdtempSync(join(tmpdir(), "trajeckt-doctor-"));
    try {
      let exec = "";
      try {
        exec = nativePaths().exec;
        check("preload library and exec helper built", true, "native/out/preload, native/out/launcher");
      } catch (e) {
        check("preload library and exec helper built", false, (e as Error).message);
      }
      if (exec) await probe(dir, exec, check, io);
      kernel(exec, check);
      if (exec && typeof values.policy === "string") policyBackstop(values.policy, vars(values), check);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const live = checks.every((c) => c.ok || !c.required);
    if (values.json) io.out(JSON.stringify({ live, checks }) + "\n");
    else {
      for (const c of checks) io.out(`${c.ok ? "  ok  " : c.required ? "  FAIL" : "  --  "} ${c.name}${c.detail ? `: ${c.detail}` : ""}\n`);
      io.out(live ? "enforcement is live\n" : "enforcement is NOT live\n");
    }
    return live ? 0 : 1;
  },
};

async function probe(dir: string, exec: string, check: (n: string, ok: boolean, d: string, r?: boolean) => void, io: Io): Promise<void> {
  writeFileSync(join(dir, "denied"), "doctor: this read must be denied\n");
  writeFileSync(join(dir, "allowed"), "doctor: this read must work\n");
  const policyFile = join(dir, "doctor.trj");
  writeFileSync(policyFile, doctorPolicy(dir));
  const log = join(dir, "audit.jsonl");
  const out = join(dir, "probe.json");
  let stderr = "";
  let code: number;
  try {
    code = await runAgent({
      policyFile,
      vars: {},
      audit: log,
      mode: "enforce",
      ask: "deny",
      quiet: true,
      command: [exec, "--probe-calls", dir, String(DENIED_PORT), out],
      err: (s) => void (stderr += s),
    });
  } catch (e) {
    check("launcher starts the probe", false, e instanceof RefusedError ? e.message : (e as Error).message);
    return;
  }
  check("launcher starts the probe", code === 0, code === 0 ? "" : `probe exited ${code}${stderr ? `: ${stderr.trim()}` : ""}`);
  if (stderr.trim()) io.err(stderr);
  let p: Probe;
  try {
    p = JSON.parse(readFileSync(out, "utf8")) as Probe;
  } catch {
    check("probe reported", false, "no result file");
    return;
  }
  let lines: Line[] = [];
  try {
    lines = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Line);
  } catch (e) {
    check("audit log written", false, (e as Error).message);
  }
  const E = constants.errno;
  const path = (name: string) => (l: Line) => field(l, "path") === join(dir, name);
  check(
    "denied open fails with EACCES and is logged",
    p.open_denied === E.EACCES && logged(lines, "file.read", "deny", "doctor_file", path("denied")),
    `${errnoName(p.open_denied)}, ${logged(lines, "file.read", "deny", null, path("denied")) ? "logged" : "NOT logged"}`,
  );
  check(
    "allowed open works and is logged",
    p.open_allowed === 0 && logged(lines, "file.read", "allow", null, path("allowed")),
    `${errnoName(p.open_allowed)}, ${logged(lines, "file.read", "allow", null, path("allowed")) ? "logged" : "NOT logged"}`,
  );
  const execRec = (l: Line) => {
    const argv = field(l, "argv");
    return Array.isArray(argv) && argv[1] === "--doctor-denied";
  };
  check(
    "denied exec fails with EACCES and is logged",
    p.exec_denied === E.EACCES && logged(lines, "exec", "deny", "doctor_exec", execRec),
    `${errnoName(p.exec_denied)}, ${logged(lines, "exec", "deny", null, execRec) ? "logged" : "NOT logged"}`,
  );
  const connRec = (l: Line) => Number(field(l, "port")) === DENIED_PORT;
  check(
    "denied connect fails with EPERM and is logged",
    p.connect_denied === E.EPERM && logged(lines, "net.connect", "deny", "doctor_connect", connRec),
    `${errnoName(p.connect_denied)}, ${logged(lines, "net.connect", "deny", null, connRec) ? "logged" : "NOT logged"}`,
  );
}

function kernel(exec: string, check: (n: string, ok: boolean, d: string, r?: boolean) => void): void {
  if (!exec) return;
  const r = spawnSync(exec, ["--probe-kernel"], { encoding: "utf8" });
  let k: { landlock_abi: number; landlock_error: string | null; seccomp: boolean; seccomp_filter: boolean; seccomp_user_notif: boolean };
  try {
    k = JSON.parse(r.stdout) as typeof k;
  } catch {
    check("kernel probe", false, r.stderr.trim() || "no output", false);
    return;
  }
  // the kernel backstop needs Landlock ABI 4 (TCP rules), a seccomp filter and user notification (the supervisor)
  const ll = k.landlock_abi >= 4;
  check(
    "Landlock",
    ll,
    k.landlock_abi > 0 ? `ABI ${k.landlock_abi}${ll ? "" : " (the backstop needs 4: `trajeckt run --backstop off` runs without it)"}` : `unavailable (${k.landlock_error})`,
  );
  check("seccomp filter", k.seccomp_filter, k.seccomp_filter ? "available" : "unavailable");
  check("seccomp user notification", k.seccomp_user_notif, k.seccomp_user_notif ? "available (the supervisor: exec, connect, addressed sends)" : "unavailable (the backstop needs it: `trajeckt run --backstop off` runs without it)");
}

function policyBackstop(file: string, v: Record<string, string>, check: (n: string, ok: boolean, d: string, r?: boolean) => void): void {
  const name = `kernel backstop applies with ${file}`;
  let bytes: Uint8Array | null;
  try {
    bytes = readPolicyFile(file, v).bytes;
  } catch (e) {
    check(name, false, (e as Error).message);
    return;
  }
  if (!bytes) {
    check(name, false, "the policy does not compile");
    return;
  }
  const { lib, exec } = nativePaths();
  const fd = createSealedMemfd("trajeckt-policy", bytes);
  try {
    const c = checkBackstop(exec, lib, fd, undefined);
    check(name, c.ok, c.ok ? `${c.backstop}, ${c.entries} entries, ${c.seccomp_insns} filter instructions${c.memfd_noexec ? "" : ", executable memfds NOT refused (kernel < 6.3)"}` : c.error ?? "no");
  } finally {
    closeFd(fd);
  }
}
