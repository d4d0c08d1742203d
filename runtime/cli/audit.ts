// trajeckt audit verify|summary|tail <log>: check, count and read the audit
// logs `trajeckt run` writes (format: docs/audit.md).

import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";

import { formatEntry } from "../audit/format.js";
import { backstopWarning, renderSummary, summarizeLog } from "../audit/summary.js";
import { verifyLog } from "../audit/verify.js";
import { UsageError } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, type Command, type Io } from "./common.js";

const USAGE = `usage: trajeckt audit verify <log>
       trajeckt audit summary <log> [--format text|json]
       trajeckt audit tail <log> [-n N] [-f|--follow] [--color auto|always|never]

verify   check the hash chain, run.start/run.end, per-process numbering and
         policy: "ok: N entries, P processes, chain head <sha256>" and exit 0,
         or "<log>:<line>: <problem>" for the first problem and exit 1.
         Lost records are printed as warnings and do not fail the check.
summary  the kernel backstop (a WARNING when the run had it off); decisions
         by kind, decision and rule; the most denied paths and hosts; flagged
         actions; processes; the time span.
tail     the last N entries (default 10) as one human line each; --follow
         prints entries as they are appended, until run.end.
Exit 0 ok, 1 the log failed verification, 2 usage errors.`;

const FOLLOW_POLL_MS = 100;

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function subcommandArgs(positionals: string[], sub: string): string {
  if (positionals.length !== 2) throw new UsageError(`audit ${sub} expects one log file\n\n${USAGE}`);
  return positionals[1] as string;
}

function verify(file: string, io: Io): number {
  const r = verifyLog(readLog(file));
  const first = r.problems[0];
  if (first) {
    io.err(`${file}:${first.line}: ${first.message}\n`);
    if (r.problems.length > 1) io.err(`(${r.problems.length - 1} more problem${r.problems.length > 2 ? "s" : ""})\n`);
  }
  for (const w of r.warnings) io.err(`${file}:${w.line}: warning: ${w.message}\n`);
  if (first) return EXIT_POLICY;
  io.out(`ok: ${r.entries} entries, ${r.processes} processes, chain head ${r.chainHead}\n`);
  return EXIT_OK;
}

function summary(file: string, format: unknown, io: Io): number {
  const s = summarizeLog(readLog(file));
  if (format === "json") {
    // the text carries the warning itself; JSON keeps stdout machine-readable
    const warn = backstopWarning(s);
    if (warn !== null) io.err(`${file}: ${warn}\n`);
    io.out(JSON.stringify(s) + "\n");
  } else io.out(renderSummary(s));
  return EXIT_OK;
}

/** Format complete lines; returns whether run.end went by. */
function printLines(lines: string[], color: boolean, io: Io): boolean {
  let ended = false;
  for (const l of lines) {
    if (l === "") continue;
    let e: unknown;
    try {
      e = JSON.parse(l);
    } catch {
      io.out(`(not JSON) ${l.slice(0, 200)}\n`);
      continue;
    }
    if (typeof e !== "object" || e === null || Array.isArray(e)) continue;
    io.out(formatEntry(e as Record<string, unknown>, { color }) + "\n");
    if ((e as Record<string, unknown>)["kind"] === "run.end") ended = true;
  }
  return ended;
}

async function tail(file: string, n: number, follow: boolean, color: boolean, io: Io): Promise<number> {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    let pos = 0;
    let rest = "";
    const readMore = (): string[] => {
      const size = statSync(file).size;
      if (size < pos) {
        pos = 0; // replaced or truncated: start over
        rest = "";
      }
      const chunks: Buffer[] = [];
      while (pos < size) {
        const buf = Buffer.alloc(Math.min(size - pos, 1 << 20));
        const got = readSync(fd, buf, 0, buf.length, pos);
        if (got <= 0) break;
        chunks.push(buf.subarray(0, got));
        pos += got;
      }
      const text = rest + Buffer.concat(chunks).toString("utf8");
      const lines = text.split("\n");
      rest = lines.pop() ?? ""; // an incomplete last line waits for its newline
      return lines;
    };
    const initial = readMore().filter((l) => l !== "");
    let ended = printLines(n > 0 ? initial.slice(-n) : [], color, io);
    ended ||= initial.some((l) => l.includes('"kind":"run.end"'));
    while (follow && !ended) {
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      ended = printLines(readMore(), color, io);
    }
    return EXIT_OK;
  } finally {
    closeSync(fd);
  }
}

export const auditCommand: Command = {
  name: "audit",
  summary: "verify, summarize or follow an audit log",
  usage: USAGE,
  options: {
    format: { type: "string" },
    follow: { type: "boolean", short: "f" },
    lines: { type: "string", short: "n" },
    color: { type: "string" },
  },
  async run({ values, positionals }, io) {
    const sub = positionals[0];
    switch (sub) {
      case "verify":
        return verify(subcommandArgs(positionals, sub), io);
      case "summary": {
        const format = values.format ?? "text";
        if (format !== "text" && format !== "json") throw new UsageError(`--format must be text or json\n\n${USAGE}`);
        return summary(subcommandArgs(positionals, sub), format, io);
      }
      case "tail": {
        const file = subcommandArgs(positionals, sub);
        const nText = (values.lines as string | undefined) ?? "10";
        if (!/^\d+$/.test(nText)) throw new UsageError(`-n expects a number of lines, got \`${nText}\``);
        const mode = (values.color as string | undefined) ?? "auto";
        if (mode !== "auto" && mode !== "always" && mode !== "never") throw new UsageError(`--color must be auto, always or never`);
        const color = mode === "always" || (mode === "auto" && process.stdout.isTTY === true);
        return tail(file, Number(nText), values.follow === true, color, io);
      }
      case undefined:
        throw new UsageError(`expected a subcommand: verify, summary or tail\n\n${USAGE}`);
      default:
        throw new UsageError(`unknown subcommand \`${sub}\`: expected verify, summary or tail\n\n${USAGE}`);
    }
  },
};
