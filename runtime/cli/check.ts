// trajeckt check <src>: diagnostics and inline examples, no output file.

import { describeBackstop } from "../../compiler/disasm.js";
import { readPolicyFile } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, VAR_OPTION, oneFile, printDiagnostics, vars, type Command } from "./common.js";

export const checkCommand: Command = {
  name: "check",
  summary: "report a policy's errors and warnings and run its examples",
  usage: `usage: trajeckt check <policy.trj|.yaml> [--var NAME=VALUE]... [--format text|json] [--backstop]

--backstop also prints the kernel backstop the policy compiles to: the file
rights per path, TCP ports and socket families trajeckt-exec grants (Landlock
and seccomp), the most any rule could allow.

Exit 0 when the policy compiles and every example holds (warnings allowed),
1 when there are errors, 2 on usage errors.`,
  options: { ...VAR_OPTION, format: { type: "string" }, backstop: { type: "boolean" } },
  run({ values, positionals }, io) {
    const file = oneFile(positionals, "policy source file", checkCommand.usage);
    const p = readPolicyFile(file, vars(values));
    const diags = p.compiled?.diagnostics ?? [];
    printDiagnostics(io, diags, p.source, values.format);
    if (!p.bytes) return EXIT_POLICY;
    const policy = p.compiled?.policy;
    const rules = policy?.decls.filter((d) => d.type === "rule").length ?? 0;
    const examples = policy?.decls.filter((d) => d.type === "example").length ?? 0;
    const warnings = diags.filter((d) => d.severity === "warning").length;
    io.out(`${file}: ok, ${rules} rules, ${examples} examples hold${warnings ? `, ${warnings} warnings` : ""}\n`);
    if (values.backstop) io.out(describeBackstop(p.bytes));
    return EXIT_OK;
  },
};
