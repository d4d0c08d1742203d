// Counts over an audit log (docs/audit.md), for `trajeckt audit summary`:
// the kernel backstop; decisions by kind, by decision and by rule; the ten
// most denied paths and hosts; flagged actions; processes; the time span.

import type { EntryCounts } from "./encode.js";
import { target } from "./format.js";

/** run.start's `backstop` and, when on, what applied; null: not recorded (a log from before the field). */
export type LogBackstop = { on: false } | { on: true; landlockAbi: unknown; entries: unknown; seccompInsns: unknown } | null;

/** The counts are the ones run.end carries (EntryCounts, as the writer's AuditSummary), counted from the entries. */
export interface LogSummary extends EntryCounts {
  /** lines, run.start and run.end included */
  entries: number;
  policy: { name: unknown; version: unknown; hash: unknown } | null;
  agent: unknown;
  backstop: LogBackstop;
  byKind: Record<string, number>;
  byDecision: Record<string, number>;
  /** rule name (or "default" / "eval-error") → count */
  byRule: Record<string, number>;
  topDeniedPaths: { path: string; count: number }[];
  topDeniedHosts: { host: string; count: number }[];
  /** the flagged actions, first 100 */
  flaggedActions: { line: number; kind: string; target: string; rule: unknown }[];
  start: string | null;
  end: string | null;
  /** seconds between the first and the last entry */
  spanSeconds: number | null;
  /** the log ends with run.end */
  complete: boolean;
}

const TOP = 10;
const MAX_FLAGGED = 100;

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function top<K extends string>(m: Map<string, number>, key: K): ({ count: number } & Record<K, string>)[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([k, count]) => ({ [key]: k, count }) as { count: number } & Record<K, string>);
}

function valueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof (v as { $b64?: unknown }).$b64 === "string") return `b64:${(v as { $b64: string }).$b64}`;
  return String(v);
}

/** ISO 8601 with up to 9 fraction digits → seconds since the epoch (ns digits kept to µs). */
function seconds(iso: string): number | null {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return null;
  const base = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(base)) return null;
  return base / 1000 + Number(`0.${m[2] ?? "0"}`);
}

/** Summarize the entries of a log (unparseable lines are skipped; `audit verify` reports them). */
export function summarizeLog(text: string): LogSummary {
  const s: LogSummary = {
    entries: 0,
    decisions: 0,
    allowed: 0,
    denied: 0,
    flagged: 0,
    observed: 0,
    lost: 0,
    processes: 0,
    policy: null,
    agent: null,
    backstop: null,
    byKind: {},
    byDecision: {},
    byRule: {},
    topDeniedPaths: [],
    topDeniedHosts: [],
    flaggedActions: [],
    start: null,
    end: null,
    spanSeconds: null,
    complete: false,
  };
  const deniedPaths = new Map<string, number>();
  const deniedHosts = new Map<string, number>();
  const lines = text.split("\n");
  let lastKind: unknown;
  lines.forEach((l, i) => {
    if (l === "") return;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof e !== "object" || e === null) return;
    s.entries++;
    lastKind = e["kind"];
    if (typeof e["time"] === "string") {
      s.start ??= e["time"];
      s.end = e["time"];
    }
    const kind = String(e["kind"]);
    switch (kind) {
      case "run.start":
        s.policy = { name: e["policy_name"], version: e["policy_version"], hash: e["policy"] };
        s.agent = e["agent"];
        if (e["backstop"] === "off") s.backstop = { on: false };
        else if (e["backstop"] === "on") s.backstop = { on: true, landlockAbi: e["landlock_abi"], entries: e["backstop_entries"], seccompInsns: e["seccomp_insns"] };
        return;
      case "run.end":
      case "ring.broken":
      case "record.bad":
        return;
      case "lost":
        s.lost++;
        return;
      case "proc.start":
        s.processes++;
        return;
      default:
        break;
    }
    s.decisions++;
    bump(s.byKind, kind);
    const decision = String(e["decision"]);
    bump(s.byDecision, decision);
    const rule = e["rule"] !== null && e["rule"] !== undefined ? String(e["rule"]) : String(e["reason"] ?? "unknown");
    bump(s.byRule, rule);
    if (decision === "allow") s.allowed++;
    else s.denied++;
    if (e["observed"] === true) s.observed++;
    if (e["flagged"] === true) {
      s.flagged++;
      if (s.flaggedActions.length < MAX_FLAGGED) s.flaggedActions.push({ line: i + 1, kind, target: target(e), rule: e["rule"] ?? null });
    }
    if (decision !== "allow") {
      if (e["path"] !== undefined) {
        const p = valueText(e["path"]);
        deniedPaths.set(p, (deniedPaths.get(p) ?? 0) + 1);
      }
      if (e["host"] !== undefined || e["ip"] !== undefined) {
        const h = e["host"] !== undefined ? valueText(e["host"]) : String(e["ip"]);
        deniedHosts.set(h, (deniedHosts.get(h) ?? 0) + 1);
      }
    }
  });
  s.complete = lastKind === "run.end";
  s.topDeniedPaths = top(deniedPaths, "path");
  s.topDeniedHosts = top(deniedHosts, "host");
  if (s.start !== null && s.end !== null) {
    const a = seconds(s.start);
    const b = seconds(s.end);
    if (a !== null && b !== null) s.spanSeconds = Math.round((b - a) * 1e6) / 1e6;
  }
  return s;
}

function table(m: Record<string, number>): string {
  const rows = Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (rows.length === 0) return "  (none)\n";
  const w = Math.max(...rows.map(([, v]) => String(v).length));
  return rows.map(([k, v]) => `  ${String(v).padStart(w)}  ${k}\n`).join("");
}

/** The warning for a run without the kernel backstop, or null. */
export function backstopWarning(s: LogSummary): string | null {
  return s.backstop?.on === false
    ? "WARNING: kernel backstop OFF (--backstop off): the agent ran under the library alone; static binaries, raw system calls and io_uring were not held"
    : null;
}

function backstopLine(b: LogBackstop): string {
  if (b === null) return "kernel backstop: not recorded";
  if (!b.on) return "kernel backstop: OFF";
  return `kernel backstop: on (landlock abi ${valueText(b.landlockAbi)}, ${valueText(b.entries)} entries, seccomp ${valueText(b.seccompInsns)} instructions)`;
}

/** The summary as text. */
export function renderSummary(s: LogSummary): string {
  let o = "";
  const warn = backstopWarning(s);
  if (warn !== null) o += `${warn}\n`;
  if (s.policy) o += `policy ${valueText(s.policy.name)} ${valueText(s.policy.version)} (${valueText(s.policy.hash).slice(0, 16)}), agent ${valueText(s.agent) || "-"}\n`;
  o += `${backstopLine(s.backstop)}\n`;
  o += `${s.start ?? "?"} .. ${s.end ?? "?"}${s.spanSeconds !== null ? ` (${s.spanSeconds} s)` : ""}${s.complete ? "" : ", INCOMPLETE (no run.end)"}\n`;
  o += `${s.decisions} decisions: ${s.allowed} allowed, ${s.denied} denied, ${s.flagged} flagged, ${s.observed} observed; ${s.processes} processes; ${s.lost} lost\n`;
  o += `\nby kind:\n${table(s.byKind)}`;
  o += `\nby decision:\n${table(s.byDecision)}`;
  o += `\nby rule:\n${table(s.byRule)}`;
  const pairs = (xs: { count: number }[], key: string): string =>
    xs.length === 0 ? "  (none)\n" : xs.map((x) => `  ${String(x.count).padStart(6)}  ${(x as unknown as Record<string, string>)[key]}\n`).join("");
  o += `\ntop denied paths:\n${pairs(s.topDeniedPaths, "path")}`;
  o += `\ntop denied hosts:\n${pairs(s.topDeniedHosts, "host")}`;
  if (s.flaggedActions.length > 0) {
    o += `\nflagged:\n${s.flaggedActions.map((f) => `  line ${f.line}: ${f.kind} ${f.target} (rule ${valueText(f.rule)})\n`).join("")}`;
  }
  return o;
}
