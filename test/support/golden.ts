// Golden files: compare text with a checked-in file; UPDATE_GOLDEN=1 rewrites
// it instead, so a change in compiler output is a reviewed diff, never silent.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

export const updating = process.env.UPDATE_GOLDEN === "1";

export function expectGolden(file: string, actual: string): void {
  if (updating) {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}: run \`npm run golden-update\` and review the diff`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
