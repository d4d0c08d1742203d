// Which field a name refers to for a set of kinds: its type, whether it is a
// path, its value range. Shared by the checker and the lowering stage.

import type { Kind, FieldType } from "./catalog.js";
import { ARGS_RE, fieldSpec, allFieldNames, KINDS, FIELDS } from "./catalog.js";
import { closest } from "./diagnostics.js";
import type { FieldInfo } from "./lower/predicates.js";

export type FieldProblem = { code: "unknown-field" | "field-not-in-kind" | "type-mismatch"; message: string; hint: string };

const RANGES: Record<string, [bigint, bigint]> = {
  port: [0n, 65535n],
  argc: [0n, (1n << 31n) - 1n],
};

/**
 * Resolve `name` for every kind in `kinds`. A field must exist, with the same
 * type, in all of them. `argsTypes` holds the inferred types of args.* fields.
 */
export function resolveField(kinds: Kind[], name: string, argsTypes: Map<string, FieldType>): FieldInfo | FieldProblem {
  const known = KINDS.some((k) => fieldSpec(k, name) !== null);
  if (!known) {
    const guess = closest(name, allFieldNames());
    return { code: "unknown-field", message: `no action kind has a field \`${name}\``, hint: guess ? `did you mean \`${guess}\`?` : `fields are: ${allFieldNames().join(", ")}` };
  }
  let info: FieldInfo | null = null;
  for (const k of kinds) {
    const spec = fieldSpec(k, name);
    if (spec === null) {
      const has = KINDS.filter((kk) => fieldSpec(kk, name) !== null);
      return { code: "field-not-in-kind", message: `\`${k}\` actions have no field \`${name}\``,
        hint: `\`${name}\` exists for ${has.join(", ")}; \`${k}\` has ${Object.keys(FIELDS[k]).join(", ")}` };
    }
    const type: FieldType | undefined = spec === "args" ? argsTypes.get(name) : spec.type;
    if (type === undefined) {
      return { code: "type-mismatch", message: `cannot tell whether \`${name}\` is a string or a number`, hint: "compare it with a quoted string or a number" };
    }
    const here: FieldInfo = { name, type, path: spec !== "args" && !!spec.path, ...(RANGES[name] ? { range: RANGES[name] } : {}) };
    if (info && info.type !== here.type) {
      return { code: "type-mismatch", message: `\`${name}\` has different types across the rule's kinds`, hint: "split the rule by kind" };
    }
    info = here;
  }
  if (info === null) throw new Error("resolveField: no kinds");
  return info;
}

export const isArgsField = (name: string): boolean => ARGS_RE.test(name);

/** Is `name` required (absent = evaluation error) for kind `k`? */
export function isRequired(k: Kind, name: string): boolean {
  const spec = fieldSpec(k, name);
  return spec !== null && spec !== "args" && spec.required;
}
