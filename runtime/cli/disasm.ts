// trajeckt disasm <file>: readable listing of a .trjb (or of a source, compiled first).

import { disassemble } from "../../compiler/disasm.js";
import { verify } from "../binding.js";
import { readPolicyFile } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, VAR_OPTION, oneFile, printDiagnostics, vars, type Command } from "./common.js";

export const disasmCommand: Command = {
  name: "disasm",
  summary: "print a readable listing of a compiled policy",
  usage: `usage: trajeckt disasm <policy.trjb|.trj|.yaml> [--tables] [--var NAME=VALUE]...

Shows fields, atoms, rules (with source lines), the kernel backstop (file rights
per path, TCP ports, socket families), classifiers and their classes,
the entry program of every action kind and every rule's condition block.
--tables also prints DFA transitions and interval bounds. The table is verified
first; a table the verifier rejects is not listed.`,
  options: { ...VAR_OPTION, tables: { type: "boolean" } },
  run({ values, positionals }, io) {
    const file = oneFile(positionals, "policy file", disasmCommand.usage);
    const p = readPolicyFile(file, vars(values));
    printDiagnostics(io, p.compiled?.diagnostics ?? [], p.source, "text");
    if (!p.bytes) return EXIT_POLICY;
    const v = verify(p.bytes);
    if (!v.ok) {
      io.err(`${file}: rejected by the verifier: ${v.message}\n`);
      return EXIT_POLICY;
    }
    io.out(disassemble(p.bytes, { tables: !!values.tables }));
    return EXIT_OK;
  },
};
