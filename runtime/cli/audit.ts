// trajeckt audit: placeholder until its slice lands (issue 3).

import { UsageError } from "../policy-file.js";
import type { Command } from "./common.js";

export const auditCommand: Command = {
  name: "audit",
  summary: "verify, summarize or follow an audit log",
  usage: "usage: trajeckt audit (not built yet)",
  options: {},
  run() {
    throw new UsageError("`audit` is not built yet");
  },
};
