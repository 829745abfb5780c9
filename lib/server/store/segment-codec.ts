// Sealed live-window segments: up to SEGMENT_TICKS rows cut to their placement section (pCPU and
// ran of every thread, violations: what history, residency and the host list read) and deflated
// together; consecutive ticks repeat (pinned vCPUs stay put), so they pack well. The rest of a
// row (states, busy, the runNs/waitNs counters: noise at ns resolution, ~300 of ~430 bytes) is
// only read for a point snapshot, which takes the whole row from the database (frame-store.ts).
// A row that is already cut (the open segment cuts every row but its newest, live-window.ts; or
// sealed before, split again by a late tick) stays as it is.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Structure } from './structure';
import { decodePlacement, newPlacement, type Placement } from './tick-codec';

const DEFLATE = { level: 6, memLevel: 8, windowBits: 15 } as const;

export interface SealedRows {
  readonly packed: Uint8Array;
  /** End offset of each cut row in the unsealed bytes. */
  readonly ends: Uint32Array;
}

let scratch: Placement = newPlacement(0);

/** Length of a row's placement section: a row cut to it ends there. */
export function placementEnd(st: Structure, row: Uint8Array): number {
  if (scratch.pcpu.length < st.placedCount) scratch = newPlacement(st.placedCount);
  return decodePlacement(st, row, 0, scratch, null).pos;
}

/** Cuts and packs `count` rows (row i ends at ends[i] in `arena`). */
export function sealRows(arena: Uint8Array, ends: Uint32Array, count: number, structureOf: (i: number) => Structure): SealedRows {
  const cutEnds = new Uint32Array(count);
  const parts: Uint8Array[] = [];
  let start = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i] ?? 0;
    const row = arena.subarray(start, end);
    const cut = placementEnd(structureOf(i), row);
    parts.push(row.subarray(0, cut));
    total += cut;
    cutEnds[i] = total;
    start = end;
  }
  return { packed: new Uint8Array(deflateRawSync(Buffer.concat(parts, total), DEFLATE)), ends: cutEnds };
}

/** The cut rows of a sealed segment, concatenated; `bytes` is their total length. */
export function unsealRows(packed: Uint8Array, bytes: number): Uint8Array {
  const raw = new Uint8Array(inflateRawSync(packed));
  if (raw.length !== bytes) throw new Error(`live window: sealed segment inflated to ${raw.length} bytes, expected ${bytes}`);
  return raw;
}
