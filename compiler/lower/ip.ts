// IP addresses and CIDR blocks as 128-bit ranges. IPv4 lives in the
// IPv4-mapped block ::ffff:0:0/96, exactly as the C core keys it, so
// `ip in 10.0.0.0/8` also covers ::ffff:10.x.y.z.

import { isIPv4, isIPv6 } from "node:net";

const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

/** 128-bit value of an address, or null if it is not a strict IPv4/IPv6 literal. */
export function ipValue(text: string): bigint | null {
  if (isIPv4(text)) {
    const parts = text.split(".").map(Number);
    return V4_MAPPED | BigInt(((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!);
  }
  if (!isIPv6(text) || text.includes("%")) return null;
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = ipValue(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tailV4 = v4 & 0xffffffffn;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const [l, r] = head.includes("::") ? head.split("::") : [head, undefined];
  const left = l ? l.split(":") : [];
  const right = r ? r.split(":") : [];
  const fill = 8 - left.length - right.length;
  const groups = r === undefined ? left : [...left, ...Array(fill).fill("0"), ...right];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g || "0", 16));
  if (tailV4 !== null) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** [lo, hi] of an address or CIDR block ("10.0.0.0/8", "fd00::/8"), or an error message. */
export function ipRange(text: string): [bigint, bigint] | string {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v = ipValue(addr);
  if (v === null) return `\`${addr}\` is not an IPv4 or IPv6 address`;
  if (slash < 0) return [v, v];
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return `\`${prefixText}\` is not a prefix length`;
  const v4 = isIPv4(addr);
  const max = v4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > max) return `prefix /${prefix} is longer than ${max} bits`;
  const bits = BigInt(128 - (v4 ? 96 + prefix : prefix));
  const hostMask = (1n << bits) - 1n;
  if ((v & hostMask) !== 0n) return `\`${text}\` has host bits set (did you mean ${formatIp(v & ~hostMask & ALL)}/${prefix}?)`;
  return [v, v | hostMask];
}

/** Human form of a 128-bit key: dotted for IPv4-mapped, else full hex groups. */
export function formatIp(v: bigint): string {
  if (v >> 32n === 0xffffn) {
    const n = Number(v & 0xffffffffn);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  }
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return g.join(":");
}
