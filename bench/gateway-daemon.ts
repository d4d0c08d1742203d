// The "ask a daemon" design users build first (an OPA-style sidecar): a Node
// process holds the policy and answers one JSON line per decision on a unix
// socket. Child of bench/node-eval.ts. It decides with trajeckt's own
// evaluate(), so what the bench measures against in-process evaluate() is the
// design's cost alone: socket round trip, JSON both ways, the event loop.
//
//   tsx bench/gateway-daemon.ts <policy.trjb> <socket path>    prints "ready"

import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";

import { loadPolicy } from "../runtime/binding.js";

const [file, path] = process.argv.slice(2) as [string, string];
const policy = loadPolicy(readFileSync(file));
rmSync(path, { force: true });
const server = createServer((sock) => {
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl !== -1; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let reply: string;
      try {
        const d = policy.evaluate(JSON.parse(line));
        reply = JSON.stringify({ decision: d.decision, rule: d.rule });
      } catch (e) {
        reply = JSON.stringify({ decision: "deny", error: (e as Error).message }); // fail closed
      }
      sock.write(reply + "\n");
    }
  });
});
server.listen(path, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
