// The audit ring's own C test (native/ring/test/ring_stress.c): 8 threads and
// 2 processes through a 64 KiB ring, lost/corrupt/stalled/closed rings, built
// by native/ring/test/Makefile twice: plain -O2 and ASan+UBSan.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

it("ring_stress_passes_in_the_plain_and_the_sanitizer_build", () => {
  const r = spawnSync("make", ["-s", "-C", join(import.meta.dirname, "../../native/ring/test")], { encoding: "utf8", timeout: 300_000 });
  const out = r.stdout + r.stderr;
  const tallies = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(r.status, out.slice(-4000)).toBe(0);
  expect(tallies.length, "both builds report a tally").toBe(2);
  for (const [passed, failed] of tallies) {
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThan(60);
  }
}, 300_000);
