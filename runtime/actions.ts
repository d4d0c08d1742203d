// Actions given as JSON (`trajeckt eval`, a JSON line on stdin, a test file):
// check the shape, turn the JSON spellings of bytes and big integers into the
// values evaluate() takes. Field semantics live in runtime/binding.ts.
//
// The action JSON format — one object per action:
//
//   {"kind": "file.read", "path": "/etc/passwd", "pid": 4242}
//   {"kind": "exec", "exe": "/usr/bin/git", "argv": ["git", "push", "origin"]}
//   {"kind": "net.connect", "ip": "10.0.0.8", "port": 443, "host": "pypi.org"}
//   {"kind": "tool.call", "tool": "stripe.charges.create", "args": {"amount": 1200}}
//
//   kind       required, one of compiler/catalog.ts KINDS ("file.read", "exec", ...)
//   str field  a JSON string (its UTF-8 bytes), or one of
//                {"$bytes": "2f746d702fff"}   hex, any bytes (NUL, invalid UTF-8)
//                {"$b64": "L3RtcC//"}         base64 (standard or URL-safe alphabet)
//   int field  a JSON number that is a safe integer, or {"$int": "-9223372036854775808"}
//              (decimal text, for integers beyond 2^53)
//   ip field   "192.0.2.1" or "2001:db8::1"
//   argv       array of str values; argc and cmdline are derived from it when absent
//   args       any JSON object (tool arguments); `args.a.b` fields read into it
//   null       the field is absent
//
// Objects of exactly one key "$bytes", "$b64" or "$int" with a string value are
// the special spellings above, anywhere (including inside args); any other
// object, "$ref" included, is left as it is.

import { KINDS, type Kind } from "../compiler/catalog.js";
import { TrjError, type Action } from "./binding.js";

const MAX_DEPTH = 64;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const B64_RE = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const INT_RE = /^-?(?:0|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const kinds: ReadonlySet<string> = new Set(KINDS);

function bad(where: string, why: string): TrjError {
  return new TrjError("bad-action", `action${where}: ${why}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** {"$bytes": hex} | {"$b64": text} | {"$int": decimal} → Buffer / bigint; undefined if not special. */
function special(v: Record<string, unknown>, where: string): Buffer | bigint | undefined {
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const key = keys[0] as string;
  const text = v[key];
  if (typeof text !== "string") return undefined;
  switch (key) {
    case "$bytes":
      if (!HEX_RE.test(text)) throw bad(where, `"$bytes" must be hex digits in pairs`);
      return Buffer.from(text, "hex");
    case "$b64":
      if (!B64_RE.test(text)) throw bad(where, `"$b64" is not base64`);
      return Buffer.from(text, "base64"); // Node's decoder reads both alphabets
    case "$int": {
      if (!INT_RE.test(text)) throw bad(where, `"$int" must be a decimal integer`);
      const n = BigInt(text);
      if (n < INT64_MIN || n > INT64_MAX) throw bad(where, `"$int" ${text} is outside the 64-bit range`);
      return n;
    }
    default:
      return undefined;
  }
}

function convert(v: unknown, where: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw bad(where, `nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(v)) return v.map((e, i) => convert(e, `${where}[${i}]`, depth + 1));
  if (isPlainObject(v)) {
    const s = special(v, where);
    if (s !== undefined) return s;
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = convert(e, `${where}.${k}`, depth + 1);
    return out;
  }
  return v;
}

/**
 * An Action from a parsed JSON value: checks it is an object with a known
 * `kind` and decodes the special spellings. Throws TrjError `bad-action` or
 * `unknown-kind`. Value types are not checked here: a wrong type is a
 * decision (deny, eval-error), made by the core.
 */
export function actionFromJson(json: unknown): Action {
  if (!isPlainObject(json)) {
    const what = json === null ? "null" : Array.isArray(json) ? "an array" : typeof json;
    throw bad("", `must be a JSON object, got ${what}`);
  }
  const kind = json["kind"];
  if (kind === undefined) throw bad("", `missing "kind" (e.g. "file.read")`);
  if (typeof kind !== "string") throw bad(".kind", `must be a string, got ${typeof kind}`);
  if (!kinds.has(kind)) throw new TrjError("unknown-kind", `action.kind: unknown kind "${kind}"`);
  const argv = json["argv"];
  if (argv !== undefined && argv !== null && !Array.isArray(argv)) throw bad(".argv", "must be an array");
  const args = json["args"];
  if (args !== undefined && args !== null && !isPlainObject(args)) throw bad(".args", "must be an object");
  const out = convert(json, "", 0) as Record<string, unknown>;
  out["kind"] = kind as Kind;
  return out as Action;
}

/** An Action from one line of JSON text (e.g. a JSON-lines stream). */
export function parseAction(text: string): Action {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TrjError("bad-action", `action is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return actionFromJson(json);
}

/**
 * The JSON form of an action, the inverse of actionFromJson: bytes that are
 * not valid UTF-8 become {"$bytes": hex}, bigints {"$int": "..."}. For audit
 * records and for replaying an action through `trajeckt eval`.
 */
export function actionToJson(action: Action): Record<string, unknown> {
  const enc = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b);
      } catch {
        return { $bytes: b.toString("hex") };
      }
    }
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : { $int: v.toString() };
    if (Array.isArray(v)) return v.map(enc);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, enc(e)]));
    return v;
  };
  return enc(action) as Record<string, unknown>;
}
