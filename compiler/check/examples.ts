// Checks inline examples before they run: fields exist for the example's kind
// and values have the field's type. (Running them is the last compile stage.)

import { expandKind } from "../catalog.js";
import { resolveField } from "../fields.js";
import { ipRange } from "../lower/ip.js";
import type { CheckPass } from "./context.js";

export const checkExamples: CheckPass = ({ policy, scope, diags, argsTypes }) => {
  for (const d of policy.decls) {
    if (d.type !== "example") continue;
    const kinds = expandKind(d.kind.text);
    if (kinds.length !== 1) continue; // reported by kinds.ts
    const seen = new Set<string>();
    for (const { name, value } of d.fields) {
      if (seen.has(name.name)) diags.error("duplicate-name", name.loc, `field \`${name.name}\` is given twice`, "keep one");
      seen.add(name.name);
      if (name.name === "argv") {
        const v = scope.resolve(value);
        if (v && !(v.t === "list" && v.items.every((i) => i.t === "str")))
          diags.error("type-mismatch", value.loc, "`argv` is a list of strings", 'e.g. argv: ["git", "status"]');
        continue;
      }
      // args.* used only in examples default to their literal's type.
      const v = scope.resolve(value);
      const local = new Map(argsTypes);
      if (!local.has(name.name) && v) local.set(name.name, v.t === "num" ? "int" : "str");
      const f = resolveField(kinds, name.name, local);
      if ("code" in f) {
        diags.error(f.code, name.loc, f.message, f.hint);
        continue;
      }
      if (v === null) continue;
      const ok = f.type === "int" ? v.t === "num" : f.type === "ip" ? v.t === "ip" || v.t === "str" : v.t === "str";
      if (ok && f.type === "ip" && (v.t === "ip" || v.t === "str")) {
        const text = v.t === "ip" ? v.text : v.value;
        const r = ipRange(text);
        if (typeof r === "string" || text.includes("/")) {
          diags.error("bad-ip", value.loc, typeof r === "string" ? r : `an example needs one address, not the block \`${text}\``, 'write one address, e.g. "10.0.0.1" or "::1"');
        }
        continue;
      }
      if (!ok) diags.error("type-mismatch", value.loc, `\`${name.name}\` needs ${f.type === "int" ? "a number" : f.type === "ip" ? "an address" : "a string"}`, "fix the example value");
    }
  }
};
