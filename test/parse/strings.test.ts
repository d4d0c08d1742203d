// String escapes decode to exact bytes: `\xHH` is one raw byte (even 0x00 and
// bytes that are not UTF-8), `\u{...}` one character in UTF-8.

import { describe, expect, it } from "vitest";
import { bytesToDisplay, bytesToString, stringToBytes } from "../../compiler/parse.js";
import { HEADER, parseFails, parseOk } from "./helpers.js";

/** The bytes of `const S = <literal>`. */
function bytesOf(literal: string): number[] {
  const p = parseOk(`${HEADER}const S = ${literal}\n`);
  const d = p.decls[0];
  if (d?.type !== "const" || d.value.type !== "string") throw new Error("not a string const");
  return [...stringToBytes(d.value.value)];
}

describe("string escapes and bytes", () => {
  it("decodes_json_like_escapes", () => {
    expect(bytesOf(String.raw`"a\"b\\c\nd\te\rf\0"`)).toEqual([0x61, 0x22, 0x62, 0x5c, 0x63, 0x0a, 0x64, 0x09, 0x65, 0x0d, 0x66, 0x00]);
  });

  it("keeps_x00_and_xff_as_single_raw_bytes", () => {
    expect(bytesOf(String.raw`"\x00"`)).toEqual([0x00]);
    expect(bytesOf(String.raw`"\xff"`)).toEqual([0xff]);
    expect(bytesOf(String.raw`"a\x00b\xffc\x80"`)).toEqual([0x61, 0x00, 0x62, 0xff, 0x63, 0x80]);
    expect(bytesOf(String.raw`"\x7f\x41"`)).toEqual([0x7f, 0x41]);
  });

  it("encodes_unicode_escapes_and_raw_characters_as_utf8", () => {
    expect(bytesOf(String.raw`"\u{e9}"`)).toEqual([0xc3, 0xa9]);
    expect(bytesOf('"é"')).toEqual([0xc3, 0xa9]);
    expect(bytesOf(String.raw`"\u{1F600}"`)).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(bytesOf('"😀"')).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(bytesOf(String.raw`"\u{10FFFF}"`)).toEqual([0xf4, 0x8f, 0xbf, 0xbf]);
  });

  it("distinguishes_the_byte_xe9_from_the_character_e9", () => {
    expect(bytesOf(String.raw`"\xe9"`)).toEqual([0xe9]);
    expect(bytesOf(String.raw`"\u{e9}"`)).not.toEqual(bytesOf(String.raw`"\xe9"`));
  });

  it("canonicalizes_byte_escapes_that_spell_valid_utf8", () => {
    const p = parseOk(`${HEADER}const A = "\\xc3\\xa9"\nconst B = "é"\n`);
    const [a, b] = p.decls;
    if (a?.type !== "const" || b?.type !== "const" || a.value.type !== "string" || b.value.type !== "string") throw new Error("shape");
    expect(a.value.value).toBe("é");
    expect(a.value.value).toBe(b.value.value);
  });

  it("round_trips_every_byte_through_string_and_display_form", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...stringToBytes(bytesToString(all))]).toEqual([...all]);
    const display = bytesToDisplay(all);
    expect(bytesOf(display)).toEqual([...all]);
  });

  it("round_trips_invalid_utf8_sequences_exactly", () => {
    for (const seq of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xe2, 0x28, 0xa1], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]]) {
      const b = Uint8Array.from(seq);
      expect([...stringToBytes(bytesToString(b))]).toEqual(seq);
      expect(bytesOf(bytesToDisplay(b))).toEqual(seq);
    }
  });

  it("shows_bytes_as_a_readable_literal", () => {
    expect(bytesToDisplay(Uint8Array.from([0x2f, 0x65, 0x74, 0x63]))).toBe('"/etc"');
    expect(bytesToDisplay(Uint8Array.from([0x00, 0x0a, 0x22, 0x5c, 0xff, 0xc3, 0xa9]))).toBe(String.raw`"\x00\n\"\\\xffé"`);
  });

  it("rejects_a_lone_surrogate_that_is_not_a_byte", () => {
    expect(() => stringToBytes("\ud800")).toThrow(RangeError);
    expect(() => stringToBytes("\udc00")).toThrow(RangeError);
  });

  it("reports_bad_escapes_at_the_backslash", () => {
    const cases: [string, RegExp][] = [
      [String.raw`"\q"`, /unknown escape `\\q`/],
      [String.raw`"\x4"`, /two hex digits/],
      [String.raw`"\u{110000}"`, /not a Unicode scalar value/],
      [String.raw`"\u{d800}"`, /not a Unicode scalar value/],
      [String.raw`"\u00e9"`, /code point in braces/],
    ];
    for (const [lit, message] of cases) {
      const d = parseFails(`${HEADER}const S = ${lit}\n`);
      expect(d.code).toBe("syntax-error");
      expect(d.message).toMatch(message);
      expect([d.loc.start.line, d.loc.start.col]).toEqual([2, 12]);
    }
  });
});
