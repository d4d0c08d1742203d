import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The regex property test compares with JS RegExp, which backtracks
    // exponentially on some generated patterns (seconds to minutes on 8
    // characters); past a backtrack limit V8 then switches to its linear engine,
    // same answers.
    poolOptions: { forks: { execArgv: ["--enable-experimental-regexp-engine-on-excessive-backtracks"] } },
  },
});
