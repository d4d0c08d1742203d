// Generated policies and a fixed action mix for the benchmarks, written once as
// data (RuleSpec) and rendered both as trajeckt source and as Cedar policies, so
// the two engines are compared on policies that make the same decisions.
//
// Shape of an N-rule policy: a fixed core (secret globs, system reads, a
// workspace, dev tools, registries, the cloud metadata range; plus, for the
// C-core policies, two command-line regexes and an `ask` rule) and N - |core|
// "scaling" rules that grow the way real policies grow — one per project,
// tool, service or subnet:
//
//   40%  allow file.*      if path under "/data/p<i>"               (workspaces)
//   10%  allow file.read   if path under "/srv/shared/s<i>"         (read-only shares)
//   10%  deny  file.*      if path matches "/data/p<k>/secrets/**"  (per-project secrets)
//   20%  allow exec        if exe == "/opt/tools/t<i>/bin/run"      (tool allow-list)
//   15%  allow net.connect if host == "svc<i>.corp.example.com" and port == 443
//    5%  deny  net.connect if ip in 10.x.y.0/24                     (blocked subnets)
//
// Every scaling rule has a string (or address) atom that is true for few values,
// so the compiler can guard it: evaluation cost should not grow with N.

import type { Action } from "../runtime/binding.js";

export type Decision = "allow" | "deny" | "ask";

const FILE_KINDS = ["file.read", "file.write", "file.create", "file.delete", "file.rename", "file.meta", "file.link"] as const;

export type Cond =
  | { t: "under"; dirs: string[] }
  | { t: "glob"; globs: string[] } // globs of the forms "**/X/**", "**/*.ext", "**/name", "/abs/**", "/abs"
  | { t: "exe"; exes: string[] }
  | { t: "hostPort"; hosts: string[]; port: number }
  | { t: "cidr"; cidrs: string[] }
  | { t: "port"; port: number }
  | { t: "regex"; re: string }; // trajeckt only

export interface RuleSpec {
  name: string;
  decision: Decision;
  kinds: readonly string[]; // concrete kinds
  kindText: string; // as written in .trj ("file.*", "exec")
  cond: Cond;
  reason?: string;
}

export const SECRETS = ["**/.ssh/**", "**/.aws/**", "**/.gnupg/**", "**/.kube/**", "**/*.pem", "**/*.key", "**/.env", "**/.netrc", "/etc/shadow"];

/** The 6-rule core both engines can express exactly (no regex, no ask). */
export function cedarCore(): RuleSpec[] {
  return [
    { name: "no_secrets", decision: "deny", kinds: FILE_KINDS, kindText: "file.*", cond: { t: "glob", globs: SECRETS }, reason: "credentials are off limits" },
    { name: "read_system", decision: "allow", kinds: ["file.read"], kindText: "file.read", cond: { t: "under", dirs: ["/usr", "/lib", "/etc"] } },
    { name: "workspace", decision: "allow", kinds: FILE_KINDS, kindText: "file.*", cond: { t: "under", dirs: ["/data/p0"] } },
    { name: "dev_tools", decision: "allow", kinds: ["exec"], kindText: "exec", cond: { t: "exe", exes: ["/usr/bin/git", "/usr/bin/make", "/usr/bin/node", "/usr/bin/bash"] } },
    { name: "registries", decision: "allow", kinds: ["net.connect"], kindText: "net.connect", cond: { t: "hostPort", hosts: ["registry.npmjs.org", "pypi.org", "github.com"], port: 443 } },
    { name: "metadata", decision: "deny", kinds: ["net.connect"], kindText: "net.connect", cond: { t: "cidr", cidrs: ["169.254.0.0/16"] }, reason: "cloud metadata" },
  ];
}

/** The 10-rule core of the C-core policies: the Cedar core plus regexes, scratch space and an ask rule. */
export function fullCore(): RuleSpec[] {
  return [
    ...cedarCore(),
    { name: "scratch", decision: "allow", kinds: FILE_KINDS, kindText: "file.*", cond: { t: "under", dirs: ["/tmp"] } },
    { name: "no_b64_run", decision: "deny", kinds: ["exec"], kindText: "exec", cond: { t: "regex", re: "base64\\s+(-d|--decode)" } },
    { name: "no_pipe_to_sh", decision: "deny", kinds: ["exec"], kindText: "exec", cond: { t: "regex", re: "(curl|wget)[^|]*\\|\\s*(ba|da|z)?sh" } },
    { name: "ssh", decision: "ask", kinds: ["net.connect"], kindText: "net.connect", cond: { t: "port", port: 22 } },
  ];
}

function scalingRule(i: number): RuleSpec {
  const m = i % 20;
  const block = i - m; // the workspace of this block of 20 rules
  if (m < 8) return { name: `ws_${i}`, decision: "allow", kinds: FILE_KINDS, kindText: "file.*", cond: { t: "under", dirs: [`/data/p${i}`] } };
  if (m < 10) return { name: `ro_${i}`, decision: "allow", kinds: ["file.read"], kindText: "file.read", cond: { t: "under", dirs: [`/srv/shared/s${i}`] } };
  if (m < 12)
    return { name: `sec_${i}`, decision: "deny", kinds: FILE_KINDS, kindText: "file.*", cond: { t: "glob", globs: [`/data/p${block + m - 10}/secrets/**`] } };
  if (m < 16) return { name: `tool_${i}`, decision: "allow", kinds: ["exec"], kindText: "exec", cond: { t: "exe", exes: [`/opt/tools/t${i}/bin/run`] } };
  if (m < 19)
    return { name: `svc_${i}`, decision: "allow", kinds: ["net.connect"], kindText: "net.connect", cond: { t: "hostPort", hosts: [`svc${i}.corp.example.com`], port: 443 } };
  return { name: `subnet_${i}`, decision: "deny", kinds: ["net.connect"], kindText: "net.connect", cond: { t: "cidr", cidrs: [`10.${(i >> 8) & 255}.${i & 255}.0/24`] } };
}

/** An n-rule policy: the core, then scaling rules numbered 1.. (so /data/p0 stays the core's workspace). */
export function rulesFor(n: number, core: RuleSpec[]): RuleSpec[] {
  const rules = core.slice(0, n);
  for (let i = 1; rules.length < n; i++) rules.push(scalingRule(i));
  return rules;
}

// ---- trajeckt source -----------------------------------------------------------

const q = (s: string): string => JSON.stringify(s);
const qlist = (xs: string[]): string => (xs.length === 1 ? q(xs[0]!) : `[${xs.map(q).join(", ")}]`);

function trjCond(c: Cond): string {
  switch (c.t) {
    case "under": return `path under ${qlist(c.dirs)}`;
    case "glob": return `path matches ${qlist(c.globs)}`;
    case "exe": return c.exes.length === 1 ? `exe == ${q(c.exes[0]!)}` : `exe in ${qlist(c.exes)}`;
    case "hostPort": return `${c.hosts.length === 1 ? `host == ${q(c.hosts[0]!)}` : `host in ${qlist(c.hosts)}`} and port == ${c.port}`;
    case "cidr": return c.cidrs.length === 1 ? `ip in ${c.cidrs[0]}` : `ip in [${c.cidrs.join(", ")}]`;
    case "port": return `port == ${c.port}`;
    case "regex": return `cmdline =~ /${c.re}/`;
  }
}

export function toTrj(name: string, rules: RuleSpec[]): string {
  const out = [`policy ${q(name)} version "1.0.0"`, "default deny", ""];
  for (const r of rules) out.push(`rule ${r.name}: ${r.decision} ${r.kindText} if ${trjCond(r.cond)}${r.reason ? ` reason ${q(r.reason)}` : ""}`);
  return out.join("\n") + "\n";
}

// ---- Cedar source ----------------------------------------------------------------
//
// Everything the rules test is in the request context (context.path, .exe,
// .host, .port, .ip), which is the cheapest way to hand values to Cedar (no
// entity store to build per request). Kinds are Cedar actions. Translations:
//   path under "/d"          context.path == "/d" || context.path like "/d/*"
//   path matches "**/X/**"   context.path like "*/X/*"          (absolute paths)
//   path matches "**/*.ext"  context.path like "*.ext"
//   path matches "**/name"   context.path like "*/name"
//   path matches "/a/**"     context.path like "/a/*"
//   exe == / host in         == / [..].contains(..)
//   ip in CIDR               context.ip.isInRange(ip("CIDR"))
// Cedar's `*` crosses "/", so these agree with the globs on the absolute paths of
// the action mix; the bench checks that both engines decide every action alike.

const cedarStr = (s: string): string => JSON.stringify(s);
const likePat = (p: string): string => JSON.stringify(p).replace(/\\\\\*/g, "\\*");

function globToLike(g: string): string {
  if (g.startsWith("**/")) {
    const rest = g.slice(3);
    if (rest.endsWith("/**")) return `*/${rest.slice(0, -3)}/*`;
    if (rest.startsWith("*")) return `*${rest.slice(1)}`; // "*.pem"
    return `*/${rest}`;
  }
  if (g.endsWith("/**")) return `${g.slice(0, -3)}/*`;
  if (!g.includes("*")) return g;
  throw new Error(`no Cedar translation for glob ${g}`);
}

function cedarCond(c: Cond): string {
  const or = (xs: string[]): string => xs.join(" || ");
  switch (c.t) {
    case "under": return or(c.dirs.flatMap((d) => [`context.path == ${cedarStr(d)}`, `context.path like ${likePat(d + "/*")}`]));
    case "glob":
      return or(
        c.globs.map((g) => {
          const l = globToLike(g);
          return l.includes("*") ? `context.path like ${likePat(l)}` : `context.path == ${cedarStr(l)}`;
        }),
      );
    case "exe": return c.exes.length === 1 ? `context.exe == ${cedarStr(c.exes[0]!)}` : `[${c.exes.map(cedarStr).join(", ")}].contains(context.exe)`;
    case "hostPort":
      return `${c.hosts.length === 1 ? `context.host == ${cedarStr(c.hosts[0]!)}` : `[${c.hosts.map(cedarStr).join(", ")}].contains(context.host)`} && context.port == ${c.port}`;
    case "cidr": return or(c.cidrs.map((r) => `context.ip.isInRange(ip(${cedarStr(r)}))`));
    case "port":
    case "regex":
      throw new Error(`rule condition ${c.t} has no exact Cedar equivalent`);
  }
}

export function toCedar(rules: RuleSpec[]): string {
  return rules
    .map((r) => {
      if (r.decision === "ask") throw new Error("Cedar has no ask decision");
      const acts = r.kinds.map((k) => `Action::${cedarStr(k)}`);
      const action = acts.length === 1 ? `action == ${acts[0]}` : `action in [${acts.join(", ")}]`;
      return `@id(${cedarStr(r.name)})\n${r.decision === "deny" ? "forbid" : "permit"}(principal, ${action}, resource)\nwhen { ${cedarCond(r.cond)} };`;
    })
    .join("\n\n");
}

// ---- the action mix ------------------------------------------------------------------

export interface MixAction {
  label: string;
  action: Action;
  /** For policies built by rulesFor(): the expected decision (the bench fails if it differs). */
  expect: Decision;
}

const LONG_DIRS = Array.from({ length: 40 }, (_, i) => `component-${String(i).padStart(2, "0")}-of-a-long-path`).join("/");
const LONG_HIT = `/data/p0/${LONG_DIRS}/index.ts`;
const LONG_MISS = `/home/user/${LONG_DIRS}/index.ts`;

/**
 * The fixed mix: hits, misses, secrets and long paths, the same for every size.
 * `cedar` leaves out actions that only the C-core policies decide (regex, ask).
 */
export function actionMix(cedar: boolean): MixAction[] {
  const net = (host: string, ip: string, port: number) => ({ kind: "net.connect" as const, host, ip, port });
  const exec = (exe: string, cmdline: string) => ({ kind: "exec" as const, exe, cmdline });
  const mix: MixAction[] = [
    { label: "file.read workspace hit", action: { kind: "file.read", path: "/data/p0/src/app/index.ts" }, expect: "allow" },
    { label: "file.write workspace hit", action: { kind: "file.write", path: "/data/p0/build/out/main.o" }, expect: "allow" },
    { label: "file.read system hit", action: { kind: "file.read", path: "/usr/lib/python3/dist-packages/six.py" }, expect: "allow" },
    { label: "file.write miss", action: { kind: "file.write", path: "/home/user/notes/todo.txt" }, expect: "deny" },
    { label: "file.read prefix sibling miss", action: { kind: "file.read", path: "/data/p0-old/README.md" }, expect: "deny" },
    { label: "file.read secret in workspace", action: { kind: "file.read", path: "/data/p0/.ssh/id_ed25519" }, expect: "deny" },
    { label: "file.read secret in home", action: { kind: "file.read", path: "/home/user/.aws/credentials" }, expect: "deny" },
    { label: "file.write .pem", action: { kind: "file.write", path: "/data/p0/certs/server.pem" }, expect: "deny" },
    { label: `file.read long path hit (${LONG_HIT.length} B)`, action: { kind: "file.read", path: LONG_HIT }, expect: "allow" },
    { label: `file.read long path miss (${LONG_MISS.length} B)`, action: { kind: "file.read", path: LONG_MISS }, expect: "deny" },
    { label: "exec tool hit", action: exec("/usr/bin/git", "git status --short"), expect: "allow" },
    { label: "exec tool miss", action: exec("/usr/local/bin/miner", "miner --pool x"), expect: "deny" },
    { label: "net.connect registry hit", action: net("registry.npmjs.org", "104.16.1.35", 443), expect: "allow" },
    { label: "net.connect host miss", action: net("evil.example.net", "93.184.216.34", 443), expect: "deny" },
    { label: "net.connect metadata", action: net("metadata.internal", "169.254.169.254", 80), expect: "deny" },
  ];
  if (!cedar) {
    mix.push(
      { label: "exec base64 -d (regex deny)", action: exec("/usr/bin/bash", "bash -c echo aGkK | base64 -d | sh"), expect: "deny" },
      { label: "net.connect ssh (ask)", action: net("github.com", "140.82.112.3", 22), expect: "ask" },
    );
  }
  return mix;
}

/** One line of core-eval's action file: kind TAB field=value ... (values must not hold tabs or newlines). */
export function toCoreLine(a: Action): string {
  const parts: string[] = [a.kind];
  for (const [k, v] of Object.entries(a)) {
    if (k === "kind" || v === undefined) continue;
    const s = String(v);
    if (/[\t\n]/.test(s)) throw new Error(`core-eval cannot carry ${k}=${JSON.stringify(s)}`);
    parts.push(`${k}=${s}`);
  }
  return parts.join("\t");
}

/** The request Cedar sees for an action. */
export function toCedarRequest(a: Action): { action: string; context: Record<string, unknown> } {
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (k === "kind" || v === undefined) continue;
    context[k] = k === "ip" ? { __extn: { fn: "ip", arg: v } } : v;
  }
  return { action: a.kind, context };
}
