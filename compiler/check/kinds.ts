// Checks that every action kind pattern in rules and examples names real kinds.

import { expandKind, KINDS } from "../catalog.js";
import { closest } from "../diagnostics.js";
import type { CheckPass } from "./context.js";

export const checkKinds: CheckPass = ({ policy, diags }) => {
  for (const d of policy.decls) {
    const patterns = d.type === "rule" ? d.kinds : d.type === "example" ? [d.kind] : [];
    for (const k of patterns) {
      if (d.type === "example" && k.text.includes("*")) {
        diags.error("unknown-kind", k.loc, "an example needs one concrete kind, not a wildcard", "e.g. example deny file.read { path: \"...\" }");
        continue;
      }
      if (expandKind(k.text).length > 0) continue;
      const guess = closest(k.text, [...KINDS, "file.*", "net.*", "*"]);
      diags.error("unknown-kind", k.loc, `unknown action kind \`${k.text}\``,
        guess ? `did you mean \`${guess}\`?` : `kinds are: ${KINDS.join(", ")}; wildcards file.*, net.*, *`);
    }
  }
};
