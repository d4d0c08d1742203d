// loadPolicy() and info(): rejection codes, owned copies, what info() reports.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";

import { loadPolicy, TrjError } from "../../runtime/binding.js";
import { buildTable } from "./table.js";

const spec = {
  name: "load-test",
  version: "2.3.4",
  default: "deny" as const,
  fields: [
    { name: "path", type: "str" as const },
    { name: "port", type: "int" as const },
  ],
  rules: [
    { name: "etc", decision: "allow" as const, kind: "file.read" as const, field: "path", equals: "/etc/hosts", line: 7 },
    { name: "shadow", decision: "deny" as const, kind: "file.read" as const, field: "path", equals: "/etc/shadow", reason: "credentials", line: 8 },
    { name: "ssh", decision: "ask" as const, kind: "net.connect" as const, field: "port", equals: 22, timeoutMs: 30000, line: 9 },
  ],
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrjError);
    return (e as TrjError).code;
  }
  throw new Error("expected a throw");
}

describe("loadPolicy", () => {
  it("throws_the_verifier_code_for_a_rejected_table", () => {
    expect(codeOf(() => loadPolicy(new Uint8Array(0)))).toBe("truncated");
    expect(codeOf(() => loadPolicy(Buffer.alloc(4096, 0x41)))).toBe("bad-magic");
    const bad = buildTable(spec);
    bad[bad.length - 1]! ^= 1;
    expect(codeOf(() => loadPolicy(bad))).toBe("body-hash-mismatch");
  });

  it("keeps_the_core_message", () => {
    try {
      loadPolicy(Buffer.alloc(4096, 0x41));
    } catch (e) {
      expect((e as Error).message).toMatch(/^bad-magic: /);
    }
  });

  it("throws_bad_argument_for_non_bytes", () => {
    expect(codeOf(() => loadPolicy("x" as unknown as Uint8Array))).toBe("bad-argument");
    expect(codeOf(() => (loadPolicy as (...a: unknown[]) => unknown)())).toBe("bad-argument");
  });

  it("owns_a_copy_of_the_bytes", () => {
    const bytes = buildTable(spec);
    const p = loadPolicy(bytes);
    bytes.fill(0);
    expect(p.evaluate({ kind: "file.read", path: "/etc/hosts" }).rule).toBe("etc");
  });

  it("loads_from_an_unaligned_view", () => {
    const t = buildTable(spec);
    const backing = new Uint8Array(t.length + 5);
    backing.set(t, 5);
    expect(loadPolicy(backing.subarray(5)).info().name).toBe("load-test");
  });

  it("is_not_constructible_directly", async () => {
    const { Policy } = (await import("node:module")).createRequire(import.meta.url)(
      (await import("../../runtime/binding.js")).addonPath(),
    ) as { Policy: new (...a: unknown[]) => unknown };
    expect(() => new Policy()).toThrow(/loadPolicy/);
  });
});

describe("info", () => {
  const bytes = buildTable(spec);
  const info = loadPolicy(bytes).info();

  it("reports_name_version_default", () => {
    expect(info.name).toBe("load-test");
    expect(info.version).toBe("2.3.4");
    expect(info.default).toBe("deny");
  });

  it("reports_the_body_hash_in_hex", () => {
    expect(info.hash).toBe(createHash("sha256").update(bytes.subarray(192)).digest("hex"));
  });

  it("reports_rules_in_table_order", () => {
    expect(info.rules).toEqual([
      { name: "etc", decision: "allow", reason: null, line: 7, col: 1 },
      { name: "shadow", decision: "deny", reason: "credentials", line: 8, col: 1 },
      { name: "ssh", decision: "ask", reason: null, line: 9, col: 1, timeoutMs: 30000 },
    ]);
  });

  it("reports_fields_by_slot", () => {
    expect(info.fields).toEqual([
      { name: "path", type: "str" },
      { name: "port", type: "int" },
    ]);
  });
});
