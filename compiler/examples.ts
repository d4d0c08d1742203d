// Runs the policy's inline examples (`example deny file.read { ... }`) against
// the compiled table in the real C core, through the addon: an example passes
// only if the engine that will enforce the policy agrees with it.

import type { ExampleDecl, Value } from "./ast.js";
import type { CheckContext } from "./check/context.js";
import { stringToBytes } from "./parse.js";
import type { RValue } from "./resolve.js";
import { loadPolicy, type Action } from "../runtime/binding.js";

export function runExamples(ctx: CheckContext, bytes: Uint8Array): void {
  const examples = ctx.policy.decls.filter((d): d is ExampleDecl => d.type === "example");
  if (examples.length === 0) return;
  const policy = loadPolicy(bytes);
  const ruleLine = new Map(policy.info().rules.map((r) => [r.name, r.line]));
  for (const ex of examples) {
    const action = exampleAction(ex, (v) => ctx.scope.resolve(v));
    if (action === null) continue;
    const got = policy.evaluate(action as Action);
    const want = ex.decision.value;
    if (got.reason === "eval-error") {
      // A deny by evaluation error proves nothing about the rules.
      ctx.diags.error("example-failed", ex.loc, `example cannot be evaluated: ${got.error}`,
        "an example must describe a complete action: give every field the kind requires (e.g. `path` for file actions)");
      continue;
    }
    const ok = want === "flag" ? got.decision === "allow" && got.flagged : got.decision === want;
    if (ok) continue;
    const actual = got.flagged && got.decision === "allow" ? "flag" : got.decision;
    const why = got.rule ? `rule \`${got.rule}\` (line ${ruleLine.get(got.rule)})` : got.reason === "eval-error" ? `an evaluation error (${got.error})` : "the default";
    ctx.diags.error("example-failed", ex.loc, `example expects ${want} but the policy decides ${actual}, by ${why}`,
      "fix the rules or the example; examples are checked on every compile");
  }
}

/** The action object an example describes, in the shape evaluate() takes. */
export function exampleAction(ex: ExampleDecl, resolve: (v: Value) => RValue | null): Record<string, unknown> | null {
  const action: Record<string, unknown> = { kind: ex.kind.text };
  for (const { name, value } of ex.fields) {
    const v = resolve(value);
    if (v === null) return null;
    const js = toJs(v);
    if (name.name.startsWith("args.")) {
      let o = (action.args ??= {}) as Record<string, unknown>;
      const parts = name.name.split(".").slice(1);
      parts.slice(0, -1).forEach((p) => (o = (o[p] ??= {}) as Record<string, unknown>));
      o[parts[parts.length - 1]!] = js;
    } else if (/^argv\[\d+\]$/.test(name.name)) {
      const argv = (action.argv ??= []) as unknown[];
      argv[Number(name.name.slice(5, -1))] = js;
    } else {
      action[name.name] = js;
    }
  }
  return action;
}

function toJs(v: RValue): unknown {
  switch (v.t) {
    case "str": {
      // Plain text stays a string (ip fields parse it); raw bytes go as a Buffer.
      const b = Buffer.from(stringToBytes(v.value));
      return b.toString("utf8") === v.value ? v.value : b;
    }
    case "num": return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    case "ip": return v.text;
    case "list": return v.items.map(toJs);
    case "regex": return v.source;
    case "duration": return v.ms;
  }
}
