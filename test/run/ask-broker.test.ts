// The ask broker over its socket: real asks from libtrajeckt.so (through the
// test harness test/preload/run_with_policy.c, which points the ring header's
// ask_addr at the broker) and hand-made records, answered by an injected
// prompt function instead of a terminal.

import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { loadPolicy } from "../../runtime/binding.js";
import { abstractAskAddress, startAskBroker, type AskRequest } from "../../runtime/run/ask-broker.js";
import { mustCompile } from "../support/compile.js";
import { buildC, buildNatives, encodeRecord, LIB, ROOT, scratch } from "./helpers.js";

let dir: string;
let harness: string;
let trjb: string;
let policyBytes: Uint8Array;

beforeAll(() => {
  buildNatives();
  dir = scratch("ask");
  harness = buildC(join(ROOT, "test", "preload", "run_with_policy.c"), join(dir, "run_with_policy"));
  writeFileSync(join(dir, "asked.txt"), "the asked file\n");
  policyBytes = mustCompile(`policy "ask-test" version "1.0.0"
default allow
rule ask_it: ask file.read if path == "${dir}/asked.txt" timeout 5s
`);
  trjb = join(dir, "p.trjb");
  writeFileSync(trjb, policyBytes);
});


/** Run cat on the asked file under the library, the ring's ask_addr = address. Async: the broker answers meanwhile. */
function catAsked(address: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    // spawnSync would block the event loop the broker runs on: run it in a child shell instead
    const c = spawn(harness, ["--ask-addr", "@" + address.slice(1), LIB, trjb, "cat", join(dir, "asked.txt")], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    c.on("close", (status) => res({ status, stdout, stderr }));
  });
}

describe("ask broker", () => {
  it("allows_an_ask_from_the_library_when_the_person_says_yes", async () => {
    const seen: AskRequest[] = [];
    const b = await startAskBroker({ address: abstractAskAddress(), policy: loadPolicy(policyBytes), prompt: async (r) => (seen.push(r), true) });
    try {
      const r = await catAsked(b.address);
      expect(r.stdout).toBe("the asked file\n");
      expect(r.status).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.rule).toBe("ask_it");
      expect(seen[0]!.timeoutMs).toBe(5000);
      expect(seen[0]!.action).toBe(`file.read ${dir}/asked.txt`);
      expect(seen[0]!.record.pid).toBeGreaterThan(0);
      expect(b.counts).toMatchObject({ asked: 1, allowed: 1, denied: 0 });
    } finally {
      await b.close();
    }
  });

  it("denies_an_ask_from_the_library_when_the_person_says_no", async () => {
    const b = await startAskBroker({ address: abstractAskAddress(), policy: loadPolicy(policyBytes), prompt: async () => false });
    try {
      const r = await catAsked(b.address);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/Permission denied/);
      expect(b.counts).toMatchObject({ asked: 1, allowed: 0, denied: 1 });
    } finally {
      await b.close();
    }
  });

  it("denies_everything_when_no_broker_listens", () => {
    const r = spawnSync(harness, ["--ask-addr", "@trajeckt-nobody-listens", LIB, trjb, "cat", join(dir, "asked.txt")], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
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
