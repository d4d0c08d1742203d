// Checks the policy header: a semantic version and exactly one default.

import type { CheckPass } from "./context.js";

export const checkHeader: CheckPass = ({ policy, diags }) => {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(policy.version.value)) {
    diags.error("bad-version", policy.version.loc, `\`${policy.version.value}\` is not a version of the form x.y.z`, 'e.g. version "1.0.0"');
  }
  if (policy.name.value.trim() === "") {
    diags.error("missing-header", policy.name.loc, "the policy name is empty", 'e.g. policy "coding-agent" version "1.0.0"');
  }
  if (policy.default === null) {
    diags.error("missing-default", policy.loc, "the policy has no default decision",
      "add `default deny` (recommended) or `default allow` after the header: what happens when no rule matches must be stated");
  }
};
