// Infers the type of every `args.*` field (tool.call) from how rules use it,
// and reports a field used both as a string and as a number.

import type { FieldType } from "../catalog.js";
import { isArgsField } from "../fields.js";
import { comparisons, rules, type CheckPass } from "./context.js";

export const inferArgsTypes: CheckPass = ({ policy, scope, diags, argsTypes }) => {
  const where = new Map<string, number>();
  for (const r of rules(policy)) {
    for (const c of comparisons(r.cond)) {
      if (!isArgsField(c.field.name)) continue;
      let t: FieldType | null = null;
      if (["<", "<=", ">", ">="].includes(c.op)) t = "int";
      else if (["under", "matches", "=~"].includes(c.op)) t = "str";
      else {
        const v = scope.resolve(c.value);
        const first = v?.t === "list" ? v.items[0] : v;
        if (first?.t === "num") t = "int";
        else if (first?.t === "str") t = "str";
      }
      if (t === null) continue;
      const prev = argsTypes.get(c.field.name);
      if (prev && prev !== t) {
        diags.error("type-mismatch", c.field.loc, `\`${c.field.name}\` is used as a ${t === "int" ? "number" : "string"} here but as a ${prev === "int" ? "number" : "string"} on line ${where.get(c.field.name)}`,
          "a tool argument has one type: compare it the same way everywhere");
        continue;
      }
      argsTypes.set(c.field.name, t);
      where.set(c.field.name, c.field.loc.start.line);
    }
  }
};
