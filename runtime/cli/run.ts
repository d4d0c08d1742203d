// trajeckt run: placeholder until its slice lands (issue 3).

import { UsageError } from "../policy-file.js";
import type { Command } from "./common.js";

export const runCommand: Command = {
  name: "run",
  summary: "run an agent under the monitor",
  usage: "usage: trajeckt run (not built yet)",
  options: {},
  run() {
    throw new UsageError("`run` is not built yet");
  },
};
