// Hopcroft's partition refinement: merges DFA states no input can tell apart.

export interface Partition {
  nBlocks: number;
  blockOf: Int32Array; // state -> block
  rep: Int32Array; // block -> one member state
}

/**
 * Starts from "states grouped by accept set" and splits blocks until every
 * block's members agree, per column, on the block they move to. O(k n log n):
 * the part split off is always the smaller one, and only it is queued. The
 * work list holds blocks (each a splitter for every column), at most n of them.
 */
export function minimize(n: number, k: number, next: Uint32Array, acceptId: Int32Array): Partition {
  // Inverse transitions, CSR keyed by column * n + target.
  const invOff = new Int32Array(k * n + 1);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) invOff[c * n + next[s * k + c]! + 1]!++;
  for (let x = 0; x < k * n; x++) invOff[x + 1]! += invOff[x]!;
  const invSrc = new Int32Array(n * k);
  const fill = invOff.slice(0, k * n);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) invSrc[fill[c * n + next[s * k + c]!]!++] = s;

  // Blocks are ranges of `elems`; [first, mid) of a block holds its marked states.
  const elems = new Int32Array(n);
  const loc = new Int32Array(n);
  const blk = new Int32Array(n);
  const first = new Int32Array(n);
  const end = new Int32Array(n);
  const mid = new Int32Array(n);
  let nBlocks = 0;

  // Initial partition: one block per accept set, in order of first appearance.
  let nAccept = 0;
  for (let s = 0; s < n; s++) nAccept = Math.max(nAccept, acceptId[s]! + 1);
  const count = new Int32Array(nAccept + 1);
  for (let s = 0; s < n; s++) count[acceptId[s]! + 1]!++;
  for (let a = 0; a < nAccept; a++) count[a + 1]! += count[a]!;
  const blockOfAccept = new Int32Array(nAccept).fill(-1);
  for (let a = 0; a < nAccept; a++) {
    if (count[a + 1] === count[a]) continue;
    blockOfAccept[a] = nBlocks;
    first[nBlocks] = mid[nBlocks] = count[a]!;
    end[nBlocks] = count[a + 1]!;
    nBlocks++;
  }
  for (let s = 0; s < n; s++) {
    const a = acceptId[s]!;
    const at = count[a]!++;
    elems[at] = s;
    loc[s] = at;
    blk[s] = blockOfAccept[a]!;
  }

  // Work list of splitter blocks, each used with every column. All initial
  // blocks but the largest suffice (the largest is implied by the others).
  const work = new Int32Array(n);
  let nWork = 0;
  let largest = 0;
  for (let b = 1; b < nBlocks; b++) if (end[b]! - first[b]! > end[largest]! - first[largest]!) largest = b;
  for (let b = 0; b < nBlocks; b++) if (b !== largest) work[nWork++] = b;

  const members = new Int32Array(n);
  const touched = new Int32Array(n);
  while (nWork > 0) {
    const B = work[--nWork]!;
    // Snapshot the splitter: splitting by a former block is still sound, and
    // marking reorders blocks, B included.
    const size = end[B]! - first[B]!;
    for (let m = 0, i = first[B]!; m < size; m++, i++) members[m] = elems[i]!;
    for (let c = 0; c < k; c++) {
      let nTouched = 0;
      for (let m = 0; m < size; m++) {
        const x = c * n + members[m]!;
        for (let j = invOff[x]!, je = invOff[x + 1]!; j < je; j++) {
          const s = invSrc[j]!;
          const b = blk[s]!;
          const i = loc[s]!;
          const at = mid[b]!;
          if (i < at) continue; // already marked
          if (at === first[b]) touched[nTouched++] = b;
          const o = elems[at]!;
          elems[at] = s;
          loc[s] = at;
          elems[i] = o;
          loc[o] = i;
          mid[b] = at + 1;
        }
      }
      for (let t = 0; t < nTouched; t++) {
        const b = touched[t]!;
        const f = first[b]!;
        const m = mid[b]!;
        const e = end[b]!;
        mid[b] = f;
        if (m === e) continue; // every member moves into the splitter: no split
        // The smaller side becomes the new block; relabelling only it bounds the cost.
        const nb = nBlocks++;
        if (m - f <= e - m) {
          first[nb] = f;
          end[nb] = m;
          first[b] = m;
          mid[b] = m;
        } else {
          first[nb] = m;
          end[nb] = e;
          end[b] = m;
        }
        mid[nb] = first[nb]!;
        for (let i = first[nb]!; i < end[nb]!; i++) blk[elems[i]!] = nb;
        // If b is queued, both halves must be; if not, the smaller one is enough. Either way: queue nb.
        work[nWork++] = nb;
      }
    }
  }

  const rep = new Int32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) rep[b] = elems[first[b]!]!;
  return { nBlocks, blockOf: blk, rep };
}
