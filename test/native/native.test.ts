// The C core's own tests (native/test: evaluation semantics and the malformed
// tables the verifier must reject), built twice by `make -C native test`:
// plain -O2 and ASan+UBSan. Both runs must report zero failures.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

it("native core tests pass in the plain and the sanitizer build", () => {
  const r = spawnSync("make", ["-s", "-C", join(import.meta.dirname, "../../native"), "test"], { encoding: "utf8", timeout: 600_000 });
  const out = r.stdout + r.stderr;
  const tallies = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(r.status, out.slice(-4000)).toBe(0);
  expect(tallies.length, "both builds report a tally").toBe(2);
  for (const [passed, failed] of tallies) {
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThan(50);
  }
}, 600_000);
