// Hand-written cases for the reference evaluator, so that a disagreement with
// the compiler and the C core can be blamed on the right side.

import { describe, expect, it } from "vitest";

import {
  globMatches,
  ipBlock,
  parseIp,
  readField,
  referenceFromSource,
  regexMatches,
  translateRegex,
  underMatches,
  type Action,
  type OracleOptions,
} from "./reference-eval.js";

const HEADER = 'policy "t" version "1.0.0"\n';

function policy(body: string, def = "deny", opts: OracleOptions = {}) {
  return referenceFromSource(`${HEADER}default ${def}\n${body}\n`, opts);
}

function decide(body: string, action: Action, def = "deny", opts: OracleOptions = {}) {
  return policy(body, def, opts).evaluate(action);
}

const b = (s: string): string => Buffer.from(s, "latin1").toString("latin1");

describe("under", () => {
  it("matches the directory itself and what is below it, by path component", () => {
    expect(underMatches("/work", "/work")).toBe(true);
    expect(underMatches("/work", "/work/a")).toBe(true);
    expect(underMatches("/work", "/work/")).toBe(true);
    expect(underMatches("/work", "/workspace")).toBe(false);
    expect(underMatches("/work", "/wor")).toBe(false);
    expect(underMatches("/work", "/")).toBe(false);
  });
  it("strips trailing slashes from the directory", () => {
    expect(underMatches("/work/", "/work")).toBe(true);
    expect(underMatches("/work//", "/work/x")).toBe(true);
    expect(underMatches("/work/", "/workspace")).toBe(false);
  });
  it('treats "/" as every absolute path', () => {
    expect(underMatches("/", "/")).toBe(true);
    expect(underMatches("/", "/etc/passwd")).toBe(true);
    expect(underMatches("/", "etc")).toBe(false);
    expect(underMatches("/", "")).toBe(false);
  });
  it("compares bytes: NUL and high bytes are not separators", () => {
    expect(underMatches("/work", "/work\0/x")).toBe(false);
    expect(underMatches("/work", "/work/\0")).toBe(true);
    expect(underMatches("/w\xe9", "/w\xe9/x")).toBe(true);
    expect(underMatches("/w\xe9", "/w\xc9/x")).toBe(false);
  });
});

describe("globs (full match)", () => {
  it("* stays inside a component", () => {
    expect(globMatches("/tmp/*", "/tmp/a")).toBe(true);
    expect(globMatches("/tmp/*", "/tmp/")).toBe(true);
    expect(globMatches("/tmp/*", "/tmp/a/b")).toBe(false);
    expect(globMatches("/tmp/*.txt", "/tmp/x.txt")).toBe(true);
    expect(globMatches("/tmp/*.txt", "/tmp/x.txt.bak")).toBe(false);
    expect(globMatches("*", "/a")).toBe(false);
  });
  it("** as a component crosses directories; **/ also matches zero directories", () => {
    expect(globMatches("**/.ssh/**", "/.ssh/x")).toBe(true);
    expect(globMatches("**/.ssh/**", "/home/u/.ssh/id")).toBe(true);
    expect(globMatches("**/.ssh/**", "/home/u/.ssh/a/b")).toBe(true);
    expect(globMatches("**/.ssh/**", "/home/u/.sshx/id")).toBe(false);
    expect(globMatches("**/.ssh/**", "/home/u/.ssh")).toBe(false);
    expect(globMatches("/a/**/b", "/a/b")).toBe(true);
    expect(globMatches("/a/**/b", "/a/x/y/b")).toBe(true);
    expect(globMatches("/a/**/b", "/a/xb")).toBe(false);
    expect(globMatches("/a/**", "/a/b/c")).toBe(true);
    expect(globMatches("/a/**", "/a/")).toBe(true);
    expect(globMatches("/a/**", "/a")).toBe(false);
    expect(globMatches("**/*.pem", "/k.pem")).toBe(true);
    expect(globMatches("**/*.pem", "/x/y/k.pem")).toBe(true);
    expect(globMatches("**", "/anything/at/all")).toBe(true);
  });
  it("** that is not a whole component is *", () => {
    expect(globMatches("/a/x**", "/a/xyz")).toBe(true);
    expect(globMatches("/a/x**", "/a/x/y")).toBe(false);
    expect(globMatches("/a/**x", "/a/b/x")).toBe(false);
    expect(globMatches("/a/**x", "/a/bx")).toBe(true);
  });
  it("? and classes are one byte, never /", () => {
    expect(globMatches("/a?c", "/abc")).toBe(true);
    expect(globMatches("/a?c", "/a/c")).toBe(false);
    expect(globMatches("/a?c", "/a\xe9c")).toBe(true);
    expect(globMatches("/a?c", b("/a\xc3\xa9c"))).toBe(false); // é in UTF-8 is two bytes
    expect(globMatches("/[abc]", "/b")).toBe(true);
    expect(globMatches("/[a-c]x", "/cx")).toBe(true);
    expect(globMatches("/[!a-c]", "/d")).toBe(true);
    expect(globMatches("/[!a-c]", "/a")).toBe(false);
    expect(globMatches("/[^a-c]", "/\xff")).toBe(true);
    expect(globMatches("/a[!x]b", "/a/b")).toBe(false);
    expect(globMatches("/[]]", "/]")).toBe(true);
  });
  it("braces are alternatives and may nest", () => {
    expect(globMatches("/{a,b}/x", "/a/x")).toBe(true);
    expect(globMatches("/{a,b}/x", "/b/x")).toBe(true);
    expect(globMatches("/{a,b}/x", "/c/x")).toBe(false);
    expect(globMatches("/{a,b{c,d}}", "/bd")).toBe(true);
    expect(globMatches("/{a,**}/x", "/p/q/x")).toBe(true);
    expect(globMatches("/x.{pem,key}", "/x.key")).toBe(true);
  });
  it("escapes and non-ASCII", () => {
    expect(globMatches("/a\\*", "/a*")).toBe(true);
    expect(globMatches("/a\\*", "/ab")).toBe(false);
    expect(globMatches("/é", b("/\xc3\xa9"))).toBe(true);
    expect(globMatches("/\udcff", "/\xff")).toBe(true); // "\xff" in a policy string
  });
  it("NUL and newline are ordinary bytes for * and **", () => {
    expect(globMatches("/tmp/*", "/tmp/a\0b")).toBe(true);
    expect(globMatches("/tmp/*", "/tmp/a\nb")).toBe(true);
    expect(globMatches("**/.ssh/**", "/h\0/.ssh/\n")).toBe(true);
  });
});

describe("regexes (search, bytes)", () => {
  it("searches unless anchored", () => {
    expect(regexMatches("base64", "", "echo | base64 -d")).toBe(true);
    expect(regexMatches("^base64", "", "echo | base64 -d")).toBe(false);
    expect(regexMatches("-d$", "", "echo | base64 -d")).toBe(true);
    expect(regexMatches("^a|b$", "", "xb")).toBe(true);
    expect(regexMatches("^a|b$", "", "bx")).toBe(false);
    expect(regexMatches("^ab$", "", "ab\n")).toBe(false);
  });
  it(". matches every byte, newline and NUL included", () => {
    expect(regexMatches("curl.*sh", "", "curl x\n| sh")).toBe(true);
    expect(regexMatches("a.b", "", "a\0b")).toBe(true);
    expect(regexMatches("^.$", "", b("\xc3\xa9"))).toBe(false);
    expect(regexMatches("^..$", "", b("\xc3\xa9"))).toBe(true);
  });
  it("\\s \\d \\w are ASCII; i folds ASCII only", () => {
    expect(regexMatches("a\\sb", "", "a\xa0b")).toBe(false);
    expect(regexMatches("a\\sb", "", "a\tb")).toBe(true);
    expect(regexMatches("\\w", "", "\xe9")).toBe(false);
    expect(regexMatches("\\W", "", "\xe9")).toBe(true);
    expect(regexMatches("CURL", "i", "curl")).toBe(true);
    expect(regexMatches("[a-c]x", "i", "BX")).toBe(true);
    expect(regexMatches("[^a]", "i", "A")).toBe(false);
    expect(regexMatches("\\xe9", "i", "\xc9")).toBe(false);
    expect(regexMatches("é", "i", b("\xc3\x89"))).toBe(false);
    expect(regexMatches("é", "", b("x\xc3\xa9"))).toBe(true);
  });
  it("\\xHH is one raw byte; \\u is UTF-8", () => {
    expect(regexMatches("\\xff", "", "a\xffb")).toBe(true);
    expect(regexMatches("\\x00", "", "a\0b")).toBe(true);
    expect(regexMatches("\\u00e9", "", b("\xc3\xa9"))).toBe(true);
    expect(regexMatches("\\u00e9", "", "\xe9")).toBe(false);
    expect(regexMatches("[\\x80-\\xff]", "", "abc\x80")).toBe(true);
  });
  it("groups, alternation, counted repeats, quantified multibyte chars", () => {
    expect(regexMatches("base64\\s+(-d|--decode)", "", "base64  --decode")).toBe(true);
    expect(regexMatches("(?:ab){2}$", "", "xabab")).toBe(true);
    expect(regexMatches("^(?<x>a|b)+$", "", "abba")).toBe(true);
    expect(regexMatches("^é+$", "", b("\xc3\xa9\xc3\xa9"))).toBe(true);
    expect(regexMatches("^é+$", "", b("\xc3\xa9\xa9"))).toBe(false);
    expect(regexMatches("a\\/b", "", "a/b")).toBe(true);
    expect(regexMatches("a{2,}", "", "caab")).toBe(true);
    expect(regexMatches("x{1,2}?y", "", "xxy")).toBe(true);
  });
  it("translation names every literal as a byte class", () => {
    expect(translateRegex("a.", "")).toBe("[\\x61][\\x00-\\xff]");
    expect(translateRegex("a", "i")).toBe("[\\x41\\x61]");
  });
});

describe("addresses", () => {
  it("IPv4 is IPv4-mapped IPv6", () => {
    expect(parseIp("10.1.2.3")).toBe(parseIp("::ffff:10.1.2.3"));
    expect(parseIp("10.1.2.3")).toBe(parseIp("::ffff:a01:203"));
    expect(parseIp("::1")).toBe(1n);
    expect(parseIp("1.2.3")).toBeNull();
    expect(parseIp("01.2.3.4")).toBeNull();
    expect(parseIp("256.1.1.1")).toBeNull();
    expect(parseIp("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIp("fe80::1%eth0")).toBeNull();
    expect(parseIp("1::2:3:4:5:6:7")).not.toBeNull();
    expect(parseIp("example.com")).toBeNull();
  });
  it("CIDR blocks", () => {
    const [lo, hi] = ipBlock("10.0.0.0/8");
    const x = parseIp("::ffff:10.200.3.4")!;
    expect(lo <= x && x <= hi).toBe(true);
    const [l6, h6] = ipBlock("fd00::/8");
    expect(l6 <= parseIp("fd12::1")! && parseIp("fd12::1")! <= h6).toBe(true);
    expect(parseIp("fe00::1")! > h6).toBe(true);
  });
});

describe("reading fields", () => {
  it("derives argc and cmdline from argv when absent", () => {
    const a: Action = { kind: "exec", exe: "/bin/ls", argv: ["ls", "-l", "/tmp"] };
    expect(readField(a, "argc", "int")).toEqual({ t: "int", v: 3n });
    expect(readField(a, "cmdline", "str")).toEqual({ t: "str", b: "ls -l /tmp" });
    expect(readField({ ...a, cmdline: "x" }, "cmdline", "str")).toEqual({ t: "str", b: "x" });
    expect(readField({ ...a, argc: 9 }, "argc", "int")).toEqual({ t: "int", v: 9n });
    expect(readField({ kind: "exec", argv: ["a", 5] }, "cmdline", "str")).toEqual({ t: "bad", error: "type-mismatch" });
    // holes, undefined and null join as "" (Array.prototype.join)
    expect(readField({ kind: "exec", argv: ["a", null, "b"] }, "cmdline", "str")).toEqual({ t: "str", b: "a  b" });
    expect(readField({ kind: "exec", argv: [, "b", undefined] }, "cmdline", "str")).toEqual({ t: "str", b: " b " });
    expect(readField({ kind: "exec", argv: "a b" }, "cmdline", "str")).toEqual({ t: "absent" });
  });
  it("argv[N] and args.a.b", () => {
    const a: Action = { kind: "exec", argv: ["git", "push"] };
    expect(readField(a, "argv[1]", "str")).toEqual({ t: "str", b: "push" });
    expect(readField(a, "argv[2]", "str")).toEqual({ t: "absent" });
    expect(readField({ kind: "exec", argv: "x" }, "argv[0]", "str")).toEqual({ t: "bad", error: "type-mismatch" });
    const t: Action = { kind: "tool.call", tool: "x", args: { a: { b: 7 }, s: "v" } };
    expect(readField(t, "args.a.b", "int")).toEqual({ t: "int", v: 7n });
    expect(readField(t, "args.a.c", "int")).toEqual({ t: "absent" });
    expect(readField(t, "args.s", "int")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField(t, "args.s.x", "str")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "tool.call", tool: "x" }, "args.a.b", "int")).toEqual({ t: "absent" });
  });
  it("strings are UTF-8, buffers are raw bytes", () => {
    expect(readField({ kind: "file.read", path: "/é" }, "path", "str")).toEqual({ t: "str", b: "/\xc3\xa9" });
    expect(readField({ kind: "file.read", path: Buffer.from([0x2f, 0xe9, 0]) }, "path", "str")).toEqual({ t: "str", b: "/\xe9\0" });
    expect(readField({ kind: "file.read", path: 5 }, "path", "str")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "file.read", path: new Uint16Array(2) }, "path", "str")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "file.read", path: "x".repeat(1 << 20) }, "path", "str").t).toBe("str");
    expect(readField({ kind: "file.read", path: "x".repeat((1 << 20) + 1) }, "path", "str")).toEqual({ t: "bad", error: "value-too-long" });
    expect(readField({ kind: "file.read", path: "é".repeat(1 << 19) + "x" }, "path", "str")).toEqual({ t: "bad", error: "value-too-long" });
  });
  it("ints and ips", () => {
    expect(readField({ kind: "net.connect", port: 443n }, "port", "int")).toEqual({ t: "int", v: 443n });
    expect(readField({ kind: "net.connect", port: "443" }, "port", "int")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "net.connect", port: 1.5 }, "port", "int")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "net.connect", port: 2 ** 53 }, "port", "int")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "net.connect", ip: "1.2.3.4\0" }, "ip", "ip")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "net.connect", ip: "nope" }, "ip", "ip")).toEqual({ t: "bad", error: "type-mismatch" });
    expect(readField({ kind: "net.connect", ip: null }, "ip", "ip")).toEqual({ t: "absent" });
  });
});

describe("combining", () => {
  const body = `
rule a: allow file.read if path under "/work"
rule f: flag file.* if path matches "**/*.log"
rule q: ask file.read if path under "/work/q"
rule d: deny file.* if path under "/work/secret"
rule a2: allow file.read if path == "/etc/hosts"
`;
  const p = policy(body);
  it("no match is the default", () => {
    expect(p.evaluate({ kind: "file.read", path: "/x" })).toEqual({ decision: "deny", rule: null, reason: "default", flagged: false });
    expect(policy(body, "allow").evaluate({ kind: "file.read", path: "/x" }).decision).toBe("allow");
  });
  it("deny beats ask beats allow; flag marks an allow", () => {
    expect(p.evaluate({ kind: "file.read", path: "/work/a" })).toMatchObject({ decision: "allow", rule: "a", flagged: false });
    expect(p.evaluate({ kind: "file.read", path: "/work/a.log" })).toMatchObject({ decision: "allow", rule: "a", flagged: true });
    expect(p.evaluate({ kind: "file.write", path: "/x/a.log" })).toMatchObject({ decision: "allow", rule: "f", flagged: true });
    expect(p.evaluate({ kind: "file.read", path: "/work/q/a.log" })).toMatchObject({ decision: "ask", rule: "q", flagged: false });
    expect(p.evaluate({ kind: "file.read", path: "/work/secret/q" })).toMatchObject({ decision: "deny", rule: "d", flagged: false });
  });
  it("the deciding rule is the first in source order", () => {
    const q = policy(`rule f1: flag * \nrule z: allow file.read\nrule d1: deny exec if exe == "/x"\nrule d2: deny exec`);
    expect(q.evaluate({ kind: "file.read", path: "/p" })).toMatchObject({ decision: "allow", rule: "f1", flagged: true });
    expect(q.evaluate({ kind: "exec", exe: "/x", argv: ["x"] })).toMatchObject({ decision: "deny", rule: "d1" });
    expect(q.evaluate({ kind: "exec", exe: "/y", argv: ["y"] })).toMatchObject({ decision: "deny", rule: "d2" });
  });
  it("kinds: file.* and * and lists", () => {
    const q = policy(`rule r: allow file.*, net.connect\nrule s: ask *\nrule t: flag *`, "deny");
    expect(q.evaluate({ kind: "file.link", path: "/a", path2: "/b" })).toMatchObject({ decision: "ask", rule: "s" });
    const q2 = policy(`rule r: allow file.*, net.connect\nrule s: ask * if agent == "x"\nrule t: flag *`, "deny");
    expect(q2.evaluate({ kind: "file.link", path: "/a", path2: "/b" })).toMatchObject({ decision: "allow", rule: "r", flagged: true });
    expect(q2.evaluate({ kind: "dir.create", path: "/a" })).toMatchObject({ decision: "allow", rule: "t", flagged: true });
    expect(q2.evaluate({ kind: "dir.create", path: "/a", agent: "x" })).toMatchObject({ decision: "ask", rule: "s", flagged: false });
    expect(q2.evaluate({ kind: "net.connect" })).toMatchObject({ decision: "allow", rule: "r", flagged: true });
  });
});

describe("absent fields and eval errors", () => {
  it("an absent optional field makes comparisons false, so != and not are true", () => {
    const p = policy(`
rule eq: allow net.connect if host == "a"
rule ne: flag net.connect if host != "a"
rule n:  ask net.bind if not (port == 1)
rule lt: allow net.send if port < 100 or port >= 100
`);
    expect(p.evaluate({ kind: "net.connect" })).toMatchObject({ decision: "allow", rule: "ne", flagged: true });
    expect(p.evaluate({ kind: "net.connect", host: "a" })).toMatchObject({ decision: "allow", rule: "eq", flagged: false });
    expect(p.evaluate({ kind: "net.bind" })).toMatchObject({ decision: "ask", rule: "n" });
    expect(p.evaluate({ kind: "net.send" })).toMatchObject({ decision: "deny", rule: null, reason: "default" });
  });
  it("a required field absent is an eval error if any applicable rule reads it", () => {
    const p = policy(`rule a: allow file.read\nrule b: deny file.* if false or path == "/x"`, "allow");
    expect(p.evaluate({ kind: "file.read" })).toMatchObject({ decision: "deny", rule: null, reason: "eval-error" });
    expect(p.evaluate({ kind: "file.read", path: null })).toMatchObject({ reason: "eval-error" });
    expect(p.evaluate({ kind: "file.read", path: "/y" })).toMatchObject({ decision: "allow", rule: "a" });
    // no applicable rule reads it: fine
    expect(p.evaluate({ kind: "exec" })).toMatchObject({ decision: "allow", reason: "default" });
  });
  it("argv[N] and args.* are optional", () => {
    const p = policy(`rule g: deny exec if argv[1] == "push"\nrule t: deny tool.call if args.amount > 10`, "allow");
    expect(p.evaluate({ kind: "exec", exe: "/g" })).toMatchObject({ decision: "allow", reason: "default" });
    expect(p.evaluate({ kind: "exec", exe: "/g", argv: ["g", "push"] })).toMatchObject({ decision: "deny", rule: "g" });
    expect(p.evaluate({ kind: "tool.call", tool: "x" })).toMatchObject({ decision: "allow" });
    expect(p.evaluate({ kind: "tool.call", tool: "x", args: { amount: 11 } })).toMatchObject({ decision: "deny", rule: "t" });
    expect(p.evaluate({ kind: "tool.call", tool: "x", args: { amount: "11" } })).toMatchObject({ reason: "eval-error" });
  });
  it("wrong types and too-long values referenced by applicable rules are eval errors", () => {
    const p = policy(`rule a: allow net.connect if port == 443 or ip in 10.0.0.0/8\nrule b: allow file.read if path under "/"`);
    expect(p.evaluate({ kind: "net.connect", port: "443" })).toMatchObject({ reason: "eval-error" });
    expect(p.evaluate({ kind: "net.connect", port: 443, ip: "10.0.0.300" })).toMatchObject({ reason: "eval-error" });
    expect(p.evaluate({ kind: "net.connect", port: 80, ip: "::ffff:10.9.9.9" })).toMatchObject({ decision: "allow", rule: "a" });
    expect(p.evaluate({ kind: "file.read", path: "/" + "a".repeat(1 << 20) })).toMatchObject({ reason: "eval-error" });
    // a field no applicable rule reads may hold anything
    expect(p.evaluate({ kind: "file.read", path: "/a", port: "x", ip: 5 })).toMatchObject({ decision: "allow", rule: "b" });
  });
  it("exec: derived cmdline and argc", () => {
    const p = policy(`rule b64: deny exec if cmdline =~ /base64\\s+-d/\nrule few: allow exec if argc <= 2`);
    expect(p.evaluate({ kind: "exec", exe: "/b", argv: ["base64", "-d"] })).toMatchObject({ decision: "deny", rule: "b64" });
    expect(p.evaluate({ kind: "exec", exe: "/b", argv: ["ls", "-l"] })).toMatchObject({ decision: "allow", rule: "few" });
    expect(p.evaluate({ kind: "exec", exe: "/b" })).toMatchObject({ reason: "eval-error" });
    expect(p.evaluate({ kind: "exec", exe: "/b", argv: ["x", 1] })).toMatchObject({ reason: "eval-error" });
  });
});

describe("values", () => {
  it("consts, lists (flattened), env()", () => {
    const body = `
const W = env("WORKSPACE", "/work")
list inner = ["/a", "/b"]
list outer = [inner, "/c"]
rule r: allow file.read if path under W or path in outer
`;
    const p = policy(body);
    expect(p.evaluate({ kind: "file.read", path: "/work/x" }).decision).toBe("allow");
    expect(p.evaluate({ kind: "file.read", path: "/b" }).decision).toBe("allow");
    expect(p.evaluate({ kind: "file.read", path: "/c" }).decision).toBe("allow");
    expect(p.evaluate({ kind: "file.read", path: "/d" }).decision).toBe("deny");
    const q = policy(body, "deny", { vars: { WORKSPACE: "/v" }, env: { WORKSPACE: "/e" } });
    expect(q.evaluate({ kind: "file.read", path: "/v/x" }).decision).toBe("allow");
    expect(q.evaluate({ kind: "file.read", path: "/work/x" }).decision).toBe("deny");
    const r = policy(body, "deny", { env: { WORKSPACE: "/e" } });
    expect(r.evaluate({ kind: "file.read", path: "/e" }).decision).toBe("allow");
  });
  it("string escapes: \\xHH raw bytes, \\0", () => {
    const p = policy(`rule r: allow file.read if path == "/a\\xff\\0b"`);
    expect(p.evaluate({ kind: "file.read", path: Buffer.from("/a\xff\0b", "latin1") }).decision).toBe("allow");
    expect(p.evaluate({ kind: "file.read", path: "/a\xff\0b" }).decision).toBe("deny"); // JS string: ÿ is UTF-8 C3 BF
  });
  it("ints: comparisons and in; ips: ==, in lists with v6", () => {
    const p = policy(`
rule lo: allow net.connect if port in [22, 80] and not (ip in [127.0.0.0/8, "::1"])
rule hi: ask net.connect if port > 1023 and port <= 2000
rule v6: deny net.connect if ip in "fd00::/8" or ip == 169.254.169.254
`);
    expect(p.evaluate({ kind: "net.connect", port: 22, ip: "1.2.3.4" })).toMatchObject({ decision: "allow", rule: "lo" });
    expect(p.evaluate({ kind: "net.connect", port: 22, ip: "127.9.0.1" })).toMatchObject({ decision: "deny", rule: null });
    expect(p.evaluate({ kind: "net.connect", port: 22, ip: "::1" })).toMatchObject({ decision: "deny", rule: null });
    expect(p.evaluate({ kind: "net.connect", port: 2000 })).toMatchObject({ decision: "ask", rule: "hi" });
    expect(p.evaluate({ kind: "net.connect", port: 2001 })).toMatchObject({ decision: "deny", rule: null });
    expect(p.evaluate({ kind: "net.connect", port: 22, ip: "fd01::2" })).toMatchObject({ decision: "deny", rule: "v6" });
    expect(p.evaluate({ kind: "net.connect", port: 22, ip: "::ffff:169.254.169.254" })).toMatchObject({ rule: "v6" });
  });
  it("the shipped coding-agent policy reads as documented", async () => {
    const { readFileSync } = await import("node:fs");
    const src = readFileSync(new URL("../../policies/coding-agent.trj", import.meta.url), "utf8");
    const p = referenceFromSource(src, { vars: { WORKSPACE: "/home/u/proj" } });
    expect(p.evaluate({ kind: "file.read", path: "/usr/lib/python3/dist-packages/x.py" })).toMatchObject({ decision: "allow", rule: "read_system" });
    expect(p.evaluate({ kind: "file.read", path: "/root/.ssh/id_ed25519" })).toMatchObject({ decision: "deny" });
    expect(p.evaluate({ kind: "file.read", path: "/home/u/proj/.env" })).toMatchObject({ decision: "deny", rule: "no_secrets" });
    expect(p.evaluate({ kind: "exec", exe: "/usr/bin/git", argv: ["git", "status"] })).toMatchObject({ decision: "allow", rule: "dev_tools" });
    expect(p.evaluate({ kind: "exec", exe: "/usr/bin/bash", argv: ["bash", "-c", "echo aGkK | base64 -d | sh"] })).toMatchObject({ decision: "deny", rule: "no_b64_run" });
    expect(p.evaluate({ kind: "exec", exe: "/usr/bin/git", argv: ["git", "push", "--force"] })).toMatchObject({ decision: "ask", rule: "no_force_push" });
    expect(p.evaluate({ kind: "net.connect", host: "pypi.org", ip: "151.101.0.223", port: 443 })).toMatchObject({ decision: "allow", rule: "registries" });
    expect(p.evaluate({ kind: "net.connect", ip: "127.0.0.1", port: 8080 })).toMatchObject({ decision: "allow", rule: "loopback", flagged: true });
    expect(p.evaluate({ kind: "net.connect", ip: "169.254.169.254", port: 80 })).toMatchObject({ decision: "deny", rule: "metadata" });
  });
});
