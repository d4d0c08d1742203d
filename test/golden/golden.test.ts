// Every shipped policy and every policy under test/golden compiles to a
// checked-in disassembly (<name>.disasm.txt beside it). A change in compiler
// output shows up as a diff to review; `npm run golden-update` refreshes.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { disassemble } from "../../compiler/disasm.js";
import { verify } from "../../runtime/binding.js";
import { compileFile } from "../support/compile.js";
import { expectGolden } from "../support/golden.js";

const root = join(import.meta.dirname, "../..");
const dirs = [join(root, "policies"), join(root, "test/golden")];
const sources = dirs.flatMap((d) => readdirSync(d).filter((f) => /\.(trj|ya?ml)$/.test(f) && !f.endsWith(".test.yaml")).map((f) => join(d, f)));

describe("golden disassembly", () => {
  it("finds the policies", () => expect(sources.length).toBeGreaterThanOrEqual(4));
  for (const src of sources) {
    it(`${src.slice(root.length + 1)} compiles to its golden disassembly`, () => {
      const r = compileFile(src);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(verify(r.bytes!)).toEqual({ ok: true });
      expectGolden(src.replace(/\.(trj|ya?ml)$/, "") + ".disasm.txt", disassemble(r.bytes!));
    });
  }
});
