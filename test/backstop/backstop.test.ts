// The kernel backstop (compiler/lower/backstop.ts → BACKSTOP section): the
// region each policy compiles to, the warnings, the round trip through the C
// core's verifier and trj_backstop(), and a property: every action the core
// allows on a random policy lies inside the region.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { describeBackstop, readBackstop, type BackstopEntry } from "../../compiler/disasm.js";
import { BS, BS_KIND, BSM } from "../../compiler/format.js";
import { metaText, rightsText } from "../../compiler/lower/backstop.js";
import { loadPolicy, type Action } from "../../runtime/binding.js";
import { actionArb, policyArbOf, printPolicy } from "../differential/gen.js";

const root = join(import.meta.dirname, "../..");

function build(rules: string, def = "deny") {
  const source = `policy "t" version "1.0.0"\ndefault ${def}\n${rules}\n`;
  const r = compile(source, { file: "t.trj", examples: false, env: {} });
  if (!r.ok || !r.bytes) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r;
}

const show = (e: BackstopEntry): string =>
  e.kind === BS_KIND.META ? `meta ${metaText(e.access)}`
  : e.kind === BS_KIND.PATH ? `path ${e.path} ${rightsText(e.access)}`
  : `${e.kind === BS_KIND.TCP_CONNECT ? "connect" : "bind"} ${e.port}`;

const region = (rules: string, def = "deny") => readBackstop(build(rules, def).bytes!).map(show);

describe("backstop region", () => {
  const rows: Array<[string, string, string[]]> = [
    ["nothing allowed", `rule d: deny file.read if path under "/etc"`, ["meta none"]],
    ["under is the tree", `rule r: allow file.read if path under "/usr"`, ["meta none", "path /usr read,read_dir"]],
    ["== is the file itself", `rule r: allow file.write if path == "/dev/null"`, ["meta none", "path /dev/null write,truncate"]],
    ["in is each value", `rule r: allow file.read if path in ["/a/x", "/b/y"]`, ["meta none", "path /a/x read,read_dir", "path /b/y read,read_dir"]],
    ["glob: its literal directory", `rule r: allow file.read if path matches "/tmp/*.log"`, ["meta none", "path /tmp read,read_dir"]],
    ["glob cut inside a name", `rule r: allow file.read if path matches "/work/ab*"`, ["meta none", "path /work read,read_dir"]],
    ["glob anywhere: /", `rule r: allow file.read if path matches "**/*.md"`, ["meta none", "path / read,read_dir"]],
    ["anchored regex", `rule r: allow file.read if path =~ /^\\/srv\\/data\\/.*\\.csv$/`, ["meta none", "path /srv/data read,read_dir"]],
    ["unanchored regex: /", `rule r: allow file.read if path =~ /secret/`, ["meta none", "path / read,read_dir"]],
    ["and keeps the narrower side", `rule r: allow file.read if path under "/work" and path matches "**/*.md"`, ["meta none", "path /work read,read_dir"]],
    ["or is the union", `rule r: allow file.read if path under "/a" or path under "/b"`, ["meta none", "path /a read,read_dir", "path /b read,read_dir"]],
    ["not is everything", `rule r: allow file.read if not (path under "/etc")`, ["meta none", "path / read,read_dir"]],
    ["deny never shrinks", `rule r: allow file.read if path under "/"\nrule d: deny file.read if path under "/etc"`, ["meta none", "path / read,read_dir"]],
    ["create: parent of an exact path", `rule c: allow file.create if path == "/a/b"`, ["meta none", "path /a create"]],
    ["create: the tree of under", `rule c: allow file.create, file.delete, dir.create if path under "/w"`, ["meta none", "path /w create,mkdir,remove"]],
    ["rename: both parents", `rule m: allow file.rename if path under "/a" and path2 == "/b/c"`, ["meta none", "path /a create,remove,refer", "path /b create,remove,refer"]],
    ["file.meta: no rights, the whole-policy bit", `rule m: allow file.meta if path under "/a"`, ["meta file_meta"]],
    ["file.meta beside other kinds", `rule m: allow file.read, file.meta if path under "/w"`, ["meta file_meta", "path /w read,read_dir"]],
    ["file.meta under ask", `rule m: ask file.meta if path == "/w/x"`, ["meta file_meta"]],
    ["file.meta denied only: no bit", `rule d: deny file.meta if path under "/"`, ["meta none"]],
    ["writes without file.meta: no bit", `rule w: allow file.write, file.create if path under "/w"`, ["meta none", "path /w write,truncate,create"]],
    ["exec of one program", `rule x: allow exec if exe == "/usr/bin/git"`, ["meta none", "path /usr/bin/git exec"]],
    ["exec by argv: anywhere, and exec of a descriptor", `rule x: allow exec if argv[1] == "status"`, ["meta exec_fd", "path / exec"]],
    ["merge drops covered paths", `rule a: allow file.read if path under "/usr"\nrule b: allow file.read if path under "/usr/lib"\nrule w: allow file.write if path under "/usr/lib/x"`,
      ["meta none", "path /usr read,read_dir", "path /usr/lib/x write,truncate"]],
    ["ports", `rule n: allow net.connect if port in [443, 80]\nrule b: allow net.bind if port == 8080`, ["meta inet,inet6,unix", "connect 80", "connect 443", "bind 8080"]],
    ["any port", `rule n: ask net.connect if ip in 10.0.0.0/8`, ["meta tcp_connect_any,inet,inet6,unix"]],
    ["unix only: no tcp", `rule n: allow net.connect if family == "unix"`, ["meta unix"]],
    ["netlink only when named", `rule n: allow net.send if family in ["netlink", "inet"]`, ["meta inet,netlink"]],
    ["flag counts as allow", `rule f: flag file.read if path under "/var/log"`, ["meta none", "path /var/log read,read_dir"]],
    ["default allow: everything", `rule d: deny file.read if path under "/etc"`, ["meta tcp_connect_any,tcp_bind_any,inet,inet6,unix,netlink,other,exec_fd,file_meta", "path / read,read_dir,write,truncate,create,mkdir,remove,exec,refer"]],
  ];
  for (const [name, rules, want] of rows) {
    it(name, () => expect(region(rules, name.startsWith("default allow") ? "allow" : "deny")).toEqual(want));
  }

  it("non-normalized literals become their normalized form", () => {
    expect(region(`rule r: allow file.read if path under "/tmp//" or path == "/a/./b/../c"`)).toEqual(["meta none", "path /a/c read,read_dir", "path /tmp read,read_dir"]);
  });

  it("shipped policies: coding-agent allows file.meta in its workspace, read-only never", () => {
    const meta = (f: string) => {
      const r = compile(readFileSync(join(root, "policies", `${f}.trj`), "utf8"), { file: `${f}.trj`, examples: false, env: {} });
      return readBackstop(r.bytes!)[0]!.access & BSM.FILE_META;
    };
    expect(meta("coding-agent")).toBe(BSM.FILE_META);
    expect(meta("no-network")).toBe(BSM.FILE_META); // default allow
    expect(meta("read-only")).toBe(0);
  });
});

describe("backstop warnings", () => {
  const codes = (rules: string, def = "deny") => build(rules, def).diagnostics.map((d) => `${d.code} ${d.loc.start.line}:${d.loc.start.col}`);

  it("names the rights and the pattern that made them /", () => {
    const r = build(`rule notes: allow file.read if path matches "**/*.md"`);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.code).toBe("backstop-wide");
    expect(r.diagnostics[0]!.message).toContain("grants read, read_dir on / because `path matches \"**/*.md\"` has no fixed directory");
  });
  it("names a rule that leaves the field unconstrained", () => {
    expect(build(`rule x: allow exec if argv[1] == "status"`).diagnostics[0]!.message).toContain("rule `x` does not constrain `exe`");
  });
  it("is quiet when the policy asks for / itself, or a fixed directory holds it", () => {
    expect(codes(`rule r: allow file.read if path under "/"\nrule w: allow file.read if path under "/w" and path matches "**/*.md"`)).toEqual([]);
  });
  it("is quiet under default allow (the backstop is / anyway), and check --backstop says so", () => {
    expect(codes(`rule x: allow exec if argv[1] == "status"`, "allow")).toEqual([]);
    expect(describeBackstop(build(`rule x: deny exec if argv[1] == "status"`, "allow").bytes!)).toContain("default allow: the backstop bounds nothing");
  });
  it("shipped policies stay warning-free", () => {
    for (const f of ["coding-agent", "read-only", "no-network"]) {
      const src = readFileSync(join(root, "policies", `${f}.trj`), "utf8");
      const r = compile(src, { file: `${f}.trj`, examples: false, env: {} });
      expect(r.diagnostics.filter((d) => d.severity === "warning"), f).toEqual([]);
    }
  });
});

describe("backstop through the C core", () => {
  const dir = mkdtempSync(join(tmpdir(), "trj-bs-"));
  const probe = join(dir, "probe");
  execFileSync("make", ["-s", "-C", join(root, "native"), "core"]);
  execFileSync("cc", ["-std=c11", "-Wall", "-Werror", "-I", join(root, "native/core"), "-o", probe, join(import.meta.dirname, "probe.c"), join(root, "native/out/libtrjcore.a")]);

  it("trj_backstop returns exactly the entries the compiler emitted", () => {
    const r = build(`rule a: allow file.read if path under "/usr"\nrule b: allow exec if exe in ["/bin/sh", "/usr/bin/git"]\nrule n: allow net.connect if port == 443\nrule c: allow file.create if path == "/tmp/x"`);
    const file = join(dir, "t.trjb");
    writeFileSync(file, r.bytes!);
    const got = execFileSync(probe, [file], { encoding: "utf8" }).split("\n").filter((l) => l !== "");
    const want = readBackstop(r.bytes!).map((e) => `${e.kind} ${e.access} ${e.port} ${e.path}`);
    expect(got).toEqual(want);
    expect(got).toEqual([
      `0 ${BSM.FAMILY_INET | BSM.FAMILY_INET6 | BSM.FAMILY_UNIX} 0 `,
      `1 ${BS.EXEC} 0 /bin/sh`, `1 ${BS.CREATE} 0 /tmp`, `1 ${BS.READ | BS.READ_DIR} 0 /usr`, `1 ${BS.EXEC} 0 /usr/bin/git`,
      "2 0 443 ",
    ]);
  });

  it("check --backstop prints it for people", () => {
    const text = describeBackstop(build(`rule a: allow file.read if path under "/usr"\nrule n: allow net.connect if port == 443`).bytes!);
    expect(text).toContain(`"/usr"  read, read_dir`);
    expect(text).toContain("tcp connect: 443");
    expect(text).toContain("socket families: inet, inet6, unix");
    expect(text).toContain("metadata changes (chmod, chown, utime, xattr): refused");
    expect(describeBackstop(build(`rule m: allow file.meta if path under "/w"`).bytes!)).toContain("metadata changes (chmod, chown, utime, xattr): allowed");
  });
});

// ---- the property: what the core allows lies inside the region ------------------

const NEED: Partial<Record<string, Array<[string, number]>>> = {
  "file.read": [["path", BS.READ]],
  "file.write": [["path", BS.WRITE]],
  "file.create": [["path", BS.CREATE]],
  "file.delete": [["path", BS.REMOVE]],
  "dir.create": [["path", BS.MKDIR]],
  "file.rename": [["path", BS.REFER], ["path2", BS.REFER]],
  "file.link": [["path", BS.REFER], ["path2", BS.REFER]],
  exec: [["exe", BS.EXEC]],
};

function within(a: Buffer, b: Buffer): boolean {
  if (b.length === 1 && b[0] === 0x2f) return true;
  return a.length >= b.length && a.subarray(0, b.length).equals(b) && (a.length === b.length || a[b.length] === 0x2f);
}

/** Rights the region grants at value v: Landlock inherits, so the union over every entry above it. */
function rightsAt(entries: BackstopEntry[], v: Buffer): number {
  let r = 0;
  for (const e of entries) if (e.kind === BS_KIND.PATH && within(v, Buffer.from(e.path, "latin1"))) r |= e.access;
  return r;
}

describe("every allowed action lies inside the backstop (random policies)", () => {
  it("holds for the core's allow, flag and ask decisions", () => {
    let checked = 0;
    fc.assert(
      fc.property(policyArbOf(5, 20), fc.array(actionArb, { minLength: 60, maxLength: 60 }), (gp, actions) => {
        const r = compile(printPolicy(gp), { file: "gen.trj", examples: false, vars: gp.vars, env: {} });
        if (!r.ok || !r.bytes) return true;
        const entries = readBackstop(r.bytes);
        const meta = entries[0]!.access;
        const policy = loadPolicy(r.bytes);
        for (const a of actions) {
          const d = policy.evaluate(a as Action);
          if (d.decision === "deny") continue;
          for (const [field, right] of NEED[a.kind] ?? []) {
            const raw = a[field];
            const v = typeof raw === "string" ? Buffer.from(raw, "utf8") : Buffer.isBuffer(raw) ? raw : null;
            if (v === null) continue;
            checked++;
            expect(rightsAt(entries, v) & right, `${a.kind} ${field}=${JSON.stringify(raw)} allowed by ${d.rule}\n${printPolicy(gp)}`).toBe(right);
          }
          if (a.kind === "file.meta") {
            checked++;
            expect(meta & BSM.FILE_META, `file.meta allowed by ${d.rule}\n${printPolicy(gp)}`).not.toBe(0);
          }
          if ((a.kind === "net.connect" || a.kind === "net.bind") && (a.family === "inet" || a.family === "inet6") && typeof a.port === "number" && a.port >= 0 && a.port <= 65535) {
            checked++;
            const any = a.kind === "net.connect" ? BSM.TCP_CONNECT_ANY : BSM.TCP_BIND_ANY;
            const kind = a.kind === "net.connect" ? BS_KIND.TCP_CONNECT : BS_KIND.TCP_BIND;
            const ok = (meta & any) !== 0 || entries.some((e) => e.kind === kind && e.port === a.port);
            expect(ok, `${a.kind} port ${a.port} allowed by ${d.rule}\n${printPolicy(gp)}`).toBe(true);
            expect(meta & (a.family === "inet" ? BSM.FAMILY_INET : BSM.FAMILY_INET6)).not.toBe(0);
          }
        }
        return true;
      }),
      { numRuns: Number(process.env.TRJ_BS_RUNS ?? 150) },
    );
    expect(checked).toBeGreaterThan(100);
  }, 120_000);
});
