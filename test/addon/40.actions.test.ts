// runtime/actions.ts: actions given as JSON, checked and decoded for evaluate().
import { describe, expect, it } from "vitest";

import { actionFromJson, actionToJson, parseAction } from "../../runtime/actions.js";
import { loadPolicy, TrjError, type Action } from "../../runtime/binding.js";
import { buildTable } from "./table.js";

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TrjError);
    return (e as TrjError).code;
  }
  throw new Error("expected a throw");
}

describe("parseAction", () => {
  it("parses_a_plain_action", () => {
    expect(parseAction('{"kind":"file.read","path":"/etc/hosts","pid":12}')).toEqual({ kind: "file.read", path: "/etc/hosts", pid: 12 });
  });

  it("rejects_invalid_json_with_bad_action", () => {
    expect(codeOf(() => parseAction("{kind: file.read}"))).toBe("bad-action");
    expect(codeOf(() => parseAction(""))).toBe("bad-action");
  });

  it("rejects_non_objects_with_bad_action", () => {
    for (const t of ["null", "[]", '"file.read"', "1", "true"]) expect(codeOf(() => parseAction(t)), t).toBe("bad-action");
  });

  it("rejects_a_missing_or_non_string_kind_with_bad_action", () => {
    expect(codeOf(() => parseAction('{"path":"/x"}'))).toBe("bad-action");
    expect(codeOf(() => parseAction('{"kind":7}'))).toBe("bad-action");
  });

  it("rejects_an_unknown_kind_with_unknown_kind", () => {
    expect(codeOf(() => parseAction('{"kind":"file.nope"}'))).toBe("unknown-kind");
    expect(codeOf(() => parseAction('{"kind":"file.*"}'))).toBe("unknown-kind");
  });

  it("rejects_argv_and_args_of_the_wrong_shape", () => {
    expect(codeOf(() => parseAction('{"kind":"exec","argv":"git push"}'))).toBe("bad-action");
    expect(codeOf(() => parseAction('{"kind":"tool.call","args":[1]}'))).toBe("bad-action");
    expect(parseAction('{"kind":"exec","argv":null}')).toEqual({ kind: "exec", argv: null });
  });
});

describe("special JSON spellings", () => {
  it("decodes_hex_bytes", () => {
    const a = parseAction('{"kind":"file.read","path":{"$bytes":"2f7400ff"}}');
    expect(Buffer.isBuffer(a["path"])).toBe(true);
    expect([...(a["path"] as Buffer)]).toEqual([0x2f, 0x74, 0x00, 0xff]);
  });

  it("decodes_base64_in_both_alphabets", () => {
    expect([...(parseAction('{"kind":"file.read","path":{"$b64":"L3QA/w=="}}')["path"] as Buffer)]).toEqual([0x2f, 0x74, 0, 0xff]);
    expect([...(parseAction('{"kind":"file.read","path":{"$b64":"L3QA_w"}}')["path"] as Buffer)]).toEqual([0x2f, 0x74, 0, 0xff]);
  });

  it("decodes_big_integers", () => {
    expect(parseAction('{"kind":"tool.call","args":{"n":{"$int":"-9223372036854775808"}}}').args).toEqual({ n: -(2n ** 63n) });
    expect(codeOf(() => parseAction('{"kind":"tool.call","args":{"n":{"$int":"9223372036854775808"}}}'))).toBe("bad-action");
    expect(codeOf(() => parseAction('{"kind":"tool.call","args":{"n":{"$int":"1.5"}}}'))).toBe("bad-action");
  });

  it("decodes_inside_argv_and_nested_args", () => {
    const a = parseAction('{"kind":"exec","argv":["cat",{"$bytes":"ff"}],"args":{"a":{"b":{"$bytes":"00"}}}}');
    expect(a.argv![0]).toBe("cat");
    expect([...(a.argv![1] as Buffer)]).toEqual([0xff]);
    expect([...((a.args as { a: { b: Buffer } }).a.b)]).toEqual([0]);
  });

  it("rejects_malformed_hex_and_base64_with_bad_action", () => {
    expect(codeOf(() => parseAction('{"kind":"file.read","path":{"$bytes":"abc"}}'))).toBe("bad-action");
    expect(codeOf(() => parseAction('{"kind":"file.read","path":{"$bytes":"zz"}}'))).toBe("bad-action");
    expect(codeOf(() => parseAction('{"kind":"file.read","path":{"$b64":"!!!"}}'))).toBe("bad-action");
  });

  it("leaves_other_dollar_objects_alone", () => {
    const a = parseAction('{"kind":"tool.call","args":{"schema":{"$ref":"#/x"},"two":{"$bytes":"00","x":1}}}');
    expect(a.args).toEqual({ schema: { $ref: "#/x" }, two: { $bytes: "00", x: 1 } });
  });

  it("rejects_absurd_nesting", () => {
    let json = '"x"';
    for (let i = 0; i < 100; i++) json = `{"a":${json}}`;
    expect(codeOf(() => parseAction(`{"kind":"tool.call","args":${json}}`))).toBe("bad-action");
  });
});

describe("actionToJson", () => {
  it("round_trips_bytes_and_big_integers", () => {
    const a: Action = { kind: "exec", argv: ["cat", Buffer.from([0xff, 0x00])], args: { n: 2n ** 62n, s: 5n }, path: Buffer.from("/ok") };
    const j = actionToJson(a);
    expect(j).toEqual({ kind: "exec", argv: ["cat", { $bytes: "ff00" }], args: { n: { $int: String(2n ** 62n) }, s: 5 }, path: "/ok" });
    expect(actionFromJson(JSON.parse(JSON.stringify(j)))).toEqual({ ...a, args: { n: 2n ** 62n, s: 5 }, path: "/ok" });
  });

  it("keeps_a_leading_byte_order_mark", () => {
    expect(actionToJson({ kind: "file.read", path: Buffer.from([0xef, 0xbb, 0xbf, 0x41]) })["path"]).toBe("\ufeffA");
  });
});

describe("JSON actions through the addon", () => {
  it("lets_json_express_non_utf8_paths", () => {
    const p = loadPolicy(buildTable({
      fields: [{ name: "path", type: "str" }],
      rules: [{ name: "raw", decision: "allow", kind: "file.read", field: "path", equals: Buffer.from([0x2f, 0xff]) }],
    }));
    expect(p.evaluate(parseAction('{"kind":"file.read","path":{"$bytes":"2fff"}}')).rule).toBe("raw");
    expect(p.evaluate(parseAction('{"kind":"file.read","path":"/\\u00ff"}')).rule).toBe(null);
  });
});
