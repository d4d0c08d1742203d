// The shipped policies' own unit tests (policies/<name>.test.yaml), run by the
// same code as `trajeckt test`: each case is one vitest test.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../runtime/binding.js";
import { parseCaseFile, runCases } from "../../runtime/policy-test.js";
import { compileFile } from "../support/compile.js";

const dir = join(import.meta.dirname, "../../policies");
const policies = readdirSync(dir).filter((f) => f.endsWith(".trj"));

describe("shipped policies", () => {
  it("ships coding-agent, read-only and no-network", () => {
    for (const p of ["coding-agent.trj", "read-only.trj", "no-network.trj"]) expect(policies).toContain(p);
  });
  for (const p of policies) {
    const casesFile = join(dir, p.replace(/\.trj$/, ".test.yaml"));
    describe(p, () => {
      it("has a test file", () => expect(existsSync(casesFile)).toBe(true));
      if (!existsSync(casesFile)) return;
      const cf = parseCaseFile(readFileSync(casesFile, "utf8"), casesFile);
      const compiled = compileFile(join(dir, p), { WORKSPACE: "/work", ...cf.vars });
      const policy = compiled.bytes ? loadPolicy(compiled.bytes) : null;
      it("compiles without errors", () => expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]));
      for (const [i, c] of cf.cases.entries()) {
        it(c.name, () => {
          expect(policy).not.toBeNull();
          const [o] = runCases(policy!, [c]);
          expect(o!.why, `case ${i + 1}`).toBe("");
        });
      }
    });
  }
});
