// The ask broker over its socket: real asks from libtrajeckt.so and
// hand-made records, answered by an injected prompt function instead of a
// terminal. The library asks only a broker that is the ring's writer (the
// launcher: SO_PEERCRED pid == header writer_pid), so a real round trip goes
// through runAgent (ring, broker and writer in this process); the test
// harness test/preload/run_with_policy.c is its own ring's writer_pid, so a
// broker here that it is pointed at plays a process squatting on the name.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { loadPolicy } from "../../runtime/binding.js";
import { readRingFile } from "../../runtime/audit/records.js";
import { abstractAskAddress, startAskBroker, type AskRequest } from "../../runtime/run/ask-broker.js";
import { runAgent } from "../../runtime/run/launcher.js";
import { mustCompile } from "../support/compile.js";
import { buildC, buildNatives, decisions, encodeRecord, LIB, ROOT, scratch } from "./helpers.js";

let dir: string;
let harness: string;
let trjb: string;
let trj: string;
let policyBytes: Uint8Array;
let runs = 0;

beforeAll(() => {
  buildNatives();
  dir = scratch("ask");
  harness = buildC(join(ROOT, "test", "preload", "run_with_policy.c"), join(dir, "run_with_policy"));
  writeFileSync(join(dir, "asked.txt"), "the asked file\n");
  const source = `policy "ask-test" version "1.0.0"
default allow
rule ask_it: ask file.read if path == "${dir}/asked.txt" timeout 5s
`;
  policyBytes = mustCompile(source);
  trjb = join(dir, "p.trjb");
  writeFileSync(trjb, policyBytes);
  trj = join(dir, "p.trj");
  writeFileSync(trj, source);
});

/** `trajeckt run` in this process: cat the asked file, asks answered by prompt. */
async function runCat(prompt: (r: AskRequest) => boolean): Promise<{ code: number; stdout: string; log: string; seen: AskRequest[] }> {
  const seen: AskRequest[] = [];
  const log = join(dir, `run-${++runs}.jsonl`);
  const out = join(dir, `out-${runs}.txt`);
  let err = "";
  const code = await runAgent({
    policyFile: trj,
    vars: {},
    audit: log,
    mode: "enforce",
    ask: "tty",
    quiet: true,
    command: ["sh", "-c", `cat "$1" > "$2"`, "sh", join(dir, "asked.txt"), out],
    err: (s) => void (err += s),
    prompt: async (r) => (seen.push(r), prompt(r)),
  });
  // (default allow: the policy lets the agent touch the log, and the launcher says so)
  expect(err.split("\n").filter((l) => l !== "" && !l.includes("lets the agent touch its own audit log"))).toEqual([]);
  let stdout = "";
  try {
    stdout = readFileSync(out, "utf8");
  } catch {
    // not written
  }
  return { code, stdout, log, seen };
}

/** Run cat on the asked file under the harness (its own writer_pid), the ring's ask_addr = address. Async: the broker answers meanwhile. */
function catAsked(address: string, ring?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    // spawnSync would block the event loop the broker runs on: run it in a child shell instead
    const c = spawn(harness, [...(ring ? ["--ring", ring] : []), "--ask-addr", "@" + address.slice(1), LIB, trjb, "cat", join(dir, "asked.txt")], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    c.on("close", (status) => res({ status, stdout, stderr }));
  });
}

describe("ask broker", () => {
  it("allows_an_ask_from_the_library_when_the_person_says_yes", async () => {
    const r = await runCat(() => true);
    expect(r.stdout).toBe("the asked file\n");
    expect(r.code).toBe(0);
    expect(r.seen).toHaveLength(1);
    expect(r.seen[0]!.rule).toBe("ask_it");
    expect(r.seen[0]!.timeoutMs).toBe(5000);
    expect(r.seen[0]!.action).toBe(`file.read ${dir}/asked.txt`);
    expect(r.seen[0]!.record.pid).toBeGreaterThan(0);
    expect(decisions(r.log).find((l) => l.verdict === "ask")).toMatchObject({ decision: "allow", rule: "ask_it", cause: "ask-allowed" });
  });

  it("denies_an_ask_from_the_library_when_the_person_says_no", async () => {
    const r = await runCat(() => false);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.seen).toHaveLength(1);
    const d = decisions(r.log).find((l) => l.verdict === "ask");
    expect(d).toMatchObject({ decision: "deny", cause: "ask-denied" });
    expect(d).not.toHaveProperty("error");
  });

  it("denies_without_asking_when_the_process_on_the_address_is_not_the_rings_writer", async () => {
    // the harness's ring names the harness as writer; this broker is another process
    const seen: AskRequest[] = [];
    const b = await startAskBroker({ address: abstractAskAddress(), policy: loadPolicy(policyBytes), prompt: async (r) => (seen.push(r), true) });
    const ring = join(dir, `ring-${++runs}`);
    try {
      const r = await catAsked(b.address, ring);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/Permission denied/);
    } finally {
      await b.close();
    }
    expect(seen).toHaveLength(0); // the record never went to the impostor
    const rec = readRingFile(ring).find((x) => x.fields.path === join(dir, "asked.txt"))!;
    expect([rec.verdict, rec.decision, rec.cause, rec.error]).toEqual(["ask", "deny", "ask-unavailable", 1 /* EPERM */]);
  });

  it("denies_everything_when_no_broker_listens", () => {
    const ring = join(dir, `ring-${++runs}`);
    const r = spawnSync(harness, ["--ring", ring, "--ask-addr", "@trajeckt-nobody-listens", LIB, trjb, "cat", join(dir, "asked.txt")], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
    const rec = readRingFile(ring).find((x) => x.fields.path === join(dir, "asked.txt"))!;
    expect([rec.decision, rec.cause, rec.error]).toEqual(["deny", "ask-unavailable", 111 /* ECONNREFUSED */]);
  });

  it("asks_one_question_at_a_time_and_answers_every_queued_request", async () => {
    let active = 0;
    let maxActive = 0;
    const b = await startAskBroker({
      address: abstractAskAddress(),
      prompt: async () => {
        maxActive = Math.max(maxActive, ++active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return true;
      },
    });
    try {
      const replies = await Promise.all(
        [0, 1, 2, 3].map((i) => ask(b.address, encodeRecord({ kind: "file.read", pid: 100 + i, fields: [{ id: 1, value: Buffer.from(`/f${i}`) }] }))),
      );
      expect(replies).toEqual(["y", "y", "y", "y"]);
      expect(maxActive).toBe(1);
    } finally {
      await b.close();
    }
  });

  it("stops_asking_about_a_request_whose_socket_closed", async () => {
    const prompted: string[] = [];
    const b = await startAskBroker({
      address: abstractAskAddress(),
      prompt: (r, signal) =>
        new Promise((res) => {
          prompted.push(r.action);
          signal.addEventListener("abort", () => res(true)); // never answers on its own
        }),
    });
    try {
      const first = connect({ path: b.address });
      first.write(encodeRecord({ kind: "file.read", fields: [{ id: 1, value: Buffer.from("/first") }] }));
      const second = connect({ path: b.address });
      second.write(encodeRecord({ kind: "file.read", fields: [{ id: 1, value: Buffer.from("/second") }] }));
      await until(() => prompted.length === 1);
      second.destroy(); // hangs up while queued: never asked
      await new Promise((r) => setTimeout(r, 50));
      first.destroy(); // hangs up while asked: the prompt is aborted
      await until(() => b.counts.dropped === 2);
      expect(prompted).toEqual(["file.read /first"]);
      expect(b.counts.asked).toBe(0);
    } finally {
      await b.close();
    }
  });

  it("answers_no_to_a_request_that_is_not_a_record", async () => {
    const b = await startAskBroker({ address: abstractAskAddress(), prompt: async () => true });
    try {
      const bad = Buffer.alloc(64);
      bad.writeUInt32LE(13, 0); // not a multiple of 8, shorter than a record header
      expect(await ask(b.address, bad)).toBe("n");
    } finally {
      await b.close();
    }
  });

  it("escapes_control_characters_in_the_question", async () => {
    let action = "";
    const b = await startAskBroker({ address: abstractAskAddress(), prompt: async (r) => ((action = r.action), false) });
    try {
      expect(await ask(b.address, encodeRecord({ kind: "file.read", fields: [{ id: 1, value: Buffer.from("/x\x1b[2Jy\n") }] }))).toBe("n");
      expect(action).toBe("file.read /x\\x1b[2Jy\\x0a");
    } finally {
      await b.close();
    }
  });
});

function ask(address: string, rec: Buffer): Promise<string> {
  return new Promise((res, rej) => {
    const s = connect({ path: address });
    let got = "";
    s.on("error", rej);
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => res(got));
    s.write(rec);
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
