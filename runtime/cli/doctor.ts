// trajeckt doctor: placeholder until its slice lands (issue 3).

import { UsageError } from "../policy-file.js";
import type { Command } from "./common.js";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "prove enforcement is live on this machine",
  usage: "usage: trajeckt doctor (not built yet)",
  options: {},
  run() {
    throw new UsageError("`doctor` is not built yet");
  },
};
