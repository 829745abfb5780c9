// Exact, compact coding of per-pCPU `busy` (0..1). The agent computes it as busy jiffies over
// total jiffies in the interval (/proc/stat counts in 1/USER_HZ s, USER_HZ = 100 on Linux), so the
// value is n/d with d close to intervalMs / 10. Storing n and the offset of d from that guess
// takes 1-2 bytes instead of a float64; any other value still round-trips bit for bit.
import type { ByteReader, ByteWriter } from './byte-codec';

const OFFSETS = [0, -1, 1, -2, 2] as const;

/** The value of an offset code (offsetCode) for the reference denominator. */
export function fromOffsetCode(code: number, denom: number): number {
  const k = code % OFFSETS.length;
  return (code - k) / OFFSETS.length / (denom + (OFFSETS[k] ?? 0));
}
const MAX_DENOMINATOR = 1 << 16;

/** The row's reference denominator: jiffies in the interval at USER_HZ = 100. */
export function busyDenominator(intervalMs: number | null): number {
  if (intervalMs === null || !Number.isFinite(intervalMs)) return 100;
  return Math.min(MAX_DENOMINATOR, Math.max(3, Math.round(intervalMs / 10)));
}

const COLUMN_CODES = 0;
const COLUMN_NULL = 1;
const COLUMN_PACKED = 2;
const COLUMN_BYTES = 3;

/**
 * The busy column of a row: the reference denominator, then either every value null (the first
 * sample); every n as a byte and its offset (D, D-1 or D+1) in 2 bits (byte-aligned, so that the
 * live window's deflate finds the repeats between ticks); every n/(D + offset) packed at the width
 * of the largest; or one code per value (writeBusy).
 */
export function writeBusyColumn(w: ByteWriter, values: readonly (number | null)[], denom: number): void {
  w.varint(denom);
  if (values.every((v) => v === null)) {
    w.u8(COLUMN_NULL);
    return;
  }
  const codes = new Array<number>(values.length);
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const c = offsetCode(values[i] ?? null, denom);
    if (c < 0) {
      w.u8(COLUMN_CODES);
      for (const v of values) writeBusy(w, v, denom);
      return;
    }
    codes[i] = c;
    if (c > max) max = c;
  }
  if (codes.every((c) => c < 256 * OFFSETS.length && c % OFFSETS.length < 3)) {
    w.u8(COLUMN_BYTES);
    for (const c of codes) w.u8(Math.floor(c / OFFSETS.length));
    w.packed(
      codes.map((c) => c % OFFSETS.length),
      2,
    );
    return;
  }
  const width = bitLength(max);
  w.u8(COLUMN_PACKED);
  w.u8(width);
  w.packed(codes, width);
}

export function readBusyColumn(r: ByteReader, count: number): (number | null)[] {
  const denom = r.varint();
  const mode = r.u8();
  const out = new Array<number | null>(count);
  if (mode === COLUMN_NULL) return out.fill(null);
  if (mode === COLUMN_CODES) {
    for (let i = 0; i < count; i++) out[i] = readBusy(r, denom);
    return out;
  }
  if (mode === COLUMN_BYTES) {
    const n = r.bytes(count);
    const k = new Array<number>(count);
    r.packed(count, 2, k, 0);
    for (let i = 0; i < count; i++) out[i] = (n[i] ?? 0) / (denom + (OFFSETS[k[i] ?? 0] ?? 0));
    return out;
  }
  if (mode !== COLUMN_PACKED) throw new Error(`store codec: unknown busy column mode ${mode} at byte ${r.pos - 1}`);
  const width = r.u8();
  const codes = new Array<number>(count);
  r.packed(count, width, codes, 0);
  for (let i = 0; i < count; i++) {
    const x = codes[i] ?? 0;
    const k = x % OFFSETS.length;
    out[i] = (x - k) / OFFSETS.length / (denom + (OFFSETS[k] ?? 0));
  }
  return out;
}

/** n * 5 + k when v === n / (denom + OFFSETS[k]), else -1 (chunk-codec.ts keeps these codes per pCPU). */
export function offsetCode(v: number | null, denom: number): number {
  if (v === null || !(v >= 0 && v <= 1) || Object.is(v, -0)) return -1;
  for (let k = 0; k < OFFSETS.length; k++) {
    const d = denom + (OFFSETS[k] ?? 0);
    const n = Math.round(v * d);
    if (n / d === v) return n * OFFSETS.length + k;
  }
  return -1;
}

/** Bits needed for a non-negative integer (0 for 0). */
export function bitLength(v: number): number {
  let b = 0;
  let x = v;
  while (x >= 1) {
    x = Math.floor(x / 2);
    b++;
  }
  return b;
}

/** Codes: 0 null, 1 float64 follows, 2 explicit n/d follows, 3 + 5n + k: n / (D + OFFSETS[k]). */
export function writeBusy(w: ByteWriter, v: number | null, denom: number): void {
  if (v === null) {
    w.u8(0);
    return;
  }
  const code = offsetCode(v, denom);
  if (code >= 0) {
    w.varint(3 + code);
    return;
  }
  if (v >= 0 && v <= 1 && !Object.is(v, -0)) {
    const r = smallRational(v, MAX_DENOMINATOR);
    if (r !== null) {
      w.u8(2);
      w.varint(r[1]);
      w.varint(r[0]);
      return;
    }
  }
  w.u8(1);
  w.f64(v);
}

export function readBusy(r: ByteReader, denom: number): number | null {
  const c = r.varint();
  if (c === 0) return null;
  if (c === 1) return r.f64();
  if (c === 2) {
    const d = r.varint();
    const n = r.varint();
    return n / d;
  }
  const x = c - 3;
  const k = x % OFFSETS.length;
  const n = (x - k) / OFFSETS.length;
  return n / (denom + (OFFSETS[k] ?? 0));
}

/** The continued-fraction convergent n/d (d <= maxD) whose quotient is exactly v, if any. */
export function smallRational(v: number, maxD: number): [number, number] | null {
  let h0 = 0;
  let h1 = 1;
  let k0 = 1;
  let k1 = 0;
  let x = v;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (k2 > maxD) return null;
    if (h2 / k2 === v) return [h2, k2];
    const frac = x - a;
    if (frac <= 0) return null;
    x = 1 / frac;
    h0 = h1;
    h1 = h2;
    k0 = k1;
    k1 = k2;
  }
  return null;
}
