// The parser in build/grammar is generated from grammar/trajeckt.peggy with
// the exact command of `npm run build:grammar`; a stale build fails here
// instead of testing an old grammar.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import peggy from "peggy";
import { describe, expect, it } from "vitest";

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

describe("generated parser", () => {
  it("matches_the_grammar_it_was_built_from", () => {
    // Same options as: peggy --format es --allowed-start-rules policy,condition -o build/grammar/trajeckt.js grammar/trajeckt.peggy
    const fresh = peggy.generate(readFileSync(root("grammar/trajeckt.peggy"), "utf8"), {
      output: "source",
      format: "es",
      allowedStartRules: ["policy", "condition"],
      grammarSource: "grammar/trajeckt.peggy",
    });
    const built = readFileSync(root("build/grammar/trajeckt.js"), "utf8");
    expect(built === fresh, "build/grammar/trajeckt.js is stale: run `npm run build:grammar`").toBe(true);
  });
});
