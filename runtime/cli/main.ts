// trajeckt — command-line entry. Dispatches to one module per command; every
// command has --help; errors go to stderr; exit 0 ok, 1 policy errors, 2 usage.

import { readFileSync } from "node:fs";
import { TrjError } from "../binding.js";
import { UsageError } from "../policy-file.js";
import { auditCommand } from "./audit.js";
import { checkCommand } from "./check.js";
import { EXIT_USAGE, parse, type Command, type Io } from "./common.js";
import { compileCommand } from "./compile.js";
import { disasmCommand } from "./disasm.js";
import { doctorCommand } from "./doctor.js";
import { evalCommand } from "./eval.js";
import { runCommand } from "./run.js";
import { testCommand } from "./test.js";
import { verifyCommand } from "./verify.js";

export const COMMANDS: Command[] = [
  runCommand,
  compileCommand,
  checkCommand,
  testCommand,
  evalCommand,
  disasmCommand,
  verifyCommand,
  auditCommand,
  doctorCommand,
];

const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: () => process.stdin.setEncoding("utf8") as AsyncIterable<string>,
};

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `trajeckt — a fail-closed policy firewall for AI agents

usage: trajeckt <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run \`trajeckt <command> --help\` for a command's options.
`;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "--version") {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    io.out(`trajeckt ${pkg.version}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`trajeckt: unknown command \`${name}\`\n\n${help()}`);
    return EXIT_USAGE;
  }
  try {
    const args = parse(cmd, rest);
    if (args.values.help) {
      io.out(cmd.usage + "\n");
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`trajeckt ${cmd.name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TrjError) {
      io.err(`trajeckt ${cmd.name}: ${e.message.startsWith(e.code) ? e.message : `${e.code}: ${e.message}`}\n`);
      return e.code === "bad-action" || e.code === "unknown-kind" ? EXIT_USAGE : 1;
    }
    throw e;
  }
}
