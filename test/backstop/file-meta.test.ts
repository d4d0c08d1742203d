// The FILE_META bit of the kernel backstop from the agent's side (evasion case
// E23e): Landlock has no metadata rights, so when a policy never allows
// file.meta the seccomp filter refuses chmod, chown, utime and xattr writes by
// number — raw syscalls (test/backstop/meta_probe.c) the library never sees.
// When the policy allows file.meta anywhere, the kernel refuses none of them,
// anywhere: the bit is one for the whole policy.

import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { HDR } from "../../compiler/format.js";
import { buildC, buildNatives, scratch, trajeckt, writePolicy } from "../run/helpers.js";

let dir: string;
let probe: string;
let inside: string;
let outside: string;
let noMeta: string;
let withMeta: string;
let n = 0;

const policyText = (meta: boolean): string => `policy "file-meta-test" version "1.0.0"
default deny
list system = ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev"]
rule system:   allow file.read if path under system
rule work:     allow file.read, file.write, file.create, file.delete, dir.create if path under ${JSON.stringify(join(dir, "work"))}
rule programs: allow exec if exe under ["/usr/bin", "/bin", ${JSON.stringify(join(dir, "bin"))}]
${meta ? `rule work_meta: allow file.meta if path under ${JSON.stringify(join(dir, "work"))}\n` : ""}`;

/** Run the probe under `trajeckt run`; the probe's `op=result` line. */
async function raw(policy: string, op: string, path: string, backstop: "on" | "off" = "on") {
  const log = join(dir, "logs", `audit-${++n}.jsonl`);
  const r = await trajeckt(["run", "--policy", policy, "--audit", log, "--quiet", "--backstop", backstop, "--", probe, op, path]);
  const m = new RegExp(`^${op}=(\\w+)$`, "m").exec(r.stdout);
  return { result: m?.[1] ?? `none (exit ${r.code}: ${r.stderr.trim()})`, r };
}

const mode = (p: string): number => statSync(p).mode & 0o7777;

beforeAll(() => {
  buildNatives();
  dir = scratch("file-meta");
  for (const d of ["bin", "work", "logs"]) mkdirSync(join(dir, d));
  probe = buildC(join(import.meta.dirname, "meta_probe.c"), join(dir, "bin", "meta_probe"), ["-static"]);
  inside = join(dir, "work", "inside.txt");
  outside = join(dir, "outside.txt");
  noMeta = writePolicy(dir, policyText(false), "no-meta.trj");
  withMeta = writePolicy(dir, policyText(true), "with-meta.trj");
}, 120_000);

const reset = (): void => {
  for (const p of [inside, outside]) {
    writeFileSync(p, "x\n");
    chmodSync(p, 0o644);
  }
};

describe("a policy that never allows file.meta", () => {
  it("e23e_a_raw_fchmodat_is_eperm_and_the_mode_is_unchanged", async () => {
    reset();
    expect((await raw(noMeta, "chmod", inside)).result).toBe("EPERM");
    expect((await raw(noMeta, "chmod", outside)).result).toBe("EPERM");
    expect(mode(inside)).toBe(0o644);
    expect(mode(outside)).toBe(0o644);
  });

  it("e23_raw_chown_utimensat_and_setxattr_are_eperm", async () => {
    reset();
    const before = statSync(inside).mtimeMs;
    for (const op of ["chown", "utime", "xattr"]) expect((await raw(noMeta, op, inside)).result, op).toBe("EPERM");
    expect(statSync(inside).mtimeMs).toBe(before);
  });

  it("futimens_to_now_on_an_open_descriptor_is_allowed_so_touch_works", async () => {
    reset();
    expect((await raw(noMeta, "futimens", inside)).result).toBe("ok");
    expect((await raw(noMeta, "futimens-set", inside)).result).toBe("EPERM");
    expect((await raw(noMeta, "utime-high", inside)).result).toBe("EPERM"); // the whole pointer is checked, not its low half
    const made = join(dir, "work", `touched-${n}.txt`);
    const t = await trajeckt(["run", "--policy", noMeta, "--audit", join(dir, "logs", `touch-${n}.jsonl`), "--quiet", "--", "/usr/bin/touch", made]);
    expect(t.stderr).toBe("");
    expect(t.code).toBe(0);
  });

  it("with_the_backstop_off_the_same_raw_fchmodat_succeeds", async () => {
    reset();
    expect((await raw(noMeta, "chmod", inside, "off")).result).toBe("ok");
    expect(mode(inside)).toBe(0o600);
  });
});

describe("a policy that allows file.meta somewhere", () => {
  it("leaves_raw_metadata_calls_to_the_kernel_s_own_checks", async () => {
    reset();
    expect((await raw(withMeta, "chmod", inside)).result).toBe("ok");
    expect(mode(inside)).toBe(0o600);
    expect((await raw(withMeta, "chown", inside)).result).toBe("ok");
    expect((await raw(withMeta, "utime", inside)).result).toBe("ok");
    expect((await raw(withMeta, "xattr", inside)).result).not.toBe("EPERM"); // ok, or ENOTSUP where the filesystem has no user xattrs
  });

  it("the_bit_is_policy_wide_so_a_raw_chmod_outside_the_file_meta_region_is_not_stopped_by_the_kernel", async () => {
    reset();
    expect((await raw(withMeta, "chmod", outside)).result).toBe("ok"); // a documented limit: only the library judges where
    expect(mode(outside)).toBe(0o600);
  });
});

describe("a table compiled before the bit existed", () => {
  it("is_refused_with_recompile_and_the_agent_never_runs", async () => {
    reset();
    const r = compile(policyText(false), { file: "old.trj", examples: false, env: {} });
    expect(r.ok).toBe(true);
    const old = Buffer.from(r.bytes!);
    old.writeUInt16LE(4, HDR.version); // the header is outside the body hash
    const file = join(dir, "old.trjb");
    writeFileSync(file, old);
    const { result, r: run } = await raw(file, "chmod", inside);
    expect(run.code).not.toBe(0);
    expect(result).toMatch(/^none/);
    expect(run.stderr).toMatch(/format version 4.*compiled by an older trajeckt; recompile/);
    expect(mode(inside)).toBe(0o644);
  });
});
