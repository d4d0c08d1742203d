// trajeckt test <policy> [cases.yaml]: run a policy's unit tests.

import { existsSync, readFileSync } from "node:fs";
import { loadPolicy } from "../binding.js";
import { parseCaseFile, runCases } from "../policy-test.js";
import { readPolicyFile, UsageError } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, VAR_OPTION, printDiagnostics, vars, type Command } from "./common.js";

export const testCommand: Command = {
  name: "test",
  summary: "run a policy's test cases (action → expected decision)",
  usage: `usage: trajeckt test <policy.trj|.yaml|.trjb> [cases.yaml] [--var NAME=VALUE]...

Cases default to <policy>.test.yaml beside the policy. Each case:
  - name: reads the workspace
    action: { kind: file.read, path: /work/a.c }
    expect: allow            # allow | deny | ask | flag (allowed and flagged)
    rule: workspace          # optional
A top-level \`vars:\` mapping works like --var. Exit 0 all pass, 1 any fails.`,
  options: { ...VAR_OPTION },
  run({ values, positionals }, io) {
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError(testCommand.usage);
    const file = positionals[0]!;
    const casesFile = positionals[1] ?? file.replace(/\.(trjb|trj|ya?ml)$/i, "") + ".test.yaml";
    if (!existsSync(casesFile)) throw new UsageError(`no test cases: ${casesFile} does not exist`);
    const cf = parseCaseFile(readFileSync(casesFile, "utf8"), casesFile);
    const p = readPolicyFile(file, { ...cf.vars, ...vars(values) });
    printDiagnostics(io, p.compiled?.diagnostics ?? [], p.source, "text");
    if (!p.bytes) return EXIT_POLICY;
    const outcomes = runCases(loadPolicy(p.bytes), cf.cases);
    for (const o of outcomes) io.out(`${o.pass ? "pass" : "FAIL"}  ${o.case.name}${o.pass ? "" : `: ${o.why}`}\n`);
    const failed = outcomes.filter((o) => !o.pass).length;
    io.out(`${outcomes.length - failed} passed, ${failed} failed\n`);
    return failed ? EXIT_POLICY : EXIT_OK;
  },
};
