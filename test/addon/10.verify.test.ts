// verify(): any byte string is accepted or rejected with a stable code, never a crash.
import { describe, expect, it } from "vitest";

import { TrjError, verify } from "../../runtime/binding.js";
import { buildTable } from "./table.js";

const good = buildTable({
  fields: [{ name: "path", type: "str" }],
  rules: [{ name: "etc", decision: "allow", kind: "file.read", field: "path", equals: "/etc/hosts" }],
});

function rejected(bytes: Uint8Array | ArrayBuffer): { code: string; message: string } {
  const r = verify(bytes);
  if (r.ok) throw new Error("expected a rejection");
  return r;
}

describe("verify", () => {
  it("accepts_a_valid_table", () => {
    expect(verify(good)).toEqual({ ok: true });
  });

  it("accepts_an_arraybuffer", () => {
    const ab = new Uint8Array(good).buffer;
    expect(verify(ab)).toEqual({ ok: true });
  });

  it("accepts_a_valid_table_at_an_unaligned_offset", () => {
    const backing = new Uint8Array(good.length + 3);
    backing.set(good, 3);
    expect(verify(backing.subarray(3))).toEqual({ ok: true });
  });

  it("rejects_empty_input_as_truncated", () => {
    expect(rejected(new Uint8Array(0)).code).toBe("truncated");
  });

  it("rejects_a_truncated_table", () => {
    expect(rejected(good.subarray(0, 100)).code).toBe("truncated");
    expect(rejected(good.subarray(0, good.length - 8)).code).toBe("truncated");
  });

  it("rejects_garbage_by_its_magic", () => {
    const junk = Buffer.alloc(4096, 0x41);
    expect(rejected(junk).code).toBe("bad-magic");
  });

  it("rejects_a_flipped_body_byte_by_its_hash", () => {
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0xff;
    expect(rejected(bad).code).toBe("body-hash-mismatch");
  });

  it("rejects_trailing_bytes", () => {
    expect(rejected(Buffer.concat([good, Buffer.alloc(8)])).code).toBe("size-mismatch");
  });

  it("returns_the_core_message_with_the_code_first", () => {
    const r = rejected(Buffer.alloc(4096, 0x41));
    expect(r.message.startsWith("bad-magic: ")).toBe(true);
  });

  it("rejects_every_truncation_of_a_valid_table", () => {
    for (let n = 0; n < good.length; n += 97) {
      const r = verify(good.subarray(0, n));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it("throws_bad_argument_for_non_bytes", () => {
    for (const v of [undefined, null, 1, "x", {}, [1, 2], new Uint16Array(4)]) {
      expect(() => verify(v as unknown as Uint8Array)).toThrow(TrjError);
      try {
        verify(v as unknown as Uint8Array);
      } catch (e) {
        expect((e as TrjError).code).toBe("bad-argument");
      }
    }
  });
});
