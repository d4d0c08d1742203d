// The addon loads through runtime/binding.ts, the one file that loads it.
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

import { addonPath, isPolicy, loadPolicy, TrjError, verify } from "../../runtime/binding.js";
import { buildTable } from "./table.js";

describe("binding", () => {
  it("finds_the_addon_under_build_release", () => {
    expect(addonPath()).toMatch(/build\/Release\/trajeckt\.node$/);
    expect(existsSync(addonPath())).toBe(true);
  });

  it("throws_trj_errors_with_a_code", () => {
    const e = new TrjError("bad-action", "x");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("TrjError");
    expect(e.code).toBe("bad-action");
  });

  it("errors_from_the_addon_are_trj_errors", () => {
    let err: unknown;
    try {
      verify("not bytes" as unknown as Uint8Array);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrjError);
    expect((err as TrjError).code).toBe("bad-argument");
  });

  it("recognises_policies_it_made", () => {
    const p = loadPolicy(buildTable({ fields: [], rules: [] }));
    expect(isPolicy(p)).toBe(true);
    expect(isPolicy({ evaluate() {}, info() {} })).toBe(false);
  });

  it("loads_in_a_worker_thread_too", async () => {
    // One addon instance per thread (context-aware): a worker loads and evaluates on its own.
    const table = buildTable({ fields: [{ name: "path", type: "str" }], rules: [{ name: "hit", decision: "allow", kind: "file.read", field: "path", equals: "/x" }] });
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      const m = require(workerData.addon);
      m.init(class extends Error { constructor(c, msg) { super(msg); this.code = c; } });
      const p = m.loadPolicy(workerData.table);
      parentPort.postMessage(p.evaluate({ kind: "file.read", path: "/x" }).rule);`;
    const w = new Worker(code, { eval: true, workerData: { addon: addonPath(), table } });
    const rule = await new Promise((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    await w.terminate();
    expect(rule).toBe("hit");
    expect(loadPolicy(table).evaluate({ kind: "file.read", path: "/x" }).rule).toBe("hit");
  });
});
