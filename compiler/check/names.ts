// Checks names: no two consts/lists or two rules share a name, and every
// const and list resolves (undefined names, cycles, unset env vars).

import type { CheckPass } from "./context.js";

export const checkNames: CheckPass = ({ policy, scope, diags }) => {
  const values = new Map<string, number>();
  const ruleNames = new Map<string, number>();
  for (const d of policy.decls) {
    if (d.type === "example") continue;
    const seen = d.type === "rule" ? ruleNames : values;
    const first = seen.get(d.name.name);
    if (first !== undefined) {
      diags.error("duplicate-name", d.name.loc, `\`${d.name.name}\` is already defined on line ${first}`, "rename one of them");
    } else {
      seen.set(d.name.name, d.name.loc.start.line);
    }
  }
  // Resolve every const and list once (memoized), so errors in unused ones are
  // reported too, and errors in used ones only once.
  for (const d of policy.decls) {
    if (d.type === "const" || d.type === "list") scope.resolveName(d.name.name, d.name.loc);
  }
};
