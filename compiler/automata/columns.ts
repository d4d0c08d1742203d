// Byte classes ("columns"): bytes that every pattern treats alike share one DFA column.

import { type ByteSet, hasByte } from "./byteset.js";

export interface Columns {
  byteClass: Uint8Array; // 256 entries: byte -> column
  nColumns: number;
  /** For each input set: its columns, ascending. */
  colsOfSet: Int32Array[];
}

/**
 * Partition refinement of the 256 bytes by membership in each set. Columns are
 * then numbered by their smallest byte, so the result depends only on the
 * partition, not on the order the sets came in.
 */
export function computeColumns(sets: readonly ByteSet[]): Columns {
  const cls = new Int32Array(256);
  let n = 1;
  const remap = new Int32Array(512);
  for (const s of sets) {
    remap.fill(-1, 0, n * 2);
    let m = 0;
    for (let b = 0; b < 256; b++) {
      const key = cls[b]! * 2 + (hasByte(s, b) ? 1 : 0);
      if (remap[key] === -1) remap[key] = m++;
      cls[b] = remap[key]!;
    }
    n = m;
  }
  const byteClass = new Uint8Array(256);
  const canon = new Int32Array(n).fill(-1);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (canon[cls[b]!] === -1) canon[cls[b]!] = next++;
    byteClass[b] = canon[cls[b]!]!;
  }
  const colsOfSet = sets.map((s) => {
    const seen = new Uint8Array(n);
    for (let b = 0; b < 256; b++) if (hasByte(s, b)) seen[byteClass[b]!] = 1;
    const out: number[] = [];
    for (let c = 0; c < n; c++) if (seen[c]) out.push(c);
    return Int32Array.from(out);
  });
  return { byteClass, nColumns: n, colsOfSet };
}
