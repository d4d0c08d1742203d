// runtime/audit/records.ts: the mirror of trj_ring.h and the record decoder,
// against a C probe of the header, records built in TypeScript, and records
// published by the real producer (ring_producer.c) into a ring the addon made.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { createRing } from "../../runtime/binding.js";
import {
  AF,
  decodeRecords,
  HDR,
  ipText,
  REC,
  REC_LOST,
  REC_PROC_START,
  REC_SIZE,
  RECF,
  RECF_TRUNCATED,
  readRingFile,
  RING_HEADER_SIZE,
  RING_MAGIC,
  RING_MAX_RECORD,
  type AuditRecord,
} from "../../runtime/audit/records.js";
import { encodeRecord, FileProducer, ringFill, ROOT, tempDir, testPolicy } from "./support.js";

describe("layout", () => {
  it("offsets_and_constants_match_trj_ring_h", () => {
    const dir = tempDir();
    const src = join(dir, "probe.c");
    const hdr = Object.entries(HDR).filter(([k]) => k !== "size");
    const rec = Object.entries(REC);
    const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const cName = (k: string): string => ({ heartbeat_ns: "heartbeat_ns", time_ns: "time_ns", eval_ns: "eval_ns", ask_ms: "ask_ms" })[snake(k)] ?? snake(k);
    const lines = [
      "#include <stdio.h>",
      "#include <stddef.h>",
      '#include "trj_ring.h"',
      "int main(void) {",
      ...hdr.map(([k]) => `  printf("hdr.${k} %zu\\n", offsetof(struct trj_ring_header, ${cName(k)}));`),
      ...rec.map(([k]) => `  printf("rec.${k} %zu\\n", offsetof(struct trj_rec, ${cName(k)}));`),
      '  printf("hdr.size %zu\\n", sizeof(struct trj_ring_header));',
      '  printf("rec.size %zu\\n", sizeof(struct trj_rec));',
      '  printf("magic %u\\nheader %u\\nmaxrec %u\\nlost %u\\nprocstart %u\\n", TRJ_RING_MAGIC, TRJ_RING_HEADER_SIZE, TRJ_RING_MAX_RECORD, TRJ_REC_LOST, TRJ_REC_PROC_START);',
      '  printf("af.ppid %u\\naf.policy_hash %u\\naf.exe_name %u\\nflag.vfork %u\\n", TRJ_AF_PPID, TRJ_AF_POLICY_HASH, TRJ_AF_EXE_NAME, TRJ_RECF_VFORK);',
      "  return 0;",
      "}",
    ];
    writeFileSync(src, lines.join("\n"));
    const bin = join(dir, "probe");
    const cc = spawnSync("cc", ["-std=c11", `-I${ROOT}/native/ring`, src, "-o", bin], { encoding: "utf8" });
    expect(cc.status, cc.stderr).toBe(0);
    const out = spawnSync(bin, { encoding: "utf8" }).stdout;
    const got = Object.fromEntries(out.trim().split("\n").map((l) => l.split(" ") as [string, string]));
    for (const [k, v] of hdr) expect(Number(got[`hdr.${k}`]), `hdr.${k}`).toBe(v);
    for (const [k, v] of rec) expect(Number(got[`rec.${k}`]), `rec.${k}`).toBe(v);
    expect(Number(got["hdr.size"])).toBe(HDR.size);
    expect(Number(got["rec.size"])).toBe(REC_SIZE);
    expect(Number(got["magic"])).toBe(RING_MAGIC);
    expect(Number(got["header"])).toBe(RING_HEADER_SIZE);
    expect(Number(got["maxrec"])).toBe(RING_MAX_RECORD);
    expect(Number(got["lost"])).toBe(REC_LOST);
    expect(Number(got["procstart"])).toBe(REC_PROC_START);
    expect(Number(got["af.ppid"])).toBe(AF.PPID);
    expect(Number(got["af.policy_hash"])).toBe(AF.POLICY_HASH);
    expect(Number(got["af.exe_name"])).toBe(AF.EXE_NAME);
    expect(Number(got["flag.vfork"])).toBe(RECF.VFORK);
  });
});

describe("decodeRecords", () => {
  it("round_trips_every_field_type_built_with_the_header_layout", () => {
    const hash = Buffer.alloc(32, 0xab);
    const bytes = Buffer.concat([
      encodeRecord({ kind: REC_PROC_START, pid: 10, proc: 3, seq: 0, fields: [[AF.EXE, "/bin/sh"], [AF.POLICY_HASH, hash], [AF.PPID, 9], [AF.NOTE, "fork"]] }),
      encodeRecord({
        kind: 8,
        pid: 10,
        tid: 11,
        proc: 3,
        seq: 1,
        decision: 2,
        verdict: 2,
        reason: 0,
        rule: 1,
        flags: RECF.FLAGGED | RECF.VFORK,
        evalNs: 777,
        timeNs: 1_700_000_001_000_000_005n,
        fields: [
          [AF.EXE, "/usr/bin/curl"],
          [AF.ARGV, "curl"],
          [AF.ARGV, new Uint8Array([0xc3, 0x28])],
          [AF.ARGC, 2],
          [AF.CMDLINE, "curl x", RECF_TRUNCATED],
          [AF.CWD, "/wörk"],
        ],
      }),
      encodeRecord({
        kind: 9,
        proc: 3,
        seq: 2,
        cause: 7,
        verdict: 3,
        decision: 2,
        askMs: 12,
        fields: [
          [AF.IP, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])],
          [AF.PORT, 8443],
          [AF.FAMILY, "inet"],
          [AF.HOST, "example.org"],
        ],
      }),
      encodeRecord({ kind: 4, proc: 3, seq: 3, fields: [[AF.PATH, "/a"], [AF.PATH2, "/b"]] }),
    ]);
    const recs = decodeRecords(bytes);
    expect(recs).toHaveLength(4);
    const [ps, ex, nc, mv] = recs as [AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    expect(ps.kind).toBe("proc.start");
    expect(ps.fields).toEqual({ exe: "/bin/sh", policyHash: "ab".repeat(32), ppid: 9, note: "fork" });
    expect(ex).toMatchObject({
      kind: "exec",
      pid: 10,
      tid: 11,
      proc: 3,
      seq: 1,
      decision: "deny",
      verdict: "deny",
      reason: "rule",
      rule: 1,
      flagged: true,
      vfork: true,
      observed: false,
      nested: false,
      evalNs: 777,
      timeNs: 1_700_000_001_000_000_005n,
    });
    expect(ex.fields.argv).toEqual(["curl", new Uint8Array([0xc3, 0x28])]);
    expect(ex.fields.argc).toBe(2);
    expect(ex.fields.cwd).toBe("/wörk");
    expect(ex.fields.truncated).toEqual(["cmdline"]);
    expect(nc).toMatchObject({ kind: "net.connect", verdict: "ask", cause: "ask-unavailable", askMs: 12 });
    expect(nc.fields).toEqual({ ip: "192.0.2.1", port: 8443, family: "inet", host: "example.org" });
    expect(mv.fields).toEqual({ path: "/a", path2: "/b" });
  });

  it("formats_ipv6_like_rfc_5952", () => {
    const b = (...g: number[]): Uint8Array => new Uint8Array(g.flatMap((x) => [x >> 8, x & 255]));
    expect(ipText(b(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).toBe("2001:db8::1");
    expect(ipText(b(0, 0, 0, 0, 0, 0, 0, 1))).toBe("::1");
    expect(ipText(b(0, 0, 0, 0, 0, 0, 0, 0))).toBe("::");
    expect(ipText(b(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1))).toBe("2001:db8:0:1::1");
    expect(ipText(b(1, 0, 2, 3, 4, 5, 6, 7))).toBe("1:0:2:3:4:5:6:7");
  });

  it("rejects_a_field_that_runs_past_its_record", () => {
    const r = encodeRecord({ kind: 0, fields: [[AF.PATH, "/etc/passwd"]] });
    r.writeUInt32LE(4096, REC_SIZE + 4); // field length
    expect(() => decodeRecords(r)).toThrow(/runs past/);
    let bad = "";
    expect(decodeRecords(Buffer.concat([r, encodeRecord({ kind: 0, seq: 1 })]), (why) => (bad = why))).toHaveLength(1);
    expect(bad).toMatch(/runs past/);
  });

  it("rejects_lengths_that_are_not_whole_records", () => {
    const r = encodeRecord({ kind: 0 });
    r.writeUInt32LE(60, 0);
    expect(() => decodeRecords(r)).toThrow(/bad length/);
    expect(() => decodeRecords(encodeRecord({ kind: 0 }).subarray(0, 40))).toThrow(/not a record/);
  });

  it("decodes_unknown_enum_values_fail_closed", () => {
    const [r] = decodeRecords(encodeRecord({ kind: 77, decision: 9, verdict: 9, reason: 9, cause: 99 }));
    expect(r).toMatchObject({ kind: "unknown:77", decision: "deny", verdict: "deny", reason: "eval-error", cause: "unknown" });
  });
});

describe("the real producer", () => {
  it("records_published_by_ring_producer_decode_through_the_addon_and_from_the_file", () => {
    const dir = tempDir();
    const path = join(dir, "ring");
    const ring = createRing({ path, dataSize: 1 << 16 });
    const hash = testPolicy().info().hash;
    ring.configure({ mode: "enforce", ask: "deny", policyHash: Buffer.from(hash, "hex") });
    const r = spawnSync(ringFill(), [path, "sample", hash], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const fromFile = readRingFile(path);
    const buf = ring.read();
    expect(buf).not.toBeNull();
    const recs = decodeRecords(buf as Buffer);
    expect(recs).toEqual(fromFile);
    expect(recs.map((x) => [x.kind, x.seq])).toEqual([
      ["proc.start", 0],
      ["file.read", 1],
      ["exec", 2],
      ["net.connect", 3],
      ["net.connect", 4],
      ["file.rename", 5],
    ]);
    const [ps, rd, ex, v4, v6, mv] = recs as AuditRecord[] as [AuditRecord, AuditRecord, AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    expect(ps.fields).toEqual({ exe: "/usr/bin/python3", policyHash: hash, ppid: 1, note: "exec" });
    expect(ps.pid).toBe(r.pid);
    expect(rd).toMatchObject({ decision: "deny", reason: "rule", rule: 2, evalNs: 321 });
    expect(rd.fields.path).toEqual(new Uint8Array(Buffer.from("/tmp/\xff\xfe", "latin1")));
    expect(ex.flagged).toBe(true);
    expect(ex.fields).toMatchObject({ exe: "/usr/bin/git", argc: 3, cmdline: "git push", truncated: ["cmdline"] });
    expect(ex.fields.argv).toEqual(["git", "push", new Uint8Array([0x80])]);
    expect(v4).toMatchObject({ observed: true, reason: "eval-error", error: 2 });
    expect(v4.fields).toEqual({ ip: "10.0.0.8", port: 443, family: "inet", host: "pypi.org" });
    expect(v6).toMatchObject({ verdict: "ask", cause: "ask-timeout", askMs: 1500, rule: 0 });
    expect(v6.fields.ip).toBe("2001:db8::1");
    expect(mv).toMatchObject({ nested: true, vfork: true, cause: "unresolvable", error: 2 });
    ring.release();
    expect(ring.state().tail).toBe(ring.state().head);
    // released space is zeroed: the file now holds no records
    expect(readRingFile(path)).toEqual([]);
    ring.unmap();
  });

  it("a_producer_that_dies_mid_record_becomes_a_lost_record", () => {
    const ring = createRing({ dataSize: 1 << 16 });
    const d = spawnSync(ringFill(), ["3", "die"], { stdio: ["ignore", "ignore", "pipe", ring.fd], encoding: "utf8" });
    expect(d.status, d.stderr).toBe(0);
    const p = new FileProducer(`/proc/self/fd/${ring.fd}`);
    p.publish({ kind: 0, proc: 1, seq: 0, fields: [[AF.PATH, "/after"]] });
    p.close();
    const recs = decodeRecords(ring.read() as Buffer);
    expect(recs.map((x) => x.kind)).toEqual(["lost", "file.read"]);
    expect(recs[0]?.pid).toBe(d.pid);
    expect(recs[1]?.fields.path).toBe("/after");
    expect(ring.state().writerState).toBe("running");
    ring.unmap();
  });

  it("a_corrupt_record_breaks_the_ring_and_read_throws", () => {
    const ring = createRing({ dataSize: 1 << 16 });
    const p = new FileProducer(`/proc/self/fd/${ring.fd}`);
    const bad = encodeRecord({ kind: 0 });
    bad.writeUInt32LE(60, 0);
    p.put(bad);
    p.close();
    expect(() => ring.read()).toThrow(expect.objectContaining({ code: "ring-corrupt" }));
    expect(ring.state().writerState).toBe("broken");
    ring.unmap();
  });
});
