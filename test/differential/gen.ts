// Random policies (as SOURCE TEXT) and random actions over one small shared
// vocabulary, so that rules overlap and actions hit their edges often.

import { inspect } from "node:util";
import fc from "fast-check";

import { KINDS, fieldSpec, expandKind, type Kind } from "../../compiler/catalog.js";


// ------------------------------------------------------------------ vocabulary (policy side, as source text)

/** Declarations every generated policy starts with; rules refer to them. */
export const PRELUDE = `const WS = env("WS", "/work")
const TMP = "/tmp"
const PORT = 443
const LOOP = 127.0.0.1
list dirs = [WS, TMP, "/etc/"]
list secrets = ["**/.ssh/**", "**/*.pem", "/etc/shadow"]
list more_secrets = [secrets, "**/.env"]
list ports = [22, 80, 443]
list nets = [10.0.0.0/8, "fd00::/8", LOOP]
list hosts = ["pypi.org", "github.com"]
list tools = ["stripe.charges.create", "shell"]
list words = ["push", "status", "-f"]
list amounts = [0, 1000, -5]
`;

const PATH_LITS = [
  '"/work"', '"/work/"', '"/work/a"', '"/workspace"', '"/tmp"', '"/etc"', '"/"', '"/home/u"', '"/usr/bin"',
  '"/etc/passwd"', '"/etc/shadow"', '"/work/a/b.txt"', '"/work/\\xff"', '"/work/a\\0b"', '"/k.pem"', '"/usr/bin/git"',
  '"/work/é"', '"/WORK"', '"/tmp//"',
];
const PATH_GLOBS = [
  '"**/.ssh/**"', '"**/*.pem"', '"/work/*"', '"/work/**"', '"/tmp/*.log"', '"/tmp/**/*.log"', '"/etc/{passwd,shadow}"',
  '"/usr/bin/?it"', '"/work/[ab]*"', '"/work/[!a]*"', '"**/.env"', '"/a/**/c.key"', '"/**"', '"/work/*/b.txt"',
  '"**/*.{pem,key}"', '"/WORK/**"', '"/work/a?b"', '"/*"', '"/work/é*"', '"/usr/bin/*"', '"/{etc,work}/*"',
  '"/home/{u,v}/**"', '"**/{.ssh,.aws}/**"',
  '"/work/\\xff*"', '"/{home/u,**}/.ssh/**"',
];
const PATH_REGEXES = [
  "/\\.pem$/", "/^\\/work\\//", "/ssh/i", "/\\x00/", "/\\xff/", "/[^\\x00-\\x7f]/", "/(a|b)\\/c/", "/^\\/(etc|usr)\\//",
  "/WORK/i", "/\\.(pem|key)$/", "/./", "/^\\/$/", "/^\\/work$/", "/\\/\\//", "/é/", "/\\n/", "/[0-9]/",
];
const CMD_LITS = ['"git status"', '"git push -f"', '"base64 -d"', '"ls"', '""', '"curl x | sh"', '"a\\0b"'];
const CMD_GLOBS = ['"git *"', '"*base64*"', '"*"', '"curl*sh"', '"git {push,status}*"'];
const CMD_REGEXES = [
  "/base64\\s+(-d|--decode)/", "/(curl|wget)[^|]*\\|\\s*(ba|da|z)?sh/", "/\\s(-f|--force)(\\s|\\x00)/", "/\\s(-f|--force)$/", "/^git /", "/push/i",
  "/\\x00/", "/[0-9]{2,}/", "/^$/", "/^.{3}$/", "/sh$|^ls/",
];
const WORD_LITS = ['"git"', '"push"', '"status"', '"-f"', '"--force"', '"base64"', '"-d"', '""', '"PUSH"'];
const WORD_GLOBS = ['"-*"', '"p*"', '"?it"', '"{push,status}"', '"*"'];
const WORD_REGEXES = ["/^-/", "/^(push|status)$/", "/sh/i", "/^$/", "/\\x00/"];
// Host literals are lowercase and methods uppercase: the compiler rejects
// other spellings as never matching (runtime normalizes them). Actions still
// carry odd cases, so case-sensitivity of the match itself stays tested.
const HOST_LITS = ['"pypi.org"', '"github.com"', '"evil.com"', '"localhost"', '"files.pythonhosted.org"'];
const HOST_GLOBS = ['"*.org"', '"git*"', '"{pypi,github}.*"', '"*.*.org"', '"localhost"'];
const HOST_REGEXES = ["/\\.org$/", "/^git/", "/evil/i", "/^(?:pypi|github)\\./", "/^localhost$/"];
const TOOL_LITS = ['"stripe.charges.create"', '"shell"', '"fs.read"'];
const TOOL_GLOBS = ['"stripe.*"', '"*.read"', '"*"'];
const TOOL_REGEXES = ["/^stripe\\./", "/read$/", "/SHELL/i"];
const MISC_LITS: Record<string, string[]> = {
  family: ['"inet"', '"inet6"', '"unix"'],
  agent: ['"a1"', '"a2"', '"evil"'],
  method: ['"GET"', '"POST"', '"HEAD"'],
  url: ['"https://pypi.org/simple"', '"http://evil.com/x"'],
  "args.currency": ['"usd"', '"eur"', '"USD"'],
  "args.opts.force": ['"yes"', '"no"'],
};
const MISC_REGEXES: Record<string, string[]> = {
  url: ["/^https:\\/\\//", "/evil/", "/pypi\\.org\\//"],
  method: ["/^(GET|HEAD)$/", "/post/i"],
};
const MISC_GLOBS: Record<string, string[]> = {
  url: ['"https://*"', '"http*://evil.com/**"'],
  family: ['"inet*"'],
};

const INTS: Record<string, number[]> = {
  port: [22, 80, 443, 8080, 1, 1023, 1024, 65534],
  pid: [0, 1, 1000, 4242, -1],
  uid: [0, 1000, 65534],
  argc: [0, 1, 2, 3, 5],
  "args.amount": [-5, 0, 10, 1000, 1001, 99999],
};
const IP_ADDRS = ["10.0.0.1", "127.0.0.1", "169.254.169.254", "1.2.3.4", '"::1"', '"fd00::1"', '"::ffff:10.1.2.3"', '"10.1.2.3"', "LOOP"];
const IP_BLOCKS = [
  "10.0.0.0/8", "127.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", '"fd00::/8"', '"::/0"', '"::ffff:0:0/96"', '"10.0.0.0/8"',
  "169.254.0.0/16", "1.2.3.4/32", "nets", "LOOP", '"::1"',
];

// ------------------------------------------------------------------ fields

type Ty = "str" | "int" | "ip";
interface GenField {
  name: string;
  type: Ty;
  path: boolean;
}

const ALL_FIELDS = [
  "path", "path2", "exe", "cwd", "cmdline", "argc", "argv[0]", "argv[1]", "argv[2]", "host", "ip", "port", "family", "pid",
  "uid", "agent", "tool", "method", "url", "args.amount", "args.currency", "args.opts.force",
];
const ARGS_TYPES: Record<string, Ty> = { "args.amount": "int", "args.currency": "str", "args.opts.force": "str" };

/** Fields every kind of the rule has, with one type. */
export function fieldsFor(kinds: Kind[]): GenField[] {
  const out: GenField[] = [];
  for (const name of ALL_FIELDS) {
    let type: Ty | null = null;
    let path = false;
    let ok = true;
    for (const k of kinds) {
      const s = fieldSpec(k, name);
      if (s === null) {
        ok = false;
        break;
      }
      const t = s === "args" ? ARGS_TYPES[name]! : s.type;
      if (type !== null && t !== type) ok = false;
      type = t;
      path = s !== "args" && !!s.path;
    }
    if (ok && type !== null) out.push({ name, type, path });
  }
  return out;
}

const KIND_SETS: string[][] = [
  ["file.read"], ["file.write"], ["file.*"], ["file.read", "file.write"], ["file.rename", "file.link"], ["dir.create"],
  ["file.create", "file.delete", "dir.create"], ["exec"], ["exec"], ["net.connect"], ["net.*"], ["net.connect", "net.bind"],
  ["net.resolve"], ["tool.call"], ["tool.call"], ["http.request"], ["*"], ["file.*", "exec"], ["net.send"], ["file.meta"],
];

// ------------------------------------------------------------------ the policy model

export type GCond =
  | { t: "cmp"; field: string; op: string; value: string }
  | { t: "not"; c: GCond }
  | { t: "and" | "or"; a: GCond; b: GCond; paren: boolean }
  | { t: "bool"; v: boolean };

export interface GRule {
  decision: "allow" | "deny" | "ask" | "flag";
  kinds: string[];
  cond: GCond | null;
  reason: boolean;
  timeout: boolean;
}

export interface GPolicy {
  default: "allow" | "deny" | "ask";
  rules: GRule[];
  vars: Record<string, string>;
}

function listOf(items: string[], n: number, seed: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(items[(seed + i * 7) % items.length]!);
  return "[" + out.join(", ") + "]";
}

/** A comparison on field f: operator and value source text. */
function cmpArb(f: GenField): fc.Arbitrary<GCond> {
  const mk = (op: string, value: fc.Arbitrary<string>): fc.Arbitrary<GCond> =>
    value.map((v) => ({ t: "cmp", field: f.name, op, value: v }) as GCond);
  const pick = (xs: string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);
  const list = (xs: string[]): fc.Arbitrary<string> =>
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat()).map(([n, s]) => listOf(xs, n, s));
  if (f.type === "int") {
    const ns = INTS[f.name]!.map(String);
    const refs = f.name === "port" ? ["PORT"] : [];
    const lists = f.name === "port" ? ["ports"] : f.name === "args.amount" ? ["amounts"] : [];
    const one = pick([...ns, ...refs]);
    // `argc < 0` can never match and does not compile: keep `<` satisfiable.
    const below = pick([...ns.filter((n) => !(f.name === "argc" && n === "0")), ...refs]);
    return fc.oneof(
      mk("==", one),
      mk("!=", one),
      mk("<", below),
      mk("<=", one),
      mk(">", one),
      mk(">=", one),
      mk("in", fc.oneof(list(ns), ...(lists.length ? [pick(lists)] : []))),
    );
  }
  if (f.type === "ip") {
    return fc.oneof(mk("==", pick(IP_ADDRS)), mk("!=", pick(IP_ADDRS)), mk("in", fc.oneof(pick(IP_BLOCKS), list(IP_BLOCKS.filter((x) => x !== "nets")))));
  }
  // strings
  let lits: string[], globs: string[], regexes: string[], dirs: string[];
  let litRefs: string[] = [], listRefs: string[] = [], globRefs: string[] = [], dirRefs: string[] = [];
  if (f.path) {
    lits = PATH_LITS;
    globs = PATH_GLOBS;
    regexes = PATH_REGEXES;
    dirs = PATH_LITS;
    litRefs = ["WS", "TMP"];
    globRefs = ["secrets", "more_secrets"];
    dirRefs = ["WS", "TMP", "dirs"];
    listRefs = ["dirs"];
  } else if (f.name === "cmdline") {
    [lits, globs, regexes, dirs] = [CMD_LITS, CMD_GLOBS, CMD_REGEXES, CMD_LITS.filter((x) => x !== '""')];
  } else if (f.name.startsWith("argv[")) {
    [lits, globs, regexes, dirs] = [WORD_LITS, WORD_GLOBS, WORD_REGEXES, WORD_LITS.filter((x) => x !== '""')];
    listRefs = ["words"];
  } else if (f.name === "host") {
    [lits, globs, regexes, dirs] = [HOST_LITS, HOST_GLOBS, HOST_REGEXES, HOST_LITS];
    listRefs = ["hosts"];
  } else if (f.name === "tool") {
    [lits, globs, regexes, dirs] = [TOOL_LITS, TOOL_GLOBS, TOOL_REGEXES, TOOL_LITS];
    listRefs = ["tools"];
  } else {
    lits = MISC_LITS[f.name] ?? ['"x"'];
    globs = MISC_GLOBS[f.name] ?? lits;
    regexes = MISC_REGEXES[f.name] ?? ["/x/"];
    dirs = lits;
  }
  const one = pick([...lits, ...litRefs]);
  return fc.oneof(
    { weight: 3, arbitrary: mk("==", one) },
    { weight: 2, arbitrary: mk("!=", one) },
    { weight: 2, arbitrary: mk("in", listRefs.length ? fc.oneof(list(lits), pick(listRefs)) : list(lits)) },
    { weight: f.path ? 4 : 1, arbitrary: mk("under", fc.oneof(pick(dirs), list(dirs), ...(dirRefs.length ? [pick(dirRefs)] : []))) },
    { weight: 3, arbitrary: mk("matches", fc.oneof(pick(globs), list(globs), ...(globRefs.length ? [pick(globRefs)] : []))) },
    { weight: 3, arbitrary: mk("=~", pick(regexes)) },
  );
}

function condArb(fields: GenField[], depth: number): fc.Arbitrary<GCond> {
  const leaf = fc.constantFrom(...fields).chain(cmpArb);
  if (depth <= 0) return leaf;
  const sub = condArb(fields, depth - 1);
  return fc.oneof(
    { weight: 5, arbitrary: leaf },
    { weight: 2, arbitrary: sub.map((c) => ({ t: "not", c }) as GCond) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant("and" as const), a: sub, b: sub, paren: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant("or" as const), a: sub, b: sub, paren: fc.boolean() }) },
    { weight: 1, arbitrary: fc.boolean().map((v) => ({ t: "bool", v }) as GCond) },
  );
}

const ruleArb: fc.Arbitrary<GRule> = fc.constantFrom(...KIND_SETS).chain((kinds) => {
  const fields = fieldsFor(kinds.flatMap(expandKind));
  const cond: fc.Arbitrary<GCond | null> = fields.length === 0 ? fc.constant(null) : fc.option(condArb(fields, 3), { freq: 8 });
  return fc.record({
    decision: fc.constantFrom("allow", "deny", "ask", "flag", "allow", "deny") as fc.Arbitrary<GRule["decision"]>,
    kinds: fc.constant(kinds),
    cond,
    reason: fc.boolean(),
    timeout: fc.boolean(),
  });
});

/** A policy of minRules..maxRules rules. */
export const policyArbOf = (minRules: number, maxRules: number): fc.Arbitrary<GPolicy> =>
  fc.record({
    default: fc.constantFrom("allow", "deny", "ask") as fc.Arbitrary<GPolicy["default"]>,
    rules: fc.array(ruleArb, { minLength: minRules, maxLength: maxRules }),
    vars: fc.constantFrom<Record<string, string>>({}, { WS: "/workspace" }, { WS: "/work/" }),
  });

export const policyArb: fc.Arbitrary<GPolicy> = policyArbOf(10, 30);

// ------------------------------------------------------------------ printing

function printCond(c: GCond, top = true): string {
  switch (c.t) {
    case "cmp":
      return `${c.field} ${c.op} ${c.value}`;
    case "bool":
      return String(c.v);
    case "not":
      return `not (${printCond(c.c, true)})`;
    case "and":
    case "or": {
      const s = `${printCond(c.a, false)} ${c.t} ${printCond(c.b, false)}`;
      return c.paren || !top ? `(${s})` : s;
    }
  }
}

export function printPolicy(p: GPolicy): string {
  const lines = ['policy "gen" version "1.0.0"', `default ${p.default}`, PRELUDE];
  p.rules.forEach((r, i) => {
    let s = `rule r${i}: ${r.decision} ${r.kinds.join(", ")}`;
    if (r.cond) s += ` if ${printCond(r.cond)}`;
    if (r.reason) s += ` reason "why ${i}"`;
    if (r.timeout && r.decision === "ask") s += " timeout 30s";
    lines.push(s);
  });
  return lines.join("\n") + "\n";
}

// ------------------------------------------------------------------ actions

const PATHS = [
  "/", "/work", "/work/", "/work/a", "/work/a/b.txt", "/work/.env", "/workspace", "/workspace/x", "/wor", "/work/b",
  "/home/u/.ssh/id_rsa", "/.ssh/x", "/home/u/.sshx/id", "/etc/passwd", "/etc/shadow", "/etc", "/etc/", "/tmp", "/tmp/x.log",
  "/tmp/a/b.log", "/usr/bin/git", "/usr/bin/curl", "/k.pem", "/a/b/c.key", "/a/c.key", "/work/é", "/work/aXb", "/tmp//x",
];
const CMDLINES = ["git status", "git push -f", "git push --force", "base64 -d", "echo aGkK | base64  --decode | sh", "ls", "", "curl x | sh", "ls 12"];
const WORDS = ["git", "push", "status", "-f", "--force", "base64", "-d", "", "PUSH", "ls", "sh"];
const HOSTS = ["pypi.org", "github.com", "evil.com", "localhost", "PyPI.org", "files.pythonhosted.org", "github.com.evil.org", "a.b.org"];
const IPS = [
  "10.0.0.1", "10.1.2.3", "127.0.0.1", "169.254.169.254", "::1", "fd00::1", "fd12:3456::9", "::ffff:10.1.2.3", "::ffff:127.0.0.1",
  "1.2.3.4", "151.101.0.223", "fe80::1", "0.0.0.0", "255.255.255.255", "::", "1.2.3.5", "::ffff:a01:203",
];
const BAD_IPS = ["1.2.3", "10.0.0.01", "localhost", "", "1.2.3.4 ", "fe80::1%lo", "::ffff:1.2.3.4.5"];

type Mut = "none" | "slash" | "append" | "chop" | "upper" | "nul" | "high" | "buffer" | "double" | "dot";
const MUTS: Mut[] = ["none", "none", "none", "none", "none", "none", "slash", "append", "chop", "upper", "nul", "high", "buffer", "double", "dot"];

/** One string value, possibly mutated at the byte level; a Buffer when it is not text. */
export function mutate(s: string, m: Mut, at: number): string | Buffer {
  const bytes = Buffer.from(s, "utf8");
  const pos = bytes.length === 0 ? 0 : at % (bytes.length + 1);
  switch (m) {
    case "none":
      return s;
    case "slash":
      return s + "/";
    case "append":
      return s + "x";
    case "chop":
      return s.slice(0, -1);
    case "upper":
      return s.toUpperCase();
    case "double":
      return s.replace("/", "//");
    case "dot":
      return s + "/..";
    case "nul":
      return at % 2 === 0 ? s.slice(0, pos) + "\0" + s.slice(pos) : Buffer.concat([bytes.subarray(0, pos), Buffer.from([0]), bytes.subarray(pos)]);
    case "high":
      return Buffer.concat([bytes.subarray(0, pos), Buffer.from([at % 3 === 0 ? 0xff : at % 3 === 1 ? 0xe9 : 0x80]), bytes.subarray(pos)]);
    case "buffer":
      return bytes;
  }
}

const strArb = (vocab: string[]): fc.Arbitrary<string | Buffer> =>
  fc.tuple(fc.constantFrom(...vocab), fc.constantFrom(...MUTS), fc.nat()).map(([s, m, at]) => mutate(s, m, at));

/** Mostly a good value; rarely absent, null, or of the wrong type. */
function field<T>(good: fc.Arbitrary<T>, absent = 8): fc.Arbitrary<T | unknown> {
  return fc.oneof(
    { weight: 60, arbitrary: good },
    { weight: absent, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(5, true, {}, [1], "7", 1.5, new Uint16Array([1])) },
  );
}

const intArb = (vocab: number[]): fc.Arbitrary<number | bigint> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...vocab) },
    { weight: 1, arbitrary: fc.constantFrom(...vocab).map(BigInt) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 0, 65535, 65536, 70000, 2 ** 31, Number.MAX_SAFE_INTEGER, -(2 ** 53) + 1) },
  );

const ipArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...IPS) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_IPS) },
  { weight: 1, arbitrary: fc.constantFrom(...IPS).map((s) => s.toUpperCase()) },
);

export const actionArb = fc
  .record(
    {
      kind: fc.constantFrom(...KINDS),
      path: field(strArb(PATHS), 3),
      path2: field(strArb(PATHS), 3),
      exe: field(strArb(PATHS.concat(["/usr/bin/git", "/bin/sh"])), 3),
      cwd: field(strArb(PATHS), 30),
      cmdline: field(strArb(CMDLINES), 80),
      argc: field(intArb(INTS.argc!), 200),
      argv: field(
        fc.array(fc.oneof({ weight: 20, arbitrary: strArb(WORDS) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5) }), { maxLength: 4 }),
        4,
      ),
      host: field(strArb(HOSTS), 15),
      ip: field(ipArb, 15),
      port: field(intArb(INTS.port!.concat([8443, 53])), 15),
      family: field(fc.constantFrom("inet", "inet6", "unix", "INET"), 20),
      pid: field(intArb(INTS.pid!), 30),
      uid: field(intArb(INTS.uid!), 30),
      agent: field(strArb(["a1", "a2", "evil"]), 30),
      tool: field(strArb(["stripe.charges.create", "shell", "fs.read"]), 3),
      method: field(fc.constantFrom("GET", "POST", "get", "HEAD"), 3),
      url: field(strArb(["https://pypi.org/simple", "http://evil.com/x", "https://evil.com/"]), 3),
      args: field(
        fc.record(
          {
            amount: field(intArb(INTS["args.amount"]!), 10),
            currency: field(strArb(["usd", "eur", "USD"]), 10),
            opts: field(fc.record({ force: field(strArb(["yes", "no"]), 10) }, { requiredKeys: [] }), 10),
          },
          { requiredKeys: [] },
        ),
        10,
      ),
    },
    { requiredKeys: ["kind"] },
  )
  .map((a) => a as { kind: Kind } & Record<string, unknown>);

/** Readable form of an action for failure messages (Buffers as hex-escaped text). */
export function showAction(a: unknown): string {
  return inspect(a, { depth: 6, breakLength: 160 }).replace(/<Buffer ([0-9a-f ]*)>/g, (_, h: string) =>
    `Buffer.from("${h.split(" ").map((x) => "\\x" + x).join("")}", "latin1")`,
  );
}

