// The one file that loads trajeckt.node (native/addon + native/core) and types it.
//
//   verify(bytes)            check a .trjb table: {ok: true} | {ok: false, code, message}
//   loadPolicy(bytes)        a Policy owning a copy of the table; throws TrjError if rejected
//   policy.evaluate(action)  one Decision, synchronously (sub-microsecond for small policies)
//   policy.info()            name, version, body hash, rules, fields
//
// How evaluate() reads an action, per field (slot) the policy uses:
//   field "path"      action.path          field "argv[2]"  action.argv[2]
//   field "args.a.b"  action.args.a.b      (only the fields the action's kind reads are looked at)
//   str   string (as UTF-8) | Uint8Array/Buffer (raw bytes, NUL included)
//   int   Number that is a safe integer | BigInt within int64
//   ip    "a.b.c.d" (taken as ::ffff:a.b.c.d) | IPv6 text (IPv4-mapped stays mapped)
//   undefined / null         the field is absent (a required field absent = deny, eval-error)
//   any other value          deny, reason "eval-error", error "type-mismatch" (never a throw)
//   argc / cmdline absent and argv an array: argv.length / argv joined by single spaces
// evaluate() throws TrjError only for a malformed call: `bad-action` (not an object,
// kind not a string), `unknown-kind`; and rethrows what a getter on the action throws.
// Everything about field values is a decision. Decisions are frozen, shared objects.
//
//   createRing(options)      the audit ring the agent's processes write decisions to
//                            (native/ring/trj_ring.h; read by runtime/audit/writer.ts)
//   createSealedMemfd(n, b)  a read-only memfd holding b (a policy handed to the agent)
//   closeFd(fd)

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { Kind } from "../compiler/catalog.js";
import type { LineFragments } from "./audit/encode.js";

/** Every error the addon and the runtime's policy plumbing throw. `code` is stable; wording is not. */
export class TrjError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TrjError";
    this.code = code;
  }
}

/** A field value as evaluate() accepts it; see the table at the top of this file. */
export type FieldValue = string | number | bigint | Uint8Array | null | undefined;

/** One action to decide. Fields other than kind, argv and args are read by name. */
export interface Action {
  kind: Kind;
  argv?: readonly (string | Uint8Array)[] | null;
  args?: { readonly [name: string]: unknown } | null;
  [field: string]: unknown;
}

export type Verdict = "allow" | "deny" | "ask";

/**
 * One decision. Decision objects are frozen and shared: evaluate() returns the
 * same object for the same outcome (rule, flag, error), so it costs no
 * allocation. Copy it (`{ ...d }`) to add fields.
 */
export interface Decision {
  readonly decision: Verdict;
  /** Name of the deciding rule; null for the default and for evaluation errors. */
  readonly rule: string | null;
  /** The rule's reason text (null if it has none), "default", or "eval-error". */
  readonly reason: string | null;
  /** A flag rule matched (the action is allowed and marked). */
  readonly flagged: boolean;
  /** For "ask": how long to wait for a person before denying. */
  readonly timeoutMs?: number;
  /** For reason "eval-error": why, e.g. "missing-field", "type-mismatch", "value-too-long". */
  readonly error?: string;
}

export interface RuleInfo {
  name: string;
  decision: "allow" | "deny" | "ask" | "flag";
  reason: string | null;
  line: number;
  col: number;
  timeoutMs?: number;
}

export interface FieldInfo {
  name: string;
  type: "str" | "int" | "ip";
}

export interface PolicyInfo {
  name: string;
  version: string;
  /** Hex SHA-256 of the table body: the policy's identity in every audit entry. */
  hash: string;
  default: Verdict;
  rules: RuleInfo[];
  fields: FieldInfo[];
}

/** A loaded, verified policy. Safe to keep for the life of the process; freed by GC. */
export interface Policy {
  evaluate(action: Action): Decision;
  info(): PolicyInfo;
}

export type VerifyResult = { ok: true } | { ok: false; code: string; message: string };

export interface RingOptions {
  /** Create the ring as this file (O_CREAT|O_EXCL, mode 0600); default: a memfd "trajeckt-audit". */
  path?: string;
  /** Bytes of the data area: a power of two, 64 KiB to 1 GiB; default 4 MiB. */
  dataSize?: number;
}

export interface RingConfig {
  mode: "enforce" | "observe";
  ask: "deny" | "broker";
  /** sun_path of the ask broker (abstract: starts with a NUL byte); needed for ask "broker". */
  askAddr?: string | Uint8Array;
  agentId?: string;
  /** Body SHA-256 of the loaded policy (32 bytes). */
  policyHash: Uint8Array;
  /** The ring's descriptor number as the agent sees it; default ring.fd. */
  writerFd?: number;
}

export interface RingState {
  head: number;
  tail: number;
  /** where the next read() starts (what release() releases up to) */
  cursor: number;
  dataSize: number;
  writerState: "starting" | "running" | "closed" | "broken";
  lostNested: number;
  waiters: number;
}

/**
 * The launcher's end of the audit ring. Descriptor close-on-exec: hand it to
 * the agent through spawn's stdio array. Throws TrjError "ring-corrupt" /
 * "ring-stalled" from read() once the ring is broken (the agent is denied
 * everything from then on), "ring-unmapped" after unmap().
 */
export interface AuditRing {
  readonly fd: number;
  /** Fill the header's configuration; before the agent starts. */
  configure(config: RingConfig): void;
  /** Whole published records from the cursor (at most maxBytes, default 1 MiB), or null. Beats the heartbeat. */
  read(maxBytes?: number): Buffer | null;
  /** The same into `into` (>= 256 KiB, reused: a fresh Buffer per read costs page faults); returns the bytes, 0 for none. */
  read(maxBytes: number, into: Buffer): number;
  /** The writer's fast path (native/addon/lines.cc): LineEncoder's fragments, once. */
  lineFormat(fragments: LineFragments): void;
  /** Records from io[0] to lines at out[io[1]..] until the end, a record the fast path does not take, or a full out. io: [next record offset, end of out (in/out), STOP, then added to: decisions, allowed, denied, flagged, observed, lines] */
  encodeLines(records: Buffer, out: Buffer, prev: Buffer, io: Float64Array): void;
  /** One body made in JS → out[off..] with its `prev`, hashed; returns the new end of out. */
  chainLine(body: string, out: Buffer, off: number, prev: Buffer): number;
  /** Give back to the producers everything read so far. */
  release(): void;
  state(): RingState;
  /** writer_state CLOSED: every later decision is denied. */
  close(): void;
  /** Unmap and close the descriptor; idempotent. */
  unmap(): void;
}

interface Native {
  init(errorClass: typeof TrjError): void;
  verify(bytes: Uint8Array | ArrayBuffer): VerifyResult;
  loadPolicy(bytes: Uint8Array | ArrayBuffer): Policy;
  Policy: abstract new (...args: never[]) => Policy;
  AuditRing: new (options?: RingOptions) => AuditRing;
  createSealedMemfd(name: string, bytes: Uint8Array): number;
  closeFd(fd: number): void;
}

/** The package root: the nearest directory above this file with trajeckt's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "trajeckt") return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new TrjError("addon-not-built", "native addon not built: run npm install");
    dir = up;
  }
}

/** Where the addon is expected: <package root>/build/Release/trajeckt.node. */
export function addonPath(): string {
  return join(packageRoot(), "build", "Release", "trajeckt.node");
}

let native: Native | undefined;

/** Load the addon on first use, so importing this file never fails by itself. */
function addon(): Native {
  if (native) return native;
  const file = addonPath();
  if (!existsSync(file)) throw new TrjError("addon-not-built", "native addon not built: run npm install");
  let mod: Native;
  try {
    mod = createRequire(import.meta.url)(file) as Native;
  } catch (e) {
    throw new TrjError("addon-load-failed", `cannot load native addon ${file}: ${(e as Error).message}`, { cause: e });
  }
  mod.init(TrjError);
  native = mod;
  return mod;
}

/** Check a .trjb table with the C verifier without keeping it. Throws only if `bytes` is not bytes. */
export function verify(bytes: Uint8Array | ArrayBuffer): VerifyResult {
  return addon().verify(bytes);
}

/** Verify and load a .trjb table (copied). Throws TrjError with the verifier's code if rejected. */
export function loadPolicy(bytes: Uint8Array | ArrayBuffer): Policy {
  return addon().loadPolicy(bytes);
}

/** True for objects made by loadPolicy(). */
export function isPolicy(x: unknown): x is Policy {
  return x instanceof addon().Policy;
}

/** Create an audit ring (header written, state "starting"). Throws TrjError "ring-create-failed" / "bad-argument". */
export function createRing(options: RingOptions = {}): AuditRing {
  return new (addon().AuditRing)(options);
}

/** A memfd holding bytes, sealed against writes, resizing and further seals; close-on-exec. */
export function createSealedMemfd(name: string, bytes: Uint8Array): number {
  return addon().createSealedMemfd(name, bytes);
}

/** Close a descriptor the addon handed out. */
export function closeFd(fd: number): void {
  addon().closeFd(fd);
}
