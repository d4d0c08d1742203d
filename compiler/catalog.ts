// What the language knows about the world: action kinds (ids fixed by
// native/core/trj_isa.h) and the fields each kind carries, with their types.
// The checker, the lowering pass, the addon glue and the preload library all
// read this one table.

export type FieldType = "str" | "int" | "ip";

export interface FieldSpec {
  type: FieldType;
  /** Absent on an action of this kind = evaluation error (deny), not "no match". */
  required: boolean;
  /** Values are filesystem paths: absolute, compared byte for byte. */
  path?: boolean;
  doc: string;
}

export const KINDS = [
  "file.read",
  "file.write",
  "file.create",
  "file.delete",
  "file.rename",
  "file.meta",
  "file.link",
  "dir.create",
  "exec",
  "net.connect",
  "net.bind",
  "net.send",
  "net.resolve",
  "tool.call",
  "http.request",
] as const;

export type Kind = (typeof KINDS)[number];

export const kindId = (k: Kind): number => KINDS.indexOf(k);

const common: Record<string, FieldSpec> = {
  pid: { type: "int", required: false, doc: "process id of the caller" },
  uid: { type: "int", required: false, doc: "user id of the caller" },
  agent: { type: "str", required: false, doc: "agent id given to `trajeckt run --agent-id`" },
  cwd: { type: "str", required: false, path: true, doc: "working directory of the caller" },
};

const path: FieldSpec = { type: "str", required: true, path: true, doc: "absolute, normalized path of the object" };
const path2: FieldSpec = { type: "str", required: true, path: true, doc: "second path (rename target, link name)" };

const fileFields = { ...common, path };
const twoPathFields = { ...common, path, path2 };

const netFields: Record<string, FieldSpec> = {
  ...common,
  ip: { type: "ip", required: false, doc: "peer address (IPv4-mapped IPv6 unwrapped)" },
  port: { type: "int", required: false, doc: "peer port" },
  family: {
    type: "str",
    required: false,
    doc: '"inet", "inet6", "unix"; other socket families by name ("netlink", "packet", "vsock", ...)',
  },
  host: { type: "str", required: false, doc: "name this process resolved to `ip`, lowercase" },
  // not `path: true`: an abstract unix socket has no path, it is written "@name"
  path: { type: "str", required: false, doc: 'unix socket path (family "unix"), absolute; "@name" for an abstract socket' },
};

/** Fields of each kind. `argv[N]` and `args.*` are patterns, see fieldSpec(). */
export const FIELDS: Record<Kind, Record<string, FieldSpec>> = {
  "file.read": fileFields,
  "file.write": fileFields,
  "file.create": fileFields,
  "file.delete": fileFields,
  "file.rename": twoPathFields,
  "file.meta": fileFields,
  "file.link": twoPathFields,
  "dir.create": fileFields,
  exec: {
    ...common,
    exe: { type: "str", required: true, path: true, doc: "resolved path of the program" },
    cmdline: { type: "str", required: true, doc: "argv joined with single spaces" },
    argc: { type: "int", required: true, doc: "number of arguments" },
  },
  "net.connect": netFields,
  "net.bind": netFields,
  "net.send": netFields,
  "net.resolve": { ...common, host: { type: "str", required: true, doc: "name being resolved, lowercase" } },
  "tool.call": { ...common, tool: { type: "str", required: true, doc: "tool name, e.g. stripe.charges.create" } },
  "http.request": {
    ...common,
    method: { type: "str", required: true, doc: "HTTP method, uppercase" },
    url: { type: "str", required: true, doc: "full URL" },
    host: { type: "str", required: false, doc: "host part of the URL, lowercase" },
  },
};

export const ARGV_RE = /^argv\[(\d{1,3})\]$/;
export const ARGS_RE = /^args(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/**
 * The spec of `field` for `kind`, or null if the kind lacks it.
 * `argv[N]` (exec) is an optional string; `args.x.y` (tool.call) is optional and
 * its type comes from how the policy uses it (the checker infers it).
 */
export function fieldSpec(kind: Kind, field: string): FieldSpec | "args" | null {
  const f = FIELDS[kind][field];
  if (f) return f;
  if (kind === "exec" && ARGV_RE.test(field)) return { type: "str", required: false, doc: "one argument" };
  if (kind === "tool.call" && ARGS_RE.test(field)) return "args";
  return null;
}

/** Concrete kinds a pattern (`file.read`, `file.*`, `*`) stands for; [] if none. */
export function expandKind(pattern: string): Kind[] {
  if (pattern === "*") return [...KINDS];
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -1);
    return KINDS.filter((k) => k.startsWith(prefix));
  }
  return (KINDS as readonly string[]).includes(pattern) ? [pattern as Kind] : [];
}

/** All field names known anywhere, for "did you mean" hints. */
export function allFieldNames(): string[] {
  const s = new Set<string>();
  for (const k of KINDS) for (const f of Object.keys(FIELDS[k])) s.add(f);
  return [...s, "argv[0]", "args.<name>"];
}
