// One audit log entry (a parsed line, docs/audit.md) as one human line, for
// `trajeckt audit tail`:
//
//   12:04:05.123456 deny  file.read   /etc/shadow          rule no-secrets "secrets stay home"  [pid 412 proc 3#17]
//   12:04:05.130002 allow exec        /usr/bin/git push    rule git                              [pid 412 proc 3#18]
//   12:04:05.000000 ── run.start policy dev-agent 1.2 (3f2a9c01) agent ci-7 enforce: python agent.py
//
// Colour (ANSI) only when asked, i.e. when stdout is a TTY.

export interface FormatOptions {
  color?: boolean;
}

const C = { red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

/** A JSON byte value ("text" or {"$b64": …}) as printable text; non-UTF-8 shown as b64:… */
function text(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v).slice(1, -1).replace(/\\"/g, '"');
  if (typeof v === "number") return String(v);
  if (typeof v === "object" && v !== null && typeof (v as { $b64?: unknown }).$b64 === "string") return `b64:${(v as { $b64: string }).$b64}`;
  return v === undefined || v === null ? "" : JSON.stringify(v);
}

function clock(time: unknown): string {
  if (typeof time !== "string") return "??:??:??";
  const m = /T(\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(6, "0")}` : time;
}

/** What the action was about: path(s), program and arguments, or peer. */
export function target(e: Record<string, unknown>): string {
  const parts: string[] = [];
  if (Array.isArray(e["argv"]) && (e["kind"] === "exec" || e["kind"] === "proc.start")) {
    if (e["exe"] !== undefined) parts.push(text(e["exe"]));
    const args = (e["argv"] as unknown[]).slice(1).map(text);
    if (args.length > 0) parts.push(args.join(" "));
  } else if (e["exe"] !== undefined) {
    parts.push(text(e["exe"]));
  }
  if (e["path"] !== undefined) parts.push(text(e["path"]));
  if (e["path2"] !== undefined) parts.push(`-> ${text(e["path2"])}`);
  if (e["host"] !== undefined || e["ip"] !== undefined || e["port"] !== undefined) {
    const host = e["host"] !== undefined ? text(e["host"]) : "";
    const ip = e["ip"] !== undefined ? String(e["ip"]) : "";
    const addr = host && ip ? `${host} (${ip})` : host || ip;
    const port = e["port"] !== undefined ? `:${String(e["port"])}` : "";
    parts.push(`${addr}${port}`);
  } else if (e["family"] !== undefined && e["path"] === undefined) {
    parts.push(text(e["family"]));
  }
  return parts.join(" ");
}

export function formatEntry(e: Record<string, unknown>, opts: FormatOptions = {}): string {
  const col = (c: string, s: string): string => (opts.color ? `${c}${s}${C.reset}` : s);
  const t = col(C.dim, clock(e["time"]));
  const kind = String(e["kind"] ?? "?");
  switch (kind) {
    case "run.start": {
      const argv = Array.isArray(e["argv"]) ? (e["argv"] as unknown[]).map(text).join(" ") : "";
      const hash = typeof e["policy"] === "string" ? e["policy"].slice(0, 8) : "?";
      return `${t} ${col(C.bold, "── run.start")} policy ${text(e["policy_name"])} ${text(e["policy_version"])} (${hash}) agent ${text(e["agent"]) || "-"} ${text(e["mode"])}${e["backstop"] === "off" ? col(C.red, " BACKSTOP OFF") : ""}: ${argv}`;
    }
    case "run.end":
      return `${t} ${col(C.bold, "── run.end")} ${String(e["decisions"])} decisions: ${String(e["allowed"])} allowed, ${String(e["denied"])} denied, ${String(e["flagged"])} flagged, ${String(e["lost"])} lost, ${String(e["processes"])} processes${e["broken"] === true ? ", RING BROKEN" : ""}`;
    case "proc.start": {
      const mismatch = e["policy_mismatch"] === true ? col(C.red, " POLICY MISMATCH") : "";
      return `${t} ${col(C.dim, "── proc.start")} ${target(e)}${e["note"] !== undefined ? ` (${text(e["note"])})` : ""}${mismatch}  ${col(C.dim, `[pid ${String(e["pid"])} ppid ${String(e["ppid"] ?? "?")} proc ${String(e["proc"])}]`)}`;
    }
    case "lost":
      return `${t} ${col(C.yellow, "lost ")} process ${String(e["pid"])} died while recording a decision`;
    case "ring.broken":
      return `${t} ${col(C.red, "RING BROKEN")} ${text(e["error"])}: ${text(e["note"])}`;
    case "record.bad":
      return `${t} ${col(C.yellow, "bad  ")} unreadable record from process ${String(e["pid"])}: ${text(e["note"])}`;
    default:
      break;
  }
  const decision = String(e["decision"] ?? "?");
  let verdict = decision === "allow" ? col(C.green, "allow") : col(C.red, "deny ");
  if (e["observed"] === true) verdict += col(C.yellow, " (observed)");
  const flag = e["flagged"] === true ? col(C.yellow, " FLAG") : "";
  let why: string;
  if (e["rule"] !== null && e["rule"] !== undefined) {
    why = `rule ${text(e["rule"])}${e["reason"] !== null && e["reason"] !== undefined ? ` "${text(e["reason"])}"` : ""}`;
  } else {
    why = text(e["reason"]) || "?";
  }
  if (e["cause"] !== undefined && e["cause"] !== "policy") why += ` (${text(e["cause"])})`;
  if (e["error"] !== undefined) why += ` error ${text(e["error"])}`;
  if (e["note"] !== undefined) why += ` {${text(e["note"])}}`; // the seccomp supervisor decided, for the process it names
  const who = col(C.dim, `[pid ${String(e["pid"])} proc ${String(e["proc"])}#${String(e["seq"])}]`);
  return `${t} ${verdict}${flag} ${kind.padEnd(12)} ${target(e)}  ${why}  ${who}`;
}
