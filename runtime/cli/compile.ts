// trajeckt compile <src> [-o out.trjb]: source → verified bytecode file.

import { writeFileSync } from "node:fs";
import { verify } from "../binding.js";
import { readPolicyFile } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, VAR_OPTION, oneFile, printDiagnostics, vars, type Command } from "./common.js";

export const compileCommand: Command = {
  name: "compile",
  summary: "compile a policy (.trj or .yaml) to bytecode (.trjb)",
  usage: `usage: trajeckt compile <policy.trj|.yaml> [-o out.trjb] [--var NAME=VALUE]... [--format text|json] [--no-examples]

Compiles the policy, runs its inline examples against the compiled table, checks
the table with the verifier, and writes it. Default output: the source path with
the extension replaced by .trjb. Exit 0 ok, 1 policy errors, 2 usage errors.`,
  options: { ...VAR_OPTION, output: { type: "string", short: "o" }, format: { type: "string" }, "no-examples": { type: "boolean" } },
  run({ values, positionals }, io) {
    const file = oneFile(positionals, "policy source file", compileCommand.usage);
    const p = readPolicyFile(file, vars(values), { examples: !values["no-examples"] });
    printDiagnostics(io, p.compiled?.diagnostics ?? [], p.source, values.format);
    if (!p.bytes) return EXIT_POLICY;
    const v = verify(p.bytes);
    if (!v.ok) {
      io.err(`${file}: internal error: the compiler produced a table the verifier rejects: ${v.message}\n`);
      return EXIT_POLICY;
    }
    const out = (values.output as string | undefined) ?? file.replace(/\.(trj|ya?ml)$/i, "") + ".trjb";
    writeFileSync(out, p.bytes);
    io.err(`wrote ${out} (${p.bytes.length} bytes)\n`);
    return EXIT_OK;
  },
};
