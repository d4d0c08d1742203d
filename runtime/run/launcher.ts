// `trajeckt run`: start an agent under the monitor and stay its parent until
// it exits.
//
//   policy   read (.trj/.yaml compiled with --var, .trjb as is), verified and
//            loaded by the addon: a rejected table refuses to start (exit 2)
//   memfd    the table sealed into a memfd (createSealedMemfd)
//   ring     the audit ring (a memfd), its header configured: mode, ask
//            (broker only with --ask tty and a controlling terminal), the
//            broker's abstract address, agent id, policy hash, writer_fd
//   broker   the ask broker on that address (ask-broker.ts)
//   writer   the audit writer draining the ring into the log (audit/writer.ts)
//   backstop (--backstop on, the default) `trajeckt-exec --check-backstop`
//            with the memfd as fd 3 first: a kernel that cannot carry the
//            backstop (no Landlock, ABI < 4, no seccomp) refuses the run
//            (exit 2, one line, `--backstop off` named) before any log exists;
//            run.start records `backstop` "off", or "on" with what the dry
//            run found will apply (Landlock ABI, backstop entries, seccomp
//            filter length)
//   agent    native/out/launcher/trajeckt-exec with the memfd as fd 3, the
//            ring as fd 4 and a status pipe as fd 5; it sets PDEATHSIG, the
//            environment and LD_PRELOAD; with the backstop it forks, the
//            child applies the kernel backstop to itself
//            (native/launcher/backstop.h) and execs the agent, and
//            trajeckt-exec stays as the agent's seccomp supervisor
//            (native/preload/supervise.c), exiting as the agent does. The
//            status pipe says "ok ..." just before the exec or "refused ..."
//            (then nothing ran: exit 2)
//   exit     when the agent exits: the writer drains and stops, one summary
//            line on stderr, and the launcher exits with the agent's code
//            (128 + n when a signal n killed it)
//
// Signals: SIGTERM and SIGHUP are forwarded to the agent; SIGINT and SIGQUIT
// too, except when the launcher has a controlling terminal (then ^C / ^\ was
// already delivered to the agent by the terminal, which signals the whole
// foreground process group; forwarding would deliver it twice). The launcher
// itself never dies of them: it must outlive the agent to drain the log.

import { spawn, spawnSync } from "node:child_process";
import { openSync, closeSync, existsSync, statSync, renameSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

import { closeFd, createRing, createSealedMemfd, loadPolicy, TrjError, type AuditRing, type Policy } from "../binding.js";
import { readPolicyFile } from "../policy-file.js";
import { render } from "../../compiler/diagnostics.js";
import { startAuditWriter as realStartAuditWriter, type AuditRun, type AuditSummary, type AuditWriter, type AuditWriterOptions, type RunBackstop } from "../audit/writer.js";
import { abstractAskAddress, startAskBroker, type AskBroker, type PromptFn } from "./ask-broker.js";
import { nativePaths } from "./paths.js";

export type Mode = "enforce" | "observe";

export interface RunOptions {
  policyFile: string;
  vars: Record<string, string>;
  /** --audit; undefined = the default (see resolveAuditPath) */
  audit?: string;
  agentId?: string;
  mode: Mode;
  ask: "tty" | "deny";
  ringSize?: number;
  quiet: boolean;
  /** the agent's argv */
  command: string[];
  /** --backstop: the kernel backstop (Landlock + seccomp) under the library; default "on" */
  backstop?: "on" | "off";
  /** stderr */
  err: (s: string) => void;
  /** tests: answer asks without a terminal (forces the broker on) */
  prompt?: PromptFn;
  /** tests: a stand-in for audit/writer.ts startAuditWriter */
  startWriter?: (o: AuditWriterOptions) => AuditWriter;
}

/** The launcher's own exit codes (the agent's code is passed through otherwise). */
export const EXIT_REFUSED = 2;
export const EXIT_NOT_FOUND = 127;

export const DEFAULT_AUDIT = "trajeckt-audit.jsonl";

/** Thrown before the agent starts: message printed, exit EXIT_REFUSED. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

// ---- the audit log path ---------------------------------------------------------

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * Which file this run logs to. A log holds exactly one run (the writer
 * creates it with O_EXCL; one hash chain from run.start to run.end), so
 * `audit verify` proves the file whole:
 *   --audit FILE   FILE; an existing FILE is refused (exit 2)
 *   (default)      ./trajeckt-audit.jsonl; one left by an earlier run is first
 *                  renamed to trajeckt-audit-<its mtime>.jsonl, so the default
 *                  name always holds the latest run
 * Returns the absolute path, and where an earlier log was moved.
 */
export function resolveAuditPath(explicit: string | undefined, cwd = process.cwd()): { path: string; rotated: string | null } {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (existsSync(path)) throw new RefusedError(`audit log ${path} already exists; a log holds one run: choose another --audit file or remove it`);
    return { path, rotated: null };
  }
  const path = resolve(cwd, DEFAULT_AUDIT);
  if (!existsSync(path)) return { path, rotated: null };
  const st = statSync(path);
  let target = join(dirname(path), `trajeckt-audit-${stamp(st.mtime)}.jsonl`);
  for (let i = 2; existsSync(target); i++) target = join(dirname(path), `trajeckt-audit-${stamp(st.mtime)}-${i}.jsonl`);
  renameSync(path, target);
  return { path, rotated: target };
}

/** Kinds by which the agent could erase or rewrite its own record. */
const TAMPER_KINDS = ["file.write", "file.delete", "file.rename", "file.meta"] as const;

/** The kinds the policy allows on the log path (empty = safe). */
export function auditLogExposure(policy: Policy, logPath: string): string[] {
  const open: string[] = [];
  for (const kind of TAMPER_KINDS) {
    const d = policy.evaluate({ kind, path: logPath, path2: logPath + ".moved" });
    if (d.decision !== "deny") open.push(kind);
  }
  if (policy.evaluate({ kind: "file.create", path: logPath }).decision !== "deny") open.push("file.create");
  return open;
}

// ---- the kernel backstop --------------------------------------------------------

/** What `trajeckt-exec --check-backstop` reports. */
export interface BackstopCheck {
  ok: boolean;
  backstop: string;
  landlock_abi: number;
  entries: number;
  seccomp_insns: number;
  memfd_noexec: boolean;
  error: string | null;
}

/**
 * Dry-run the backstop for this policy (fd 3 = the sealed memfd) and agent
 * program: everything trajeckt-exec will do, nothing restricted. `env` lets
 * tests pass the exec helper's test hook (TRAJECKT_TEST_LANDLOCK_ABI).
 */
export function checkBackstop(exec: string, lib: string, policyFd: number, program: string | undefined, env: NodeJS.ProcessEnv = process.env): BackstopCheck {
  const r = spawnSync(exec, ["--check-backstop", "--lib", lib, ...(program !== undefined ? ["--", program] : [])], {
    stdio: ["ignore", "pipe", "pipe", policyFd],
    encoding: "utf8",
    env,
  });
  try {
    return JSON.parse(r.stdout) as BackstopCheck;
  } catch {
    const why = r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`);
    return { ok: false, backstop: "", landlock_abi: 0, entries: 0, seccomp_insns: 0, memfd_noexec: false, error: `the exec helper's check failed: ${why}` };
  }
}

export function backstopRefusal(why: string): string {
  return `kernel backstop not applied: ${why}; not starting the agent (\`--backstop off\` runs it under the library alone)`;
}

// ---- terminal -------------------------------------------------------------------

/** True when this process has a controlling terminal (/dev/tty opens). */
export function hasControllingTty(): boolean {
  try {
    closeSync(openSync("/dev/tty", "r+"));
    return true;
  } catch {
    return false;
  }
}

// ---- the run --------------------------------------------------------------------

/** The summary line, e.g. `trajeckt: 12 decisions, 2 denied, 0 flagged · log ./trajeckt-audit.jsonl`. */
export function summaryLine(s: AuditSummary, mode: Mode, logPath: string): string {
  const denied = mode === "observe" ? `${s.denied} would have been denied` : `${s.denied} denied`;
  const lost = s.lost > 0 ? `, ${s.lost} LOST` : "";
  const rel = logPath.startsWith(process.cwd() + "/") ? logPath.slice(process.cwd().length + 1) : logPath;
  return `trajeckt: ${s.decisions} decisions, ${denied}, ${s.flagged} flagged${lost} · log ${rel}\n`;
}

function defaultAgentId(command: string[]): string {
  return `${basename(command[0] ?? "agent")}-${randomBytes(4).toString("hex")}`;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 0);
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/** Run the agent; resolves to the exit code the launcher should exit with. */
export async function runAgent(o: RunOptions): Promise<number> {
  if (o.command.length === 0) throw new RefusedError("no agent command: put it after `--`");

  // 1. policy
  const file = readPolicyFile(o.policyFile, o.vars);
  if (file.compiled) for (const d of file.compiled.diagnostics) o.err(render(d, file.source ?? undefined));
  if (!file.bytes) throw new RefusedError(`policy ${o.policyFile} does not compile; not starting the agent`);
  let policy: Policy;
  try {
    policy = loadPolicy(file.bytes);
  } catch (e) {
    if (e instanceof TrjError) throw new RefusedError(`policy ${o.policyFile} rejected by the verifier (${e.code}): ${e.message}; not starting the agent`);
    throw e;
  }
  const info = policy.info();

  // 2. natives, audit path
  const { lib, exec } = nativePaths();
  const { path: logPath, rotated } = resolveAuditPath(o.audit);
  if (rotated && !o.quiet) o.err(`trajeckt: previous log moved to ${rotated}\n`);
  const exposure = auditLogExposure(policy, logPath);
  if (exposure.length > 0) {
    o.err(
      `trajeckt: WARNING: policy "${info.name}" lets the agent touch its own audit log ${logPath} (${exposure.join(", ")}): ` +
        `it could rewrite or delete its record. Keep the log outside what the agent may write (--audit).\n`,
    );
  }

  // 3. memfd, the backstop's dry run, ring + header
  const agentId = o.agentId ?? defaultAgentId(o.command);
  const policyFd = createSealedMemfd("trajeckt-policy", file.bytes);
  const backstopOn = (o.backstop ?? "on") === "on";
  let backstop: RunBackstop = { on: false };
  if (backstopOn) {
    const c = checkBackstop(exec, lib, policyFd, o.command[0]);
    if (!c.ok) {
      closeFd(policyFd);
      throw new RefusedError(backstopRefusal(c.error ?? "unknown"));
    }
    backstop = { on: true, landlockAbi: c.landlock_abi, entries: c.entries, seccompInsns: c.seccomp_insns };
  }
  let ring: AuditRing | undefined;
  let broker: AskBroker | undefined;
  let writer: AuditWriter | undefined;
  try {
    ring = createRing(o.ringSize !== undefined ? { dataSize: o.ringSize } : {});
    const tty = hasControllingTty();
    const useBroker = o.prompt !== undefined || (o.ask === "tty" && tty);
    const askAddr = useBroker ? abstractAskAddress() : undefined;
    if (useBroker) broker = await startAskBroker({ address: askAddr!, policy, ...(o.prompt ? { prompt: o.prompt } : {}) });
    ring.configure({
      mode: o.mode,
      ask: useBroker ? "broker" : "deny",
      ...(askAddr ? { askAddr } : {}),
      agentId,
      policyHash: Buffer.from(info.hash, "hex"),
      writerFd: ring.fd,
    });

    // 4. writer
    const startAuditWriter = o.startWriter ?? realStartAuditWriter;
    const run: AuditRun = { agentId, argv: o.command, mode: o.mode, policyFile: resolve(o.policyFile), backstop };
    writer = startAuditWriter({ ring, logPath, policy, run });

    // 5. agent
    const forwardInt = !tty;
    const child = spawn(
      exec,
      ["--lib", lib, "--parent", String(process.pid), "--agent-id", agentId, "--backstop", backstopOn ? "on" : "off", "--status-fd", "5", "--", ...o.command],
      { stdio: ["inherit", "inherit", "inherit", policyFd, ring.fd, "pipe"] },
    );
    let status = "";
    const statusPipe = (child.stdio as unknown as (NodeJS.ReadableStream | null)[])[5] ?? null;
    statusPipe?.setEncoding("utf8");
    statusPipe?.on("data", (d: string) => (status += d));
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const sig of FORWARDED) {
      const h = (): void => {
        if ((sig === "SIGINT" || sig === "SIGQUIT") && !forwardInt) return;
        if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    let code: number;
    try {
      code = await new Promise<number>((res) => {
        child.once("error", (e: NodeJS.ErrnoException) => {
          o.err(`trajeckt: cannot start ${exec}: ${e.code ?? e.message}\n`);
          res(EXIT_NOT_FOUND);
        });
        // "close", not "exit": the status pipe has been read to its end
        child.once("close", (c, s) => res(exitCodeOf(c, s)));
      });
    } finally {
      for (const [sig, h] of handlers) process.off(sig, h);
    }
    const refused = /^refused (.*)$/m.exec(status);
    if (refused) {
      await writer.stop();
      writer = undefined;
      o.err(`trajeckt run: ${backstopRefusal(refused[1]!)}\n`);
      return EXIT_REFUSED;
    }

    // 6. drain, summary
    const summary = await writer.stop();
    writer = undefined;
    if (!o.quiet) o.err(summaryLine(summary, o.mode, logPath));
    return code;
  } finally {
    if (writer) await writer.stop().catch(() => undefined); // stop() closes the ring
    if (broker) await broker.close();
    closeFd(policyFd);
    try {
      ring?.close();
      ring?.unmap();
    } catch {
      // already closed by the writer
    }
  }
}
