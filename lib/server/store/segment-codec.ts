// Sealed live-window segments: up to SEGMENT_TICKS rows split into streams by section and packed.
// The placement, state and busy sections of consecutive ticks repeat (pinned vCPUs stay put, idle
// pCPUs stay idle), so those streams are deflated together; the runNs/waitNs counters are noise
// at ns resolution and stay raw. Layout:
//   varint rawHeadBytes, varint deflatedBytes, deflated(lengths ‖ placements ‖ states ‖ busy),
//   counters of every row
// where `lengths` holds, per row, the three section lengths as varints.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter } from './byte-codec';
import type { Structure } from './structure';
import { newPlacement, rowSections, type Placement } from './tick-codec';

const DEFLATE = { level: 6, memLevel: 8, windowBits: 15 } as const;

/** Packs `count` rows (row i ends at ends[i] in `arena`). */
export function sealRows(arena: Uint8Array, ends: Uint32Array, count: number, structureOf: (i: number) => Structure): Uint8Array {
  const lengths = new ByteWriter(count * 4);
  const placements = new ByteWriter(count * 64);
  const states = new ByteWriter(count * 16);
  const busy = new ByteWriter(count * 96);
  const counters = new ByteWriter(count * 320);
  let scratch: Placement = newPlacement(0);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i] ?? 0;
    const row = arena.subarray(start, end);
    const st = structureOf(i);
    if (scratch.pcpu.length < st.placedCount) scratch = newPlacement(st.placedCount);
    const s = rowSections(st, row, scratch);
    lengths.varint(s.placementEnd);
    lengths.varint(s.statesEnd - s.placementEnd);
    lengths.varint(s.busyEnd - s.statesEnd);
    placements.bytes(row.subarray(0, s.placementEnd));
    states.bytes(row.subarray(s.placementEnd, s.statesEnd));
    busy.bytes(row.subarray(s.statesEnd, s.busyEnd));
    counters.bytes(row.subarray(s.busyEnd));
    start = end;
  }
  const heads = new ByteWriter(lengths.length + placements.length + states.length + busy.length);
  heads.bytes(lengths.finish());
  heads.bytes(placements.finish());
  heads.bytes(states.finish());
  heads.bytes(busy.finish());
  const rawHeads = heads.finish();
  const deflated = deflateRawSync(rawHeads, DEFLATE);
  const out = new ByteWriter(deflated.length + counters.length + 16);
  out.varint(rawHeads.length);
  out.varint(deflated.length);
  out.bytes(deflated);
  out.bytes(counters.finish());
  return out.finish();
}

/** The rows of a sealed segment, concatenated as they were before sealing. */
export function unsealRows(packed: Uint8Array, ends: Uint32Array, count: number): Uint8Array {
  const r = new ByteReader(packed);
  const rawLength = r.varint();
  const deflatedLength = r.varint();
  const heads = new Uint8Array(inflateRawSync(r.bytes(deflatedLength)));
  if (heads.length !== rawLength) throw new Error(`live window: sealed segment inflated to ${heads.length} bytes, expected ${rawLength}`);
  const counters = packed.subarray(r.pos);
  const lens = new ByteReader(heads);
  const sizes = new Uint32Array(count * 3);
  let placementTotal = 0;
  let stateTotal = 0;
  for (let i = 0; i < count; i++) {
    const p = lens.varint();
    const s = lens.varint();
    const b = lens.varint();
    sizes[i * 3] = p;
    sizes[i * 3 + 1] = s;
    sizes[i * 3 + 2] = b;
    placementTotal += p;
    stateTotal += s;
  }
  let pPos = lens.pos;
  let sPos = pPos + placementTotal;
  let bPos = sPos + stateTotal;
  let cPos = 0;
  const total = count === 0 ? 0 : (ends[count - 1] ?? 0);
  const arena = new Uint8Array(total);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i] ?? 0;
    const p = sizes[i * 3] ?? 0;
    const s = sizes[i * 3 + 1] ?? 0;
    const b = sizes[i * 3 + 2] ?? 0;
    const c = end - start - p - s - b;
    if (c < 0) throw new Error(`live window: sealed row ${i} sections (${p}+${s}+${b}) exceed its length ${end - start}`);
    arena.set(heads.subarray(pPos, pPos + p), start);
    arena.set(heads.subarray(sPos, sPos + s), start + p);
    arena.set(heads.subarray(bPos, bPos + b), start + p + s);
    arena.set(counters.subarray(cPos, cPos + c), start + p + s + b);
    pPos += p;
    sPos += s;
    bPos += b;
    cPos += c;
    start = end;
  }
  if (cPos !== counters.length) throw new Error(`live window: sealed segment has ${counters.length - cPos} stray counter bytes`);
  return arena;
}

