// trajeckt eval <policy> --action '<json>' | JSON lines on stdin.

import { loadPolicy } from "../binding.js";
import { actionFromJson } from "../actions.js";
import { readPolicyFile, UsageError } from "../policy-file.js";
import { EXIT_OK, EXIT_POLICY, VAR_OPTION, oneFile, printDiagnostics, vars, type Command, type Io } from "./common.js";

export const evalCommand: Command = {
  name: "eval",
  summary: "decide actions given as JSON against a policy",
  usage: `usage: trajeckt eval <policy.trj|.yaml|.trjb> [--action '<json>'] [--var NAME=VALUE]...

Without --action, reads one JSON action per line from stdin and prints one JSON
result per line. An action: {"kind":"file.read","path":"/etc/passwd"}; raw bytes
as {"$bytes":"ff00"} (hex) or {"$b64":"..."}. Result: {"decision","rule","reason","flagged"}.`,
  options: { ...VAR_OPTION, action: { type: "string", short: "a" } },
  async run({ values, positionals }, io) {
    const file = oneFile(positionals, "policy file", evalCommand.usage);
    const p = readPolicyFile(file, vars(values));
    printDiagnostics(io, p.compiled?.diagnostics ?? [], p.source, "text");
    if (!p.bytes) return EXIT_POLICY;
    const policy = loadPolicy(p.bytes);
    const one = (text: string): string => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UsageError(`not JSON: ${text.slice(0, 80)}`);
      }
      return JSON.stringify(policy.evaluate(actionFromJson(json))) + "\n";
    };
    if (typeof values.action === "string") {
      io.out(one(values.action));
      return EXIT_OK;
    }
    for await (const line of lines(io)) if (line.trim()) io.out(one(line));
    return EXIT_OK;
  },
};

async function* lines(io: Io): AsyncIterable<string> {
  let buf = "";
  for await (const chunk of io.stdin()) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  if (buf) yield buf;
}
