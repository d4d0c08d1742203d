// test/evasion, second half of cases.ts (every other row; the two halves run
// in parallel). The harness and the assertions are in harness.ts.
import { runCases } from "./harness.js";

runCases((c, i) => i % 2 === 1, "part2");
