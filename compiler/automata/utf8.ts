// UTF-8 encoding helpers: patterns are written as text but match raw bytes.

const encoder = new TextEncoder();

/** The UTF-8 bytes of s (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * The bytes of one code point (0..0x10FFFF): its UTF-8 encoding, except that
 * U+DC80..U+DCFF stand for the raw bytes 0x80..0xFF — the convention the
 * parser uses for `\xHH` in policy strings (compiler/parse.ts stringToBytes).
 */
export function codePointBytes(cp: number): number[] {
  if (isRawByte(cp)) return [cp - 0xdc00];
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** True for a lone UTF-16 surrogate that does not stand for a raw byte. */
export function isSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff && !isRawByte(cp);
}

/** U+DC80..U+DCFF: a raw byte 0x80..0xFF written as `\xHH` in a policy string. */
export function isRawByte(cp: number): boolean {
  return cp >= 0xdc80 && cp <= 0xdcff;
}
