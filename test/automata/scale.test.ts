// Builds one DFA from 10,000 patterns and prints the time taken; asserts results, never time.

import { describe, expect, test } from "vitest";
import { buildDfa, literal, runDfa, under, utf8 } from "../../compiler/automata/index.js";
import { glob } from "./helpers.js";

/** Wall and CPU milliseconds of fn, printed with a fixed-work loop as a yardstick for this machine. */
function timed<T>(label: string, fn: () => T): T {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const y0 = performance.now();
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x = (x + (i ^ (x >>> 3))) | 0;
  const yard = performance.now() - y0;
  if (x === 42) console.log("");
  console.log(`${label}: ${wall.toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms cpu (yardstick 20M-op loop: ${yard.toFixed(0)} ms)`);
  return out;
}

describe("scale", () => {
  test("ten_thousand_under_patterns_plus_globs_build_one_dfa", () => {
    const pats = Array.from({ length: 10_000 }, (_, i) => under(utf8(`/data/p${i}`)));
    pats.push(glob("**/.ssh/**"), glob("**/*.pem"));
    const dfa = timed("10,000 under + 2 globs", () => buildDfa(pats));
    console.log(`  ${dfa.nStates} states x ${dfa.nColumns} columns`);
    const run = (s: string) => runDfa(dfa, utf8(s));
    expect(run("/data/p123")).toEqual([123]);
    expect(run("/data/p123/x/y")).toEqual([123]);
    expect(run("/data/p1234/.ssh/id")).toEqual([1234, 10_000]);
    expect(run("/data/p9999/k.pem")).toEqual([9999, 10_001]);
    expect(run("/data/p10000")).toEqual([]);
    expect(run("/data/p12x")).toEqual([]);
    expect(run("/x/.ssh/k.pem")).toEqual([10_000, 10_001]);
  });

  test("ten_thousand_distinct_literals_build_one_dfa", () => {
    const pats = Array.from({ length: 10_000 }, (_, i) => literal(utf8(`/home/user/project/src/file${i}.txt`)));
    const dfa = timed("10,000 literals", () => buildDfa(pats));
    console.log(`  ${dfa.nStates} states x ${dfa.nColumns} columns`);
    for (const i of [0, 7, 4242, 9999]) expect(runDfa(dfa, utf8(`/home/user/project/src/file${i}.txt`))).toEqual([i]);
    expect(runDfa(dfa, utf8("/home/user/project/src/file10000.txt"))).toEqual([]);
    expect(runDfa(dfa, utf8("/home/user/project/src/file1.tx"))).toEqual([]);
  });
});
