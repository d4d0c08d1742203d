// Check an audit log (docs/audit.md): the hash chain is intact, it starts with
// run.start and ends with run.end, each process image's entries are numbered
// 0, 1, 2, … with proc.start first (a vfork child's one-off image has one
// entry, seq 0, flagged vfork, and no proc.start), every image ran the run's
// policy, and the counts in run.end match the entries. Reports every problem
// with its line; the first (lowest line) is what `trajeckt audit verify`
// prints.

import * as nodeCrypto from "node:crypto";

import { ZERO_HASH } from "./records.js";

export interface Problem {
  /** 1-based line number */
  line: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  processes: number;
  /** hex SHA-256 of the last line: anchor it elsewhere to pin the whole log */
  chainHead: string;
  /** sorted by line; problems[0] is the first */
  problems: Problem[];
  /** lost records, broken ring, unreadable records: true events, not tampering */
  warnings: Problem[];
}

/** Entries that are about the run or the ring, not a process image's decisions. */
const META_KINDS: ReadonlySet<string> = new Set(["run.start", "run.end", "lost", "ring.broken", "record.bad"]);

const HASH_RE = /^[0-9a-f]{64}$/;

interface ProcState {
  startLine: number;
  pid: unknown;
  /** seq → line */
  seqs: Map<number, number>;
}

// crypto.hash (Node >= 20.12) is one native call; createHash costs an object per line.
const oneShot = (nodeCrypto as { hash?: (alg: string, data: string, enc: "hex") => string }).hash;
const sha256: (s: string) => string = oneShot ? (s) => oneShot("sha256", s, "hex") : (s) => nodeCrypto.createHash("sha256").update(s).digest("hex");

/** Split into lines; the last element is "" when the text ends with a newline. */
function splitLines(text: string): string[] {
  return text.split("\n");
}

export function verifyLog(text: string): VerifyReport {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const lines = splitLines(text);
  const complete = lines[lines.length - 1] === "";
  if (complete) lines.pop();
  const n = lines.length;
  const report = (line: number, message: string): void => void problems.push({ line, message });

  if (n === 0) {
    return { ok: false, entries: 0, processes: 0, chainHead: ZERO_HASH, problems: [{ line: 1, message: "empty log: no run.start" }], warnings };
  }
  if (!complete) report(n, "truncated: the last line has no newline (the writer was cut off mid-line)");

  const hashes = lines.map(sha256);
  const lineOfHash = new Map<string, number>();
  hashes.forEach((h, i) => lineOfHash.set(h, i + 1));

  const entries: (Record<string, unknown> | undefined)[] = lines.map((l, i) => {
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
      report(i + 1, "not a JSON object");
    } catch {
      report(i + 1, "not valid JSON (the line was edited or cut)");
    }
    return undefined;
  });

  // ---- the chain -------------------------------------------------------------
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (e === undefined) continue;
    const prev = e["prev"];
    const want = i === 0 ? ZERO_HASH : hashes[i - 1];
    if (typeof prev !== "string" || !HASH_RE.test(prev)) {
      report(i + 1, "no prev hash");
      continue;
    }
    if (prev === want) continue;
    if (i === 0) {
      report(1, "the first line's prev is not 64 zeros: lines before it were removed");
      continue;
    }
    const at = lineOfHash.get(prev);
    if (at !== undefined) report(i + 1, `chain broken: this line follows line ${at}, not line ${i} (lines were removed, inserted or reordered)`);
    else if (entries[i - 1] !== undefined)
      report(i, `chain broken: this line's hash is not the prev of line ${i + 1} (this line was changed, or lines after it were removed)`);
    else report(i + 1, `chain broken: prev matches no line (line ${i} was changed, or lines were removed)`);
  }

  // ---- run.start / run.end ----------------------------------------------------
  const first = entries[0];
  let runPolicy: unknown;
  if (first !== undefined) {
    if (first["kind"] !== "run.start") report(1, `the first entry is ${JSON.stringify(first["kind"])}, not run.start`);
    runPolicy = first["policy"];
  }
  const last = entries[n - 1];
  const hasEnd = last !== undefined && last["kind"] === "run.end";
  if (!hasEnd && complete) report(n, "truncated: no run.end (the log ends before the writer finished)");

  // ---- per process image, and the counts ----------------------------------------
  const procs = new Map<number, ProcState>();
  const counted = { decisions: 0, allowed: 0, denied: 0, flagged: 0, observed: 0, lost: 0, processes: 0, bad_records: 0 };
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (e === undefined) continue;
    const line = i + 1;
    const kind = e["kind"];
    if (typeof kind !== "string") {
      report(line, "no kind");
      continue;
    }
    if ((kind === "run.start" && i !== 0) || (kind === "run.end" && i !== n - 1)) {
      report(line, `${kind} in the middle of the log`);
      continue;
    }
    if (kind === "lost") {
      counted.lost++;
      warnings.push({ line, message: `lost: process ${String(e["pid"])} died while recording a decision` });
      continue;
    }
    if (kind === "ring.broken") {
      warnings.push({ line, message: `the ring broke (${String(e["error"])}): the agent was denied everything after this` });
      continue;
    }
    if (kind === "record.bad") {
      counted.bad_records++;
      warnings.push({ line, message: `an unreadable record from process ${String(e["pid"])}: ${String(e["note"])}` });
      continue;
    }
    if (META_KINDS.has(kind)) continue;
    const proc = e["proc"];
    const seq = e["seq"];
    if (!Number.isSafeInteger(proc) || !Number.isSafeInteger(seq) || (seq as number) < 0) {
      report(line, "no proc/seq numbers");
      continue;
    }
    let st = procs.get(proc as number);
    if (st === undefined) {
      if (kind !== "proc.start" && e["vfork"] === true && seq === 0) {
        // a vfork child's exec: recorded under a one-off image of its own
        // (it shares the parent's memory, so it cannot start one properly)
        st = { startLine: line, pid: e["pid"], seqs: new Map() };
      } else if (kind !== "proc.start") {
        report(line, `proc ${proc}: its first entry is ${kind}, not proc.start`);
        st = { startLine: 0, pid: e["pid"], seqs: new Map() };
      } else {
        st = { startLine: line, pid: e["pid"], seqs: new Map() };
      }
      procs.set(proc as number, st);
    } else if (kind === "proc.start") {
      report(line, `proc ${proc}: a second proc.start (first at line ${st.startLine})`);
    }
    if (kind === "proc.start") {
      counted.processes++;
      if (seq !== 0) report(line, `proc ${proc}: proc.start has seq ${seq}, not 0`);
      if (e["policy"] !== runPolicy)
        report(line, `proc ${proc} (pid ${String(e["pid"])}) ran policy ${String(e["policy"])}, not the run's ${String(runPolicy)}`);
    } else {
      counted.decisions++;
      if (e["decision"] === "allow") counted.allowed++;
      else counted.denied++;
      if (e["flagged"] === true) counted.flagged++;
      if (e["observed"] === true) counted.observed++;
    }
    const dup = st.seqs.get(seq as number);
    if (dup !== undefined) report(line, `proc ${proc}: seq ${seq} again (first at line ${dup})`);
    else st.seqs.set(seq as number, line);
  }

  // seq gaps: records of one image's threads may interleave out of order in
  // the ring, so the numbers are checked as a set, not as a sequence. A lost
  // record accounts for one missing number.
  let lostLeft = counted.lost;
  for (const [proc, st] of procs) {
    const seqs = [...st.seqs.keys()].sort((a, b) => a - b);
    let expect = 0;
    for (const s of seqs) {
      while (expect < s) {
        const line = st.seqs.get(s) as number;
        if (lostLeft > 0) {
          lostLeft--;
          warnings.push({ line, message: `proc ${proc}: seq ${expect} missing (accounted for by a lost record)` });
        } else {
          report(line, `proc ${proc}: seq ${expect} is missing before seq ${s} (an entry was removed)`);
          expect = s; // one report per gap
          break;
        }
        expect++;
      }
      expect = s + 1;
    }
  }

  if (hasEnd && last !== undefined) {
    const pairs: [string, number][] = [
      ["decisions", counted.decisions],
      ["allowed", counted.allowed],
      ["denied", counted.denied],
      ["flagged", counted.flagged],
      ["observed", counted.observed],
      ["lost", counted.lost],
      ["processes", counted.processes],
    ];
    for (const [k, v] of pairs) {
      if (last[k] !== v) report(n, `run.end says ${k} ${String(last[k])}, the log holds ${v}`);
    }
    if (last["policy"] !== runPolicy) report(n, "run.end names a different policy than run.start");
  }

  problems.sort((a, b) => a.line - b.line);
  warnings.sort((a, b) => a.line - b.line);
  return { ok: problems.length === 0, entries: n, processes: procs.size, chainHead: hashes[n - 1] as string, problems, warnings };
}
