// Differential test, exhaustive and small: every edge-case pattern (glob,
// regex, under, literal, int range, address block) against every edge-case
// value, decided by the compiled core and by the reference evaluator. Random
// policies explore combinations; this file pins the corners of each operator.

import { describe, expect, it } from "vitest";

import { compile } from "../../compiler/index.js";
import { loadPolicy, type Action } from "../../runtime/binding.js";
import { ReferencePolicy } from "../oracle/reference-eval.js";
import { core, oracle } from "./compare.js";

const lat = (s: string): Buffer => Buffer.from(s, "latin1");

const PATH_VALUES: (string | Buffer)[] = [
  "/", "//", "/a", "/a/", "/a/b", "/a/b/", "/a//b", "/ab", "/a/x/b", "/a/x/y/b", "/x", "/x/y", "/b", "/a/b/c", "/]", "/-",
  "/*", "/\\", "/é", lat("/\xff"), lat("/\xe9"), "/a\0", "/a/\0", lat("/a\0/b"), "/\n", "/a/\n/b", "/{x}", "/.ssh/x",
  "/h/.ssh/k", "/h/.sshx/k", "/h/.ssh", "/k.pem", "/x/k.pem", "/x/k.pem/y", "/A", "/A/B", "/aa", "/a/.", "/a/..", "/xb",
  "/a/bx", lat("/a/\xc3\xa9"), "/a b", "/\t", "/" + "a".repeat(300), "/a/" + "b/".repeat(200) + "c",
];

const GLOBS = [
  "/a/**", "/a/**/", "/**/b", "**", "**/", "/a/**b", "/a/b**", "/{a,b}/**", "/x/{,y}", "/[]a]", "/[!]a]", "/[a-]",
  "/[-a]", "/\\\\*", "/\\\\\\\\", "/a\\\\/b", "/{a,b{c,d}}", "/é?", "/?", "/*/", "/**/*/", "**/x/**/y", "/a/***/b", "/a/**/**/b",
  "/\\\\{x\\\\}", "**/.ssh/**", "**/*.pem", "/*", "/a/*", "/a/*/b", "/a?", "/[A-Z]", "/[!a-z]", "/[^a]", "/a/[!.]*", "/{a,A}/*",
  "/**/", "/a/**/b/**", "/*/*", "/**/**", "**/a", "/?/?", "/a/**/x/**/b", "/[\\\\]]", "/a{,/b}", "/{a,b/**}/c",
  "/x/{**/y,z}",
  // open bugs, see regressions.test.ts and gen.ts
  "/{a,**}/x", "/\\xff*", "/a/\\x80?",
];
const REGEXES = [
  "^\\/a$", "a|^\\/b", "(a|)b", "a{0}", "\\/a{2,3}", "[\\s]", "[\\S]", "\\W", "[^\\d]", "[a\\-z]", "[\\]]", "\\.", "\\^",
  "a.c", "(?:)", "x*", "^.*$", "\\cJ", "\\u{1F600}", "\\u00e9", "[\\x00-\\x1f]", "\\0", "é+", "^\\/[^a]$", "(?<n>x)",
  "a+?", "^(\\/|a|b)*c$", "[\\b]", "\\/", "^\\/$", "^\\/", "\\/$", "\\xff", "\\xe9", "[\\x80-\\xff]", "^\\/.$", "^\\/..$",
  "\\n", "^\\/a\\n", "A", "(?:a|b)\\/(?:b|c)", "\\.pem$", "ssh\\/", "\\/\\.ssh\\/", "b{2,}", ".{300}", "^[\\s\\S]*$",
  "^\\/a\\/(?:b\\/)*c$", "(a|ab)(c|bcd)?$",
];
const DIRS = ["/", "//", "/a", "/a/", "/a//", "/é", "/a\\0", "/\\xff", "/a/b", "/.ssh", "/A", "/a/b/"];
const LITS = ["/", "/a", "/a/", "/é", "/\\xe9", "/\\xff", "/a\\0", "/a\\n", "/\\xc3\\xa9"];

interface Case {
  kind: Action["kind"];
  cond: string;
  actions: Action[];
}

const cases: Case[] = [];
const files = (f: string) => PATH_VALUES.map((v) => ({ kind: "file.read", path: v }) as Action);
for (const g of GLOBS) cases.push({ kind: "file.read", cond: `path matches "${g}"`, actions: files("path") });
for (const r of REGEXES) {
  cases.push({ kind: "file.read", cond: `path =~ /${r}/`, actions: files("path") });
  cases.push({ kind: "file.read", cond: `path =~ /${r}/i`, actions: files("path") });
}
for (const d of DIRS) cases.push({ kind: "file.read", cond: `path under "${d}"`, actions: files("path") });
for (const l of LITS) {
  cases.push({ kind: "file.read", cond: `path == "${l}"`, actions: files("path") });
  cases.push({ kind: "file.read", cond: `path != "${l}"`, actions: files("path") });
}

const PORTS: unknown[] = [0, 1, 21, 22, 23, 443, 1023, 1024, 65534, 65535, 65536, 70000, -1, -(2 ** 53) + 1, 2 ** 53 - 1, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, undefined];
for (const c of [
  "port < 1024", "port <= 65535", "port >= 0", "port > 0", "port == 0", "port != 22", "port in [22, 70000]", "port >= 65535",
  "port < 65535", "port > 65534", "not (port < 1024)", "port <= 0", "port in [0, 65535]", "port > -5", "port < 100000",
]) {
  cases.push({ kind: "net.connect", cond: c, actions: PORTS.map((p) => ({ kind: "net.connect", port: p }) as Action) });
}
const ARGCS: unknown[] = [0, 1, 2, 3, 2 ** 31 - 1, 2 ** 31, -1, undefined];
for (const c of ["argc < 2", "argc >= 0", "argc <= 2147483647", "argc == 0", "argc > 2147483646", "argc != 1"]) {
  cases.push({
    kind: "exec",
    cond: c,
    actions: [
      ...ARGCS.map((n) => ({ kind: "exec", exe: "/x", cmdline: "x", argc: n }) as Action),
      { kind: "exec", exe: "/x", argv: [] } as Action,
      { kind: "exec", exe: "/x", argv: ["a", "b"] } as Action,
    ],
  });
}
const AMOUNTS: unknown[] = [0, 1, -1, 1000, 1001, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 63n, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, NaN, Infinity, -0];
for (const c of ["args.amount > 1000", "args.amount <= -1", "args.amount != 0", "args.amount in [0, 1001]", "args.amount >= -9007199254740991"]) {
  cases.push({ kind: "tool.call", cond: c, actions: AMOUNTS.map((n) => ({ kind: "tool.call", tool: "t", args: { amount: n } }) as Action) });
}
const IPS = [
  "10.0.0.0", "10.255.255.255", "11.0.0.0", "9.255.255.255", "::ffff:10.1.2.3", "::ffff:a01:203", "::a01:203", "::1", "::",
  "fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::", "127.0.0.1", "0.0.0.0", "255.255.255.255", "::ffff:0.0.0.0",
  "::ffff:255.255.255.255", "169.254.169.254", "FD00::1", "0:0:0:0:0:ffff:a00:1", "1.2.3.4", "01.2.3.4", "1.2.3", " 1.2.3.4",
  "::ffff:1.2.3.4.5", "fe80::1%lo", "", "1.2.3.4\0", "::ffff:10.0.0.1",
];
for (const c of [
  "ip in 10.0.0.0/8", 'ip in "fd00::/8"', 'ip in "::ffff:0:0/96"', "ip in 0.0.0.0/0", 'ip in "::/0"', "ip == 127.0.0.1",
  'ip == "::1"', 'ip != "::ffff:10.0.0.1"', 'ip in ["::/128", 255.255.255.255/32]', 'ip in "::a00:0/104"', "ip in 10.0.0.0/32",
]) {
  cases.push({ kind: "net.connect", cond: c, actions: IPS.map((ip) => ({ kind: "net.connect", ip }) as Action) });
}

describe("operator corners: compiled core == reference evaluator", () => {
  it(`agrees on ${cases.length} single-comparison policies`, () => {
    const problems: string[] = [];
    let compared = 0;
    for (const c of cases) {
      const source = `policy "p" version "1.0.0"\ndefault deny\nrule m: allow ${c.kind} if ${c.cond}\nrule f: flag ${c.kind} if not (${c.cond})\n`;
      const r = compile(source, { file: "p.trj", examples: false, env: {} });
      if (!r.ok || !r.bytes || !r.policy) {
        problems.push(`does not compile: ${c.cond}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
        continue;
      }
      let p;
      try {
        p = loadPolicy(r.bytes);
      } catch (e) {
        problems.push(`does not load: ${c.cond}: ${String(e)}`);
        continue;
      }
      const ref = new ReferencePolicy(r.policy, {});
      for (const a of c.actions) {
        const got = core(p.evaluate(a));
        const want = oracle(ref.evaluate(a));
        compared++;
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          const v = Object.entries(a).filter(([k]) => k !== "kind").map(([k, x]) => `${k}=${Buffer.isBuffer(x) ? `Buffer(${JSON.stringify(x.toString("latin1"))})` : typeof x === "bigint" ? `${x}n` : JSON.stringify(x)}`);
          problems.push(`${c.cond} on ${v.join(" ")}: core ${got.why}:${got.decision}/${got.rule} oracle ${want.why}:${want.decision}/${want.rule}`);
        }
      }
    }
    console.log(`operator corners: ${cases.length} policies, ${compared} comparisons, ${problems.length} problems`);
    expect(problems).toEqual([]);
  });
});
