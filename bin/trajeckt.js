#!/usr/bin/env node
// The `trajeckt` command. The runtime is TypeScript, run directly through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../runtime/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
