// trajeckt verify <file.trjb>: run the C verifier on a table.

import { readFileSync } from "node:fs";
import { loadPolicy, verify } from "../binding.js";
import { UsageError } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, oneFile, type Command } from "./common.js";

export const verifyCommand: Command = {
  name: "verify",
  summary: "check a .trjb with the verifier the enforcer uses",
  usage: `usage: trajeckt verify <policy.trjb>

Prints "ok" with the policy name, version and body hash, or the verifier's
reason code and message. Exit 0 valid, 1 rejected, 2 usage errors.`,
  options: {},
  run({ positionals }, io) {
    const file = oneFile(positionals, ".trjb file", verifyCommand.usage);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
    }
    const v = verify(bytes);
    if (!v.ok) {
      io.err(`${file}: rejected: ${v.message}\n`);
      return EXIT_POLICY;
    }
    const info = loadPolicy(bytes).info();
    io.out(`${file}: ok, policy "${info.name}" version ${info.version}, ${info.rules.length} rules, sha256 ${info.hash}\n`);
    return EXIT_OK;
  },
};
