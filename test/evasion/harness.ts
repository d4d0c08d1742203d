// The evasion harness: one scratch tree, the listeners the attacks aim at,
// the probes, and `runCases()` which runs every row of cases.ts under
// `trajeckt run` and asserts the secure outcome (see the header of cases.ts).
//
// Tree ($T, mode 0755 so the setuid case's other uid can walk it):
//   bin/      probes, probes-static, suidcat      read + exec
//   tools/    tool (static, prints TOOL-RAN)      read only, never exec
//   work/     the workspace                       read, write, create, delete
//   ro/       data.txt                            read only
//   secret/   key.txt (the token), inner/          nothing
//   logs/     the audit logs                      nothing
// Listeners (owned by the test, outside the sandbox): TCP 127.0.0.1:NO,
// [::1]:NO, UDP 127.0.0.1:NO, a pathname and an abstract unix socket — all
// denied, every hit counted; TCP/UDP 127.0.0.2:OK allowed (the probes'
// controls) and TCP 127.0.0.1:OK denied (the allowed port at the wrong
// address, which Landlock's port rules let through).

import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import dgram from "node:dgram";
import {
  chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { verifyLog } from "../../runtime/audit/verify.js";
import { BIN, buildNatives, decisions, LIB, ROOT, scratch, trajeckt } from "../run/helpers.js";
import { CASES, type Case, type Ctx } from "./cases.js";

const HERE = join(ROOT, "test", "evasion");
const TOKEN = `TOKEN-${randomBytes(8).toString("hex")}`;
const IS_ROOT = process.getuid?.() === 0;
/**
 * `--backstop on|off` for every run. EVASION_BACKSTOP=off shows what the
 * library holds alone. Unset: on, unless the launcher cannot apply a backstop
 * on this machine/build (it refuses to start: exit 2, "kernel backstop
 * unavailable") — then off, said loudly, and the rows marked "fails without K"
 * run as expected failures.
 */
function backstopMode(): { mode: "on" | "off"; why: string } {
  if (process.env.EVASION_BACKSTOP === "off") return { mode: "off", why: "EVASION_BACKSTOP=off" };
  if (process.env.EVASION_BACKSTOP === "on") return { mode: "on", why: "EVASION_BACKSTOP=on" };
  buildNatives();
  const d = scratch("evasion-canary");
  writeFileSync(join(d, "p.trj"), `policy "canary" version "1.0.0"\ndefault deny\nrule r: allow file.read if path under ["/usr", "/lib", "/etc"]\nrule x: allow exec if exe under "/usr/bin"\n`);
  const r = spawnSync(process.execPath, [BIN, "run", "--policy", join(d, "p.trj"), "--audit", join(d, "a.jsonl"), "--", "/usr/bin/true"], { encoding: "utf8", cwd: d });
  if (r.status === 0) return { mode: "on", why: "the launcher applies it here" };
  const line = (r.stderr.split("\n").find((l) => /backstop/.test(l)) ?? r.stderr).trim();
  return { mode: "off", why: `the launcher cannot apply it here: ${line}` };
}
const { mode: BACKSTOP, why: BACKSTOP_WHY } = backstopMode();
if (BACKSTOP === "off") console.warn(`test/evasion: running WITHOUT the kernel backstop (${BACKSTOP_WHY}); rows marked "fails without K" are expected failures`);
const FURNITURE = new Set(["a", "ok.txt", "link", "dl", "good", "x", "deep", "base64"]);

function policyText(x: Ctx): string {
  const q = (s: string): string => JSON.stringify(s);
  return `policy "evasion" version "1.0.0"
default deny
list system = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev"]
rule read_system:     allow file.read if path under system or path under [${q(x.dir + "/bin")}, ${q(x.dir + "/tools")}, ${q(x.dir + "/ro")}]
rule devices:         allow file.write if path == "/dev/null" or path == "/dev/tty"
rule workspace:       allow file.read, file.write, file.create, file.delete, file.meta, dir.create if path under ${q(x.work)}
rule workspace_moves: allow file.rename, file.link if path under ${q(x.work)} and path2 under ${q(x.work)}
rule programs:        allow exec if exe under ["/usr/bin", "/bin", "/usr/sbin", "/usr/lib", ${q(x.dir + "/bin")}]
rule no_base64:       deny exec if exe == "/usr/bin/base64"
rule net_ok:          allow net.connect, net.send if ip == 127.0.0.2 and port == ${x.portOk}
rule resolve:         allow net.resolve
`;
}

function sha(p: string): string {
  return existsSync(p) ? createHash("sha256").update(readFileSync(p)).digest("hex") : "absent";
}

function listen(srv: net.Server, opts: net.ListenOptions): Promise<number> {
  return new Promise((res, rej) => {
    srv.once("error", rej);
    srv.listen(opts, () => res((srv.address() as net.AddressInfo | null)?.port ?? 0));
  });
}

function bindUdp(sock: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((res, rej) => {
    sock.once("error", rej);
    sock.bind(port, address, () => res());
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function runCases(which: (c: Case, i: number) => boolean, tag: string): void {
  const x = {} as Ctx & { secretPristine: string };
  let hits = 0; // connections / datagrams that reached a denied listener
  const closers: (() => void)[] = [];

  function snapshot(c: Case): Record<string, unknown> {
    const st = statSync(x.secret);
    const s: Record<string, unknown> = {
      secret: sha(x.secret),
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      nlink: st.nlink,
      mtime: st.mtimeMs,
      secretDir: readdirSync(x.secretDir).sort(),
      ro: sha(x.ro),
      tool: sha(x.tool),
      policy: sha(x.policy),
      lib: sha(x.lib),
    };
    if (c.id.startsWith("E23")) {
      const r = spawnSync(x.python, ["-c", "import os,sys; print(os.listxattr(sys.argv[1]))", x.secret], { encoding: "utf8" });
      s.xattr = r.stdout.trim();
    }
    return s;
  }

  // Put back what a breach may have changed, so one hole shows as one failed case
  // and not as a cascade; run before every case.
  function restore(): void {
    if (sha(x.secret) !== sha(x.secretPristine)) writeFileSync(x.secret, `${TOKEN}\n`);
    chmodSync(x.secret, 0o644);
    if (IS_ROOT) chownSync(x.secret, 0, 0);
    utimesSync(x.secret, 1_000_000_000, 1_000_000_000);
    for (const e of readdirSync(x.secretDir)) if (e !== "key.txt" && e !== "inner") rmSync(join(x.secretDir, e), { recursive: true, force: true });
    writeFileSync(x.ro, "read only\n");
    for (const e of readdirSync(x.work)) if (!FURNITURE.has(e) && !/^c\d+$/.test(e)) rmSync(join(x.work, e), { recursive: true, force: true });
    for (const [name, target] of [["good", x.ok], ["x", x.secret]] as const) {
      rmSync(join(x.work, name), { force: true });
      symlinkSync(target, join(x.work, name));
    }
    if (IS_ROOT) spawnSync(x.python, ["-c", "import os,sys\ntry: os.removexattr(sys.argv[1], 'user.evasion')\nexcept OSError: pass", x.secret]);
  }

  beforeAll(async () => {
    buildNatives();
    const d = scratch(`evasion-${tag}`);
    chmodSync(d, 0o755);
    for (const sub of ["bin", "tools", "work", "work/a", "ro", "secret", "secret/inner", "logs"]) mkdirSync(join(d, sub), { recursive: true });
    Object.assign(x, {
      dir: d,
      probe: join(d, "bin", "probes"),
      probeStatic: join(d, "bin", "probes-static"),
      work: join(d, "work"),
      ok: join(d, "work", "ok.txt"),
      secret: join(d, "secret", "key.txt"),
      secretDir: join(d, "secret"),
      inner: join(d, "secret", "inner"),
      ro: join(d, "ro", "data.txt"),
      tool: join(d, "tools", "tool"),
      suidcat: join(d, "bin", "suidcat"),
      unix: join(d, "outside.sock"),
      abstract: `trajeckt-evasion-${randomBytes(6).toString("hex")}`,
      log: "",
      policy: join(d, "policy.trj"),
      lib: LIB,
      python: existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
    } satisfies Partial<Ctx>);
    writeFileSync(x.secret, `${TOKEN}\n`, { mode: 0o644 });
    x.secretPristine = join(d, "key.pristine");
    writeFileSync(x.secretPristine, `${TOKEN}\n`);
    chmodSync(x.secret, 0o644);
    writeFileSync(x.ok, "ok\n");
    writeFileSync(x.ro, "read only\n");
    const cc = (args: string[]): void => void execFileSync("cc", args, { stdio: "inherit" });
    const src = join(HERE, "probes.c");
    cc(["-O2", "-Wall", "-Wextra", "-Werror", src, "-o", x.probe, "-ldl", "-lpthread"]);
    cc(["-O2", "-static", src, "-o", x.probeStatic, "-lpthread", "-Wl,--no-warn-mismatch", "-w"]);
    cc(["-O2", "-static", join(HERE, "tool.c"), "-o", x.tool]);
    chmodSync(x.tool, 0o755);
    if (IS_ROOT) {
      copyFileSync("/usr/bin/cat", x.suidcat);
      chownSync(x.suidcat, 65534, 65534);
      chmodSync(x.suidcat, 0o4755);
    }
    // the path tricks' furniture
    symlinkSync(x.secret, join(x.work, "link"));
    symlinkSync(x.inner, join(x.work, "dl"));
    symlinkSync(x.secret, join(x.work, "c38"));
    for (let i = 37; i >= 0; i--) symlinkSync(join(x.work, `c${i + 1}`), join(x.work, `c${i}`));
    symlinkSync(x.ok, join(x.work, "good"));
    // E01h: the launcher's cwd (the supervisor's) is the workspace; here /proc/self/cwd/base64
    // would name an allowed program for a supervisor resolving it in its own context
    symlinkSync("/usr/bin/true", join(x.work, "base64"));
    execFileSync(x.probe, ["long-build"], { env: { ...process.env, EV_WORK: x.work }, stdio: "ignore" });
    symlinkSync(x.secret, join(x.work, "x"));

    // listeners
    const count = (s: net.Socket): void => {
      hits++;
      s.destroy();
    };
    const tcp4 = net.createServer(count);
    x.portNo = await listen(tcp4, { host: "127.0.0.1", port: 0 });
    const tcp6 = net.createServer(count);
    await listen(tcp6, { host: "::1", port: x.portNo, ipv6Only: true });
    const udpNo = dgram.createSocket("udp4");
    udpNo.on("message", () => hits++);
    await bindUdp(udpNo, x.portNo, "127.0.0.1");
    const okSrv = net.createServer((s) => s.destroy());
    x.portOk = await listen(okSrv, { host: "127.0.0.2", port: 0 });
    const okPortNoAddr = net.createServer(count); // the allowed port at a denied address
    await listen(okPortNoAddr, { host: "127.0.0.1", port: x.portOk });
    const udpOk = dgram.createSocket("udp4");
    await bindUdp(udpOk, x.portOk, "127.0.0.2");
    const unixSrv = net.createServer(count);
    await listen(unixSrv, { path: x.unix });
    const abs = net.createServer(count);
    await listen(abs, { path: `\0${x.abstract}` });
    closers.push(() => tcp4.close(), () => tcp6.close(), () => okPortNoAddr.close(), () => udpNo.close(), () => okSrv.close(), () => udpOk.close(), () => unixSrv.close(), () => abs.close());

    writeFileSync(x.policy, policyText(x));
    // E23e: the same policy without file.meta, so the backstop's FILE_META bit is clear
    const noMeta = policyText(x).replace("file.delete, file.meta, dir.create", "file.delete, dir.create");
    if (noMeta === policyText(x)) throw new Error("harness: the workspace rule no longer reads as expected");
    writeFileSync(join(d, "nometa.trj"), noMeta);
    // E45: a compiled table with a flipped body byte, and a source that does not compile
    const trjb = join(d, "ok.trjb");
    const comp = await trajeckt(["compile", x.policy, "-o", trjb]);
    if (comp.code !== 0) throw new Error(`policy does not compile: ${comp.stderr}`);
    const bytes = readFileSync(trjb);
    bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff;
    writeFileSync(join(d, "corrupt.trjb"), bytes);
    writeFileSync(join(d, "broken.trj"), `policy "broken" version "1.0.0"\ndefault allow\nrule r: allow file.read if path under\n`);
  }, 120_000);

  afterAll(() => {
    for (const c of closers) c();
  });

  describe(`evasion (${tag}, backstop ${BACKSTOP})`, () => {
    for (const c of CASES.filter(which)) {
      const name = `${c.id} [${c.layer}] ${c.title}`;
      const needsRoot = c.id.startsWith("E33") && !IS_ROOT;
      const body = async (ctx: { skip: (note?: string) => void }): Promise<void> => {
        x.log = join(x.dir, "logs", `${c.id}.jsonl`);
        const policy = c.expect.policy ? c.expect.policy(x) : x.policy;
        restore();
        const before = snapshot(c);
        const hitsBefore = hits;
        const envs: Record<string, string> = {
          EV_SECRET: x.secret, EV_SECRET_DIR: x.secretDir, EV_INNER: x.inner, EV_WORK: x.work, EV_OK: x.ok, EV_RO: x.ro,
          EV_TOOL: x.tool, EV_PORT_NO: String(x.portNo), EV_PORT_OK: String(x.portOk), EV_UNIX: x.unix,
          EV_ABSTRACT: x.abstract, EV_LOG: x.log, EV_POLICY: x.policy, EV_LIB: x.lib,
        };
        const r = await trajeckt(["run", "--backstop", BACKSTOP, "--policy", policy, "--audit", x.log, "--", ...c.run(x)], { cwd: x.work, env: envs, timeout: 30_000 });
        await sleep(30); // let a connection or datagram that got through reach its listener
        const out = `${r.stdout}\n${r.stderr}`;
        const unsupported = /^unsupported here: (.*)$/m.exec(r.stdout);
        if (unsupported) return ctx.skip(unsupported[1]);
        const why = `exit ${r.code} ${r.signal ?? ""}\n${out}`;
        // (1) the operation failed
        expect(out, why).not.toContain(TOKEN);
        expect(out, why).not.toContain("TOOL-RAN");
        expect(out, why).not.toMatch(/BREACH/);
        expect(r.code, why).not.toBe(0);
        const argv0 = c.run(x)[0];
        if (!c.expect.refused && (argv0 === x.probe || argv0 === x.probeStatic)) {
          // the agent really ran (a launcher that refuses to start would make every case look secure)
          expect(r.stdout, why).toMatch(/^probe /m);
        }
        if (c.expect.refused) {
          expect(r.code, why).toBe(2);
          expect(out, why).not.toMatch(/^probe |control|attack/m);
        } else if (c.expect.control) {
          expect(out, why).toContain("control ok");
        }
        // (2) the protected resources are unchanged
        expect(snapshot(c)).toEqual(before);
        expect(hits - hitsBefore, "connections/datagrams that reached a denied listener").toBe(0);
        // (3) the log names the operation
        const exp = c.expect.audit?.(x);
        if (exp) {
          const denies = decisions(x.log).filter((l) => l.decision === "deny" && l.kind === exp.kind);
          const hit = denies.find((l) => (exp.path === undefined || l.path === exp.path || l.path2 === exp.path) && (exp.ip === undefined || l.ip === exp.ip));
          expect(hit, `${JSON.stringify(exp)} among\n${denies.map((l) => JSON.stringify(l)).join("\n")}`).toBeDefined();
        }
        if (c.expect.logIntact) {
          const text = readFileSync(x.log, "utf8");
          const lines = text.split("\n").filter((l) => l !== "");
          for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
          expect(lines.at(-1)).toMatch(/"kind":"run\.end"/);
          // no forged allow of the secret, no raw control characters inside a line
          expect(decisions(x.log).filter((l) => l.decision === "allow" && l.path === x.secret)).toEqual([]);
          for (const l of lines) expect(l).not.toMatch(/[\r\u001b]/);
          const rep = verifyLog(text);
          expect(rep.problems).toEqual([]);
        }
      };
      if (needsRoot) it.skip(`${name} (needs root to install a setuid file of another uid)`, body);
      else if (c.known?.startsWith("skip")) it.skip(`${name} — ${c.known}`, body);
      else if (c.known?.startsWith("fails:") || (c.known?.startsWith("fails without K") && BACKSTOP === "off")) it.fails(`${name} — ${c.known}`, body, 40_000);
      else it(name, body, 40_000);
    }
  });
}
