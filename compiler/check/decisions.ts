// Checks decision options: `timeout` only on `ask`, and within 1 ms .. 1 h.

import { rules, type CheckPass } from "./context.js";

export const MAX_TIMEOUT_MS = 3_600_000;

export const checkDecisions: CheckPass = ({ policy, diags }) => {
  for (const r of rules(policy)) {
    const t = r.timeout;
    if (t === null) continue;
    if (r.decision.value !== "ask") {
      diags.error("bad-timeout", t.loc, `\`timeout\` only applies to \`ask\` rules, not \`${r.decision.value}\``, "remove the timeout or make the rule `ask`");
    } else if (t.ms < 1 || t.ms > MAX_TIMEOUT_MS) {
      diags.error("bad-timeout", t.loc, `timeout ${t.text} is out of range`, "use a value between 1ms and 1h");
    }
  }
};
