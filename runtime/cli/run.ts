// trajeckt run [options] -- <agent command...>: the launcher (runtime/run/launcher.ts).

import { UsageError } from "../policy-file.js";
import { RING_MAX_DATA, RING_MIN_DATA } from "../audit/records.js";
import { VAR_OPTION, vars, type Command } from "./common.js";
import { DEFAULT_AUDIT, RefusedError, runAgent, EXIT_REFUSED } from "../run/launcher.js";

export const runCommand: Command = {
  name: "run",
  summary: "run an agent under the monitor",
  usage: `usage: trajeckt run --policy FILE [options] -- <agent command...>

  --policy FILE        .trj / .yaml (compiled with --var) or .trjb; verified before
                       anything starts (a rejected table: exit 2)
  --var NAME=VALUE     policy variable (repeatable)
  --audit FILE         audit log, one run per file: an existing FILE is refused
                       (default ./${DEFAULT_AUDIT}; one left there by an earlier
                       run is renamed to trajeckt-audit-<its time>.jsonl first)
  --agent-id ID        names the agent in every record (default <program>-<random>)
  --mode MODE          enforce (default) | observe: decide and log, block nothing
  --ask HOW            tty (default): \`ask\` rules prompt on the terminal; deny:
                       they are denied at once (also without a terminal)
  --ring-size BYTES    audit ring data area, a power of two (default 4 MiB)
  --backstop on|off    on (default): the kernel backstop under the library —
                       Landlock and seccomp derived from the policy, so static
                       binaries, raw syscalls and io_uring are held too; a kernel
                       without Landlock ABI 4 or seccomp refuses the run (exit 2).
                       off: the library alone (recorded in the log's run.start)
  --quiet              no summary line

Exit status: the agent's (128 + n if signal n killed it); 127 the agent cannot be
started; 2 refused to start (bad policy, usage, existing log, no kernel backstop).`,
  options: {
    ...VAR_OPTION,
    policy: { type: "string", short: "p" },
    audit: { type: "string" },
    "agent-id": { type: "string" },
    mode: { type: "string" },
    ask: { type: "string" },
    "ring-size": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    backstop: { type: "string" },
  },
  async run({ values, positionals }, io) {
    if (typeof values.policy !== "string") throw new UsageError(`--policy is required\n\n${runCommand.usage}`);
    const mode = (values.mode as string | undefined) ?? "enforce";
    if (mode !== "enforce" && mode !== "observe") throw new UsageError(`--mode must be enforce or observe, not \`${mode}\``);
    const ask = (values.ask as string | undefined) ?? "tty";
    if (ask !== "tty" && ask !== "deny") throw new UsageError(`--ask must be tty or deny, not \`${ask}\``);
    const backstop = (values.backstop as string | undefined) ?? "on";
    if (backstop !== "on" && backstop !== "off") throw new UsageError(`--backstop must be on or off, not \`${backstop}\``);
    let ringSize: number | undefined;
    if (typeof values["ring-size"] === "string") {
      ringSize = Number(values["ring-size"]);
      if (!Number.isSafeInteger(ringSize) || ringSize < RING_MIN_DATA || ringSize > RING_MAX_DATA || (ringSize & (ringSize - 1)) !== 0)
        throw new UsageError(`--ring-size must be a power of two from ${RING_MIN_DATA} to ${RING_MAX_DATA}`);
    }
    const agentId = values["agent-id"] as string | undefined;
    if (agentId !== undefined && (Buffer.byteLength(agentId) > 256 || agentId.length === 0))
      throw new UsageError("--agent-id must be 1 to 256 bytes");
    if (positionals.length === 0) throw new UsageError(`no agent command: put it after \`--\`\n\n${runCommand.usage}`);
    try {
      return await runAgent({
        policyFile: values.policy,
        vars: vars(values),
        ...(typeof values.audit === "string" ? { audit: values.audit } : {}),
        ...(agentId !== undefined ? { agentId } : {}),
        mode,
        ask,
        ...(ringSize !== undefined ? { ringSize } : {}),
        quiet: values.quiet === true,
        backstop,
        command: positionals,
        err: io.err,
      });
    } catch (e) {
      if (e instanceof RefusedError) {
        io.err(`trajeckt run: ${e.message}\n`);
        return EXIT_REFUSED;
      }
      throw e;
    }
  },
};
