// IR → the kernel backstop (BACKSTOP section, trj_isa.h): an OVER-approximation
// of everything any rule that can allow (allow, flag, ask) — or a default of
// allow/ask — could ever allow, in the shapes Landlock and seccomp understand:
// file rights on path trees, TCP ports, socket families, and whether exec of a
// descriptor or any metadata change (file.meta: Landlock has no right for it,
// so seccomp refuses the whole syscall family) is ever allowed. Deny rules cannot
// shrink it (Landlock is allow-only); the library still enforces the policy,
// the backstop only bounds what a process the library cannot see may do.
//
// The region of a path condition is computed from the predicate's byte
// pattern, never from its text: the candidate is the pattern's fixed literal
// prefix, and a candidate directory D is accepted only when the automaton
// proves L(pattern) ⊆ L(under D) (else its parent is tried, up to "/"). So a
// region is sound by construction, whatever operator produced the pattern.

import type { Loc } from "../ast.js";
import { DfaTooLarge, anyOf, hasByte, isSubset, literal, under, type Pat } from "../automata/index.js";
import type { Kind } from "../catalog.js";
import type { Diagnostics } from "../diagnostics.js";
import { BS, BS_KIND, BS_MAX_PATH, BSM } from "../format.js";
import type { IrCond, IrPolicy, IrRule, Pred } from "../ir.js";
import { stringToBytes } from "../parse.js";

export interface BsEntry {
  kind: number; // BS_KIND
  access: number; // BS (PATH) or BSM (META); 0 for TCP
  path: Uint8Array | null; // PATH only: absolute, normalized bytes
  port: number; // TCP only
}

/** A region of one path field: exact values (a file or directory itself) or trees. */
interface Place {
  bytes: Uint8Array; // normalized, absolute
  exact: boolean; // the value itself only (no strict descendants)
}

/** Why a field's region became "/": the predicate or rule that made it so. */
interface Wide {
  loc: Loc;
  why: string;
}

type Region = { all: false; places: Place[] } | { all: true; wide: Wide | null }; // wide null: the policy asked for "/"

const SLASH = 0x2f;
const ROOT = new Uint8Array([SLASH]);
const MAX_STATES = 4096; // per subset proof; past it the region is "/"
/** More ports than this in one condition and the backstop allows any port. */
const MAX_PORTS = 256;

const RIGHT_NAMES: Array<[number, string]> = [
  [BS.READ, "read"], [BS.READ_DIR, "read_dir"], [BS.WRITE, "write"], [BS.TRUNCATE, "truncate"], [BS.CREATE, "create"],
  [BS.MKDIR, "mkdir"], [BS.REMOVE, "remove"], [BS.EXEC, "exec"], [BS.REFER, "refer"],
];
const META_NAMES: Array<[number, string]> = [
  [BSM.TCP_CONNECT_ANY, "tcp_connect_any"], [BSM.TCP_BIND_ANY, "tcp_bind_any"], [BSM.FAMILY_INET, "inet"],
  [BSM.FAMILY_INET6, "inet6"], [BSM.FAMILY_UNIX, "unix"], [BSM.FAMILY_NETLINK, "netlink"], [BSM.FAMILY_OTHER, "other"],
  [BSM.EXEC_FD, "exec_fd"], [BSM.FILE_META, "file_meta"],
];
export const rightsText = (a: number): string => RIGHT_NAMES.filter(([b]) => a & b).map(([, n]) => n).join(",");
export const metaText = (a: number): string => META_NAMES.filter(([b]) => a & b).map(([, n]) => n).join(",") || "none";

const FAMILY_BITS: Array<[string, number]> = [
  ["inet", BSM.FAMILY_INET], ["inet6", BSM.FAMILY_INET6], ["unix", BSM.FAMILY_UNIX], ["netlink", BSM.FAMILY_NETLINK],
];
const DEFAULT_FAMILIES = BSM.FAMILY_INET | BSM.FAMILY_INET6 | BSM.FAMILY_UNIX;

// ---- paths -------------------------------------------------------------------

/** Lexically normalized: "//", "." and trailing "/" dropped, ".." popped; NUL cuts. */
function normalize(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  const src = nul >= 0 ? b.subarray(0, nul) : b;
  const comps: Uint8Array[] = [];
  let i = 0;
  while (i < src.length) {
    while (i < src.length && src[i] === SLASH) i++;
    let j = i;
    while (j < src.length && src[j] !== SLASH) j++;
    const c = src.subarray(i, j);
    if (c.length === 1 && c[0] === 0x2e) { /* "." */ } else if (c.length === 2 && c[0] === 0x2e && c[1] === 0x2e) comps.pop();
    else if (c.length > 0) comps.push(c);
    i = j;
  }
  // A NUL inside a component: that component can never match, keep its parent.
  if (nul >= 0 && nul > 0 && b[nul - 1] !== SLASH) comps.pop();
  let out: Uint8Array = ROOT;
  if (comps.length > 0) {
    const len = comps.reduce((n, c) => n + 1 + c.length, 0);
    out = new Uint8Array(len);
    let o = 0;
    for (const c of comps) { out[o++] = SLASH; out.set(c, o); o += c.length; }
  }
  while (out.length > BS_MAX_PATH) out = parent(out);
  return out;
}

function parent(b: Uint8Array): Uint8Array {
  const i = b.lastIndexOf(SLASH);
  return i <= 0 ? ROOT : b.subarray(0, i);
}

const isRoot = (b: Uint8Array) => b.length === 1 && b[0] === SLASH;

/** a is b or lies below it. */
function within(a: Uint8Array, b: Uint8Array): boolean {
  if (isRoot(b)) return true;
  if (a.length < b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length || a[b.length] === SLASH;
}

/** The keys (latin1, as in computeBackstop's map) of every directory above `a`: / and each prefix ending before a slash. */
function ancestors(a: Uint8Array): string[] {
  const keys = [Buffer.from(ROOT).toString("latin1")];
  for (let i = 1; i < a.length; i++) if (a[i] === SLASH) keys.push(Buffer.from(a.subarray(0, i)).toString("latin1"));
  return keys;
}

function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The single byte a set holds, or -1. */
function single(set: Parameters<typeof hasByte>[0]): number {
  let found = -1;
  for (let b = 0; b < 256; b++) {
    if (!hasByte(set, b)) continue;
    if (found >= 0) return -1;
    found = b;
  }
  return found;
}

/** The literal bytes every string of p starts with; exact = p is that one string. */
function lead(p: Pat): { bytes: number[]; exact: boolean } {
  switch (p.kind) {
    case "set": {
      const b = single(p.set);
      return b < 0 ? { bytes: [], exact: false } : { bytes: [b], exact: true };
    }
    case "seq": {
      const out: number[] = [];
      for (const part of p.parts) {
        const l = lead(part);
        out.push(...l.bytes);
        if (!l.exact) return { bytes: out, exact: false };
      }
      return { bytes: out, exact: true };
    }
    case "alt": {
      if (p.alts.length === 0) return { bytes: [], exact: false };
      const ls = p.alts.map(lead);
      const first = ls[0]!.bytes;
      let n = first.length;
      for (const l of ls) {
        let i = 0;
        while (i < n && i < l.bytes.length && l.bytes[i] === first[i]) i++;
        n = i;
      }
      const exact = ls.every((l) => l.exact && l.bytes.length === n);
      return { bytes: first.slice(0, n), exact };
    }
    case "repeat": {
      if (p.max === 0) return { bytes: [], exact: true };
      const l = p.min >= 1 ? lead(p.body) : { bytes: [], exact: false };
      return { bytes: l.bytes, exact: l.exact && p.min === 1 && p.max === 1 };
    }
  }
}

const subsetCache = new WeakMap<Pat, Map<string, boolean>>();

function provenUnder(p: Pat, dir: Uint8Array): boolean {
  let m = subsetCache.get(p);
  if (!m) subsetCache.set(p, (m = new Map()));
  const key = Buffer.from(dir).toString("latin1");
  let r = m.get(key);
  if (r === undefined) {
    const region = under(dir);
    // `path under "/x"` is exactly under("/x"): no automaton needed to prove it
    // (10,000 such rules spent most of the backstop's time in subset proofs).
    if (samePat(p, region)) {
      m.set(key, true);
      return true;
    }
    try {
      r = isSubset(p, region, { maxStates: MAX_STATES });
    } catch (e) {
      if (!(e instanceof DfaTooLarge)) throw e;
      r = false;
    }
    m.set(key, r);
  }
  return r;
}

/** Structural equality of two patterns (a sufficient test for equal languages). */
function samePat(a: Pat, b: Pat): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "set": {
      const x = a.set, y = (b as typeof a).set;
      return x.length === y.length && x.every((w, i) => w === y[i]);
    }
    case "seq": {
      const y = (b as typeof a).parts;
      return a.parts.length === y.length && a.parts.every((q, i) => samePat(q, y[i]!));
    }
    case "alt": {
      const y = (b as typeof a).alts;
      return a.alts.length === y.length && a.alts.every((q, i) => samePat(q, y[i]!));
    }
    case "repeat": {
      const y = b as typeof a;
      return a.min === y.min && a.max === y.max && samePat(a.body, y.body);
    }
  }
}

/** Places of one string pattern on a path field; [] + wide if only "/" holds it. */
function placesOfPat(p: Pat, pred: Pred): Region {
  if (p.kind === "alt" && p.alts.length > 1) {
    const parts = p.alts.map((a) => placesOfPat(a, pred));
    return union(parts);
  }
  const l = lead(p);
  const prefix = new Uint8Array(l.bytes);
  if (l.exact) {
    if (prefix[0] !== SLASH) return { all: false, places: [] }; // a relative value never matches a path
    const n = normalize(prefix);
    // exact values that are not normalized never occur; the normalized form is a safe stand-in
    return { all: false, places: [{ bytes: n, exact: true }] };
  }
  let dir = prefix.length > 0 && prefix[0] === SLASH ? normalize(prefix) : ROOT;
  // the prefix may end inside a name ("/a/b*"): try it, then its parents
  for (;;) {
    if (isRoot(dir)) break;
    if (provenUnder(p, dir)) return { all: false, places: [{ bytes: dir, exact: false }] };
    dir = parent(dir);
  }
  if (isExplicitRoot(pred)) return { all: true, wide: null };
  return { all: true, wide: { loc: pred.loc, why: `\`${pred.text}\` has no fixed directory` } };
}

/** `path under "/"` (or a list holding "/"): the policy asked for everything. */
function isExplicitRoot(pred: Pred): boolean {
  return / under /.test(pred.text) && /"\/+"/.test(pred.text);
}

function union(rs: Region[]): Region {
  const all = rs.find((r) => r.all);
  if (all) return rs.find((r) => r.all && r.wide !== null) ?? all;
  return { all: false, places: rs.flatMap((r) => (r.all ? [] : r.places)) };
}

/** Region of `field` under condition c. `rule` explains an unconstrained field. */
function regionOf(c: IrCond, field: string, rule: IrRule): Region {
  const free = (why: string): Region => ({ all: true, wide: { loc: rule.loc, why } });
  const go = (c: IrCond): Region | "free" | "none" => {
    switch (c.t) {
      case "true": return "free";
      case "false": return "none";
      case "pred":
        if (c.pred.field !== field || c.pred.type !== "str") return "free";
        return placesOfPat(c.pred.pat, c.pred);
      case "not": {
        const inner = go(c.a);
        if (inner === "free" || inner === "none") return "free"; // not(false) is true; not(unconstrained) constrains nothing
        return { all: true, wide: { loc: rule.loc, why: `a negated condition on \`${field}\` has no fixed directory` } };
      }
      case "or": {
        const a = go(c.a), b = go(c.b);
        if (a === "free" || b === "free") return "free";
        if (a === "none") return b;
        if (b === "none") return a;
        return union([a, b]);
      }
      case "and": {
        const a = go(c.a), b = go(c.b);
        if (a === "none" || b === "none") return "none";
        if (a === "free") return b;
        if (b === "free") return a;
        return narrower(a, b);
      }
    }
  };
  const r = go(c);
  if (r === "none") return { all: false, places: [] };
  if (r === "free") return free(`rule \`${rule.name}\` does not constrain \`${field}\``);
  return r;
}

/** Either side of an `and` over-approximates it; keep the tighter one. */
function narrower(a: Region, b: Region): Region {
  if (a.all) return b;
  if (b.all) return a;
  const covered = (x: Place[], y: Place[]) => x.every((p) => y.some((q) => within(p.bytes, q.bytes) && (!q.exact || p.exact)));
  if (covered(a.places, b.places)) return a;
  if (covered(b.places, a.places)) return b;
  const depth = (r: Place[]) => Math.min(...r.map((p) => p.bytes.filter((x) => x === SLASH).length));
  return depth(a.places) >= depth(b.places) ? a : b;
}

// ---- numbers and families -----------------------------------------------------

type Ports = number[] | "any";

function portsOf(c: IrCond): Ports | "none" {
  switch (c.t) {
    case "true": return "any";
    case "false": return "none";
    case "not": return "any";
    case "pred": {
      if (c.pred.field !== "port" || c.pred.type !== "int") return "any";
      let n = 0n;
      const out: number[] = [];
      for (const [lo0, hi0] of c.pred.ranges) {
        const lo = lo0 < 0n ? 0n : lo0, hi = hi0 > 65535n ? 65535n : hi0;
        if (lo > hi) continue;
        n += hi - lo + 1n;
        if (n > BigInt(MAX_PORTS)) return "any";
        for (let p = lo; p <= hi; p++) out.push(Number(p));
      }
      return out;
    }
    case "or": {
      const a = portsOf(c.a), b = portsOf(c.b);
      if (a === "any" || b === "any") return "any";
      if (a === "none") return b;
      if (b === "none") return a;
      return [...new Set([...a, ...b])];
    }
    case "and": {
      const a = portsOf(c.a), b = portsOf(c.b);
      if (a === "none" || b === "none") return "none";
      if (a === "any") return b;
      if (b === "any") return a;
      const s = new Set(b);
      return a.filter((p) => s.has(p));
    }
  }
}

/** Which families a rule can allow (BSM family bits). Unconstrained: inet, inet6, unix. */
function familiesOf(c: IrCond): number {
  switch (c.t) {
    case "true": return DEFAULT_FAMILIES;
    case "false": return 0;
    case "not": return DEFAULT_FAMILIES;
    case "pred": {
      if (c.pred.field !== "family" || c.pred.type !== "str") return DEFAULT_FAMILIES;
      const pat = c.pred.pat;
      let bits = 0;
      for (const [name, bit] of FAMILY_BITS) if (accepts(pat, name)) bits |= bit;
      if (!subset(pat, anyOf(FAMILY_BITS.map(([n]) => literal(stringToBytes(n)))))) bits |= BSM.FAMILY_OTHER;
      return bits;
    }
    case "or": return familiesOf(c.a) | familiesOf(c.b);
    case "and": return familiesOf(c.a) & familiesOf(c.b);
  }
}

function subset(a: Pat, b: Pat): boolean {
  try {
    return isSubset(a, b, { maxStates: MAX_STATES });
  } catch (e) {
    if (!(e instanceof DfaTooLarge)) throw e;
    return false;
  }
}
const accepts = (p: Pat, s: string) => subset(literal(stringToBytes(s)), p);

// ---- the whole policy ----------------------------------------------------------

const FILE_RIGHTS: Partial<Record<Kind, Array<{ field: string; rights: number; parent: boolean }>>> = {
  "file.read": [{ field: "path", rights: BS.READ | BS.READ_DIR, parent: false }],
  "file.write": [{ field: "path", rights: BS.WRITE | BS.TRUNCATE, parent: false }],
  "file.create": [{ field: "path", rights: BS.CREATE, parent: true }],
  "file.delete": [{ field: "path", rights: BS.REMOVE, parent: true }],
  "dir.create": [{ field: "path", rights: BS.MKDIR, parent: true }],
  "file.rename": [
    { field: "path", rights: BS.REFER | BS.CREATE | BS.REMOVE, parent: true },
    { field: "path2", rights: BS.REFER | BS.CREATE | BS.REMOVE, parent: true },
  ],
  "file.link": [
    { field: "path", rights: BS.REFER | BS.CREATE | BS.REMOVE, parent: true },
    { field: "path2", rights: BS.REFER | BS.CREATE | BS.REMOVE, parent: true },
  ],
  exec: [{ field: "exe", rights: BS.EXEC, parent: false }],
};

export interface Backstop {
  entries: BsEntry[]; // META first, then sorted PATH, TCP_CONNECT, TCP_BIND
}

/**
 * The backstop of a lowered policy, and its warnings: `backstop-wide` where a
 * rule's condition made a right's region "/" without asking for "/" (only
 * under `default deny`: with a default of allow or ask it is "/" anyway).
 */
export function computeBackstop(ir: IrPolicy, diags?: Diagnostics): Backstop {
  const rights = new Map<string, { bytes: Uint8Array; access: number }>();
  const grant = (bytes: Uint8Array, access: number) => {
    const k = Buffer.from(bytes).toString("latin1");
    const e = rights.get(k);
    if (e) e.access |= access;
    else rights.set(k, { bytes, access });
  };
  let meta = 0;
  const connect = new Set<number>(), bind = new Set<number>();

  if (ir.default !== "deny") {
    // No warning: a default-allow policy is a deny-list on purpose (policies/no-network.trj);
    // `trajeckt check --backstop` and disasm say that the backstop bounds nothing.
    grant(ROOT, BS.ALL_FILE);
    meta |= BSM.TCP_CONNECT_ANY | BSM.TCP_BIND_ANY | DEFAULT_FAMILIES | BSM.FAMILY_NETLINK | BSM.FAMILY_OTHER | BSM.EXEC_FD | BSM.FILE_META;
  }

  for (const rule of ir.rules) {
    if (rule.decision === "deny") continue;
    const warned = new Map<string, { wide: Wide; rights: number }>();
    for (const kind of rule.kinds) {
      for (const spec of FILE_RIGHTS[kind] ?? []) {
        const r = regionOf(rule.cond, spec.field, rule);
        if (r.all) {
          grant(ROOT, spec.rights);
          if (kind === "exec") meta |= BSM.EXEC_FD;
          if (r.wide) {
            const k = `${r.wide.loc.start.offset}\0${r.wide.why}`;
            const w = warned.get(k);
            if (w) w.rights |= spec.rights;
            else warned.set(k, { wide: r.wide, rights: spec.rights });
          }
          continue;
        }
        for (const p of r.places) grant(spec.parent && p.exact ? parent(p.bytes) : p.bytes, spec.rights);
      }
      // One bit for the whole policy: file.meta allowed on any path lets the kernel allow it on every path.
      if (kind === "file.meta") {
        const r = regionOf(rule.cond, "path", rule);
        if (r.all || r.places.length > 0) meta |= BSM.FILE_META;
      }
      if (kind === "net.connect" || kind === "net.bind" || kind === "net.send") {
        const fam = familiesOf(rule.cond);
        meta |= fam;
        if (kind === "net.send" || !(fam & (BSM.FAMILY_INET | BSM.FAMILY_INET6))) continue;
        const ports = portsOf(rule.cond);
        if (ports === "none") continue;
        if (ports === "any") meta |= kind === "net.connect" ? BSM.TCP_CONNECT_ANY : BSM.TCP_BIND_ANY;
        else for (const p of ports) (kind === "net.connect" ? connect : bind).add(p);
      }
    }
    if (diags && ir.default === "deny")
      for (const { wide, rights } of warned.values())
        diags.warning("backstop-wide", wide.loc,
          `the kernel backstop grants ${rightsText(rights).split(",").join(", ")} on / because ${wide.why}; the library still enforces the rule`,
          "put the pattern under a fixed directory (e.g. `path under \"/work\" and path matches \"**/*.md\"`) to keep the backstop narrow");
  }

  // Merge: a path under another with a superset of its rights adds nothing.
  const paths = [...rights.values()].sort((a, b) => cmpBytes(a.bytes, b.bytes));
  const kept = paths.filter((p) => !ancestors(p.bytes).some((k) => {
    const q = rights.get(k);
    return q !== undefined && q !== p && (q.access & p.access) === p.access;
  }));
  if (meta & BSM.TCP_CONNECT_ANY) connect.clear();
  if (meta & BSM.TCP_BIND_ANY) bind.clear();
  const entries: BsEntry[] = [{ kind: BS_KIND.META, access: meta, path: null, port: 0 }];
  for (const p of kept) entries.push({ kind: BS_KIND.PATH, access: p.access, path: p.bytes, port: 0 });
  for (const port of [...connect].sort((a, b) => a - b)) entries.push({ kind: BS_KIND.TCP_CONNECT, access: 0, path: null, port });
  for (const port of [...bind].sort((a, b) => a - b)) entries.push({ kind: BS_KIND.TCP_BIND, access: 0, path: null, port });
  return { entries };
}
