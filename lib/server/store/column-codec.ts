// Columns of one chunk (chunk-codec.ts): a value per tick, for one thread, vCPU entry or pCPU.
// Each integer column picks the smallest of a few classic encodings (as time-series stores do):
//   CONST   one value                      (a pinned vCPU's pCPU, an idle thread's state)
//   RUNS    (value, run length) pairs      (a vCPU that moves now and then)
//   FOR     frame of reference: min, then (v - min) bit-packed, with the values that do not
//           fit the width listed apart (patched FOR, as in the PFOR family)
//   DELTA   first value, then zigzag deltas bit-packed the same way (slowly drifting values)
//   LENGTHS min, then each v - min as its bit length (packed at the width of the largest less
//           the smallest) and its bits below the leading one (Elias-gamma-like): values spread
//           over several powers of two (run-queue waits, an idle vCPU's run time: log-normal),
//           where one width for all pays the largest's bits on every value
//   DELTA_LENGTHS  first value, then the zigzag deltas that way
// Nullable numbers (run and wait times in ns, busy) add a null bitmap, and fall back to an exact
// code per value (byte-codec.ts `num`) when any value is not a non-negative integer. Pure.
import { MAX_VARINT, type ByteReader, type ByteWriter } from './byte-codec';

const CONST = 0;
const RUNS = 1;
const FOR = 2;
const DELTA = 3;
const LENGTHS = 8;
const DELTA_LENGTHS = 9;
// nullable columns
const EXACT = 4; // num() per value
const ALL_NULL = 5;
const NO_NULL = 6;
const SOME_NULL = 7; // a null bitmap, then the values that are not null

/** Bits needed for a non-negative integer (0 for 0). */
export function bits(v: number): number {
  // Exact for integers up to 2^53 (Math.log2 rounds 2^52 - 1 up to 52).
  return v < 4294967296 ? 32 - Math.clz32(v) : 64 - Math.clz32(Math.floor(v / 4294967296));
}

// Scratch reused across calls (the store encodes one column at a time).
const hist = new Int32Array(54);
let shiftedBuf = new Float64Array(256);
let deltaBuf = new Float64Array(256);
// Bit lengths of shiftedBuf's and deltaBuf's values: each form's size is read from them.
let shiftedBits = new Int32Array(256);
let deltaBits = new Int32Array(256);

function varintBytes(v: number): number {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  let n = 1;
  let x = v;
  while (x >= 128) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** About the bytes of an exception of b bits: a gap byte and its value's varint (by bit length). */
const EXCEPTION_BYTES = Int32Array.from({ length: 54 }, (_, b) => 1 + Math.max(1, Math.ceil(b / 7)));

/** The width that minimises packed bits plus exceptions (each: index gap and value as varints), from the values' bit lengths. */
function patchedWidth(lengths: Int32Array, count: number): { width: number; bytes: number } {
  hist.fill(0);
  let top = 0; // widest value's bit length
  for (let i = 0; i < count; i++) {
    const b = lengths[i] ?? 0;
    hist[b] = (hist[b] ?? 0) + 1;
    if (b > top) top = b;
  }
  let above = count; // values wider than w
  let exceptions = 0;
  for (let b = 0; b <= top; b++) exceptions += (hist[b] ?? 0) * (EXCEPTION_BYTES[b] ?? 0);
  let best = { width: 0, bytes: Number.POSITIVE_INFINITY };
  for (let w = 0; w <= 53; w++) {
    const h = hist[w] ?? 0;
    above -= h;
    exceptions -= h * (EXCEPTION_BYTES[w] ?? 0);
    const bytes = Math.ceil((count * w) / 8) + exceptions + 2 + (above > 0 ? 1 : 0);
    if (bytes < best.bytes) best = { width: w, bytes };
    if (above === 0) break;
  }
  return best;
}

/** 2 ** k for the bit lengths a column holds. */
const POW2 = Float64Array.from({ length: 54 }, (_, k) => 2 ** k);

let lowBuf = new Float64Array(256);
let inBuf = new Float64Array(256);
let lenBuf = new Float64Array(256);

function ensureScratch(n: number): void {
  if (inBuf.length >= n) return;
  inBuf = new Float64Array(n * 2);
  shiftedBuf = new Float64Array(n * 2);
  deltaBuf = new Float64Array(n * 2);
  shiftedBits = new Int32Array(n * 2);
  deltaBits = new Int32Array(n * 2);
  lowBuf = new Float64Array(n * 2);
  lenBuf = new Float64Array(n * 2);
}

/** Bytes of writeLengths for values of these bit lengths. */
function lengthsBytes(lengths: Int32Array, count: number): number {
  let minL = 64;
  let maxL = 0;
  let mantissa = 0;
  for (let i = 0; i < count; i++) {
    const l = lengths[i] as number;
    if (l < minL) minL = l;
    if (l > maxL) maxL = l;
    if (l > 1) mantissa += l - 1;
  }
  return 2 + Math.ceil((count * bits(maxL - minL)) / 8) + Math.ceil(mantissa / 8);
}

/** Each value as its bit length less the smallest (packed), then its bits below the leading one. */
function writeLengths(w: ByteWriter, values: Float64Array, count: number): void {
  const lens = lenBuf;
  let minL = 64;
  let maxL = 0;
  for (let i = 0; i < count; i++) {
    const l = bits(values[i] as number);
    lens[i] = l;
    if (l < minL) minL = l;
    if (l > maxL) maxL = l;
  }
  const width = bits(maxL - minL);
  w.u8(minL);
  w.u8(width);
  const low = lowBuf;
  for (let i = 0; i < count; i++) low[i] = (lens[i] as number) - minL;
  w.packed(low.subarray(0, count), width);
  for (let i = 0; i < count; i++) {
    const l = lens[i] as number;
    lens[i] = l > 1 ? l - 1 : 0;
    low[i] = l > 1 ? (values[i] as number) - (POW2[l - 1] as number) : 0;
  }
  w.varPacked(low, lens, count);
}

function readLengths(r: ByteReader, count: number, out: number[]): void {
  const minL = r.u8();
  const width = r.u8();
  if (minL > 53 || width > 6) throw new Error(`store codec: bit lengths from ${minL}, ${width} bits wide, at byte ${r.pos - 2}`);
  const lens = new Array<number>(count);
  r.packed(count, width, lens, 0);
  const mantissaWidths = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const l = (lens[i] ?? 0) + minL;
    if (l > 53) throw new Error(`store codec: a value of ${l} bits in a column`);
    lens[i] = l;
    mantissaWidths[i] = l > 1 ? l - 1 : 0;
  }
  r.varPacked(count, mantissaWidths, out);
  for (let i = 0; i < count; i++) {
    const l = lens[i] ?? 0;
    out[i] = l === 0 ? 0 : l === 1 ? 1 : 2 ** (l - 1) + (out[i] ?? 0);
  }
}

function writePatched(w: ByteWriter, values: Float64Array, count: number, width: number): void {
  const limit = 2 ** width;
  const low = lowBuf;
  let exceptions = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] as number;
    if (v < limit) low[i] = v;
    else {
      low[i] = 0;
      exceptions++;
    }
  }
  w.u8(width);
  w.packed(low.subarray(0, count), width);
  w.varint(exceptions);
  let prev = -1;
  for (let i = 0; i < count && exceptions > 0; i++) {
    const v = values[i] as number;
    if (v < limit) continue;
    w.varint(i - prev - 1);
    w.varint(v);
    prev = i;
    exceptions--;
  }
}

function readPatched(r: ByteReader, count: number, out: number[]): void {
  const width = r.u8();
  r.packed(count, width, out, 0);
  let n = r.varint();
  let i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    if (i >= count) throw new Error(`store codec: column exception at ${i} of ${count}`);
    out[i] = r.varint();
  }
}

interface IntsPlan {
  mode: number;
  bytes: number;
  width: number;
  min: number;
  runs: number;
}

const plan: IntsPlan = { mode: CONST, bytes: 0, width: 0, min: 0, runs: 0 };

/** The form and size of `a[0..n)` (copied to inBuf), with shiftedBuf and deltaBuf filled for it. */
function planInts(a: Float64Array, n: number): IntsPlan {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let runs = 0;
  let runBytes = 0;
  let prev = Number.NaN;
  for (let i = 0; i < n; i++) {
    const v = a[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v !== prev) {
      runs++;
      runBytes += varintBytes(v) + 1;
      prev = v;
    }
  }
  plan.min = min;
  plan.runs = runs;
  if (runs === 1) {
    plan.mode = CONST;
    plan.bytes = varintBytes(a[0] as number) + 1;
    return plan;
  }
  plan.mode = RUNS;
  plan.bytes = runBytes + 1;
  // Few runs (under a bit a value): runs win, no need to size the other forms.
  if (runBytes * 8 <= n) return plan;
  for (let i = 0; i < n; i++) {
    const v = (a[i] as number) - min;
    shiftedBuf[i] = v;
    shiftedBits[i] = bits(v);
  }
  for (let i = 1; i < n; i++) {
    const d = zigzag((a[i] as number) - (a[i - 1] as number));
    deltaBuf[i - 1] = d;
    deltaBits[i - 1] = bits(d);
  }
  const f = patchedWidth(shiftedBits, n);
  const forBytes = varintBytes(min) + f.bytes + 1;
  if (forBytes < plan.bytes) {
    plan.mode = FOR;
    plan.bytes = forBytes;
    plan.width = f.width;
  }
  const lengths = varintBytes(min) + lengthsBytes(shiftedBits, n) + 1;
  if (lengths < plan.bytes) {
    plan.mode = LENGTHS;
    plan.bytes = lengths;
  }
  // A zigzag delta is up to twice the spread: past MAX_VARINT it has no varint (an exception).
  if ((max - min) * 2 > MAX_VARINT) return plan;
  const d = patchedWidth(deltaBits, n - 1);
  const deltaBytes = varintBytes(a[0] as number) + d.bytes + 1;
  if (deltaBytes < plan.bytes) {
    plan.mode = DELTA;
    plan.bytes = deltaBytes;
    plan.width = d.width;
  }
  const deltaLengths = varintBytes(a[0] as number) + lengthsBytes(deltaBits, n - 1) + 1;
  if (deltaLengths < plan.bytes) {
    plan.mode = DELTA_LENGTHS;
    plan.bytes = deltaLengths;
  }
  return plan;
}

/**
 * The values of the last intsCost call while inBuf, shiftedBuf, deltaBuf and `plan` still hold
 * their plan (no load since): writeInts of the same array, unchanged, writes from it.
 */
let costed: ArrayLike<number> | null = null;

function load(values: ArrayLike<number>): number {
  costed = null;
  const n = values.length;
  ensureScratch(n);
  for (let i = 0; i < n; i++) inBuf[i] = values[i] ?? 0;
  return n;
}

/** About the bytes writeInts takes for `values`, without writing them (to choose between forms). */
export function intsCost(values: ArrayLike<number>): number {
  const n = load(values);
  if (n === 0) return 0;
  const bytes = planInts(inBuf, n).bytes;
  costed = values;
  return bytes;
}

/** Non-negative integers up to MAX_VARINT, one per tick. `values` must not change between intsCost and this. */
export function writeInts(w: ByteWriter, values: ArrayLike<number>): void {
  const planned = values === costed;
  const n = planned ? values.length : load(values);
  costed = null;
  if (n === 0) return;
  const a = inBuf;
  const p = planned ? plan : planInts(a, n);
  w.u8(p.mode);
  if (p.mode === CONST) {
    w.varint(a[0] as number);
  } else if (p.mode === RUNS) {
    w.varint(p.runs);
    let i = 0;
    while (i < n) {
      const v = a[i] as number;
      let j = i + 1;
      while (j < n && a[j] === v) j++;
      w.varint(v);
      w.varint(j - i);
      i = j;
    }
  } else if (p.mode === FOR) {
    w.varint(p.min);
    writePatched(w, shiftedBuf, n, p.width);
  } else if (p.mode === DELTA) {
    w.varint(a[0] as number);
    writePatched(w, deltaBuf, n - 1, p.width);
  } else if (p.mode === LENGTHS) {
    w.varint(p.min);
    writeLengths(w, shiftedBuf, n);
  } else {
    w.varint(a[0] as number);
    writeLengths(w, deltaBuf, n - 1);
  }
}

export function readInts(r: ByteReader, count: number): number[] {
  const out = new Array<number>(count);
  if (count === 0) return out;
  const mode = r.u8();
  if (mode === CONST) return out.fill(r.varint());
  if (mode === RUNS) {
    let runs = r.varint();
    let i = 0;
    while (runs-- > 0) {
      const v = r.varint();
      const len = r.varint();
      if (i + len > count) throw new Error(`store codec: runs longer than the column (${count})`);
      out.fill(v, i, i + len);
      i += len;
    }
    if (i !== count) throw new Error(`store codec: runs cover ${i} of ${count} ticks`);
    return out;
  }
  if (mode === FOR || mode === LENGTHS) {
    const min = r.varint();
    (mode === FOR ? readPatched : readLengths)(r, count, out);
    for (let i = 0; i < count; i++) out[i] = (out[i] ?? 0) + min;
    return out;
  }
  if (mode === DELTA || mode === DELTA_LENGTHS) {
    out[0] = r.varint();
    const d = new Array<number>(count - 1);
    (mode === DELTA ? readPatched : readLengths)(r, count - 1, d);
    for (let i = 1; i < count; i++) out[i] = (out[i - 1] ?? 0) + unzigzag(d[i - 1] ?? 0);
    return out;
  }
  throw new Error(`store codec: unknown column mode ${mode} at byte ${r.pos - 1}`);
}

/** Bits (0 or 1), one per tick: run lengths, the first run of zeros (possibly empty). */
export function writeBits(w: ByteWriter, bitsOf: (i: number) => number, count: number): void {
  const runs: number[] = [];
  let cur = 0;
  let len = 0;
  for (let i = 0; i < count; i++) {
    const b = bitsOf(i);
    if (b === cur) len++;
    else {
      runs.push(len);
      cur = b;
      len = 1;
    }
  }
  runs.push(len);
  w.varint(runs.length);
  for (const x of runs) w.varint(x);
}

export function readBits(r: ByteReader, count: number, out: Uint8Array | number[], stride = 1, offset = 0): void {
  let runs = r.varint();
  let cur = 0;
  let i = 0;
  while (runs-- > 0) {
    const len = r.varint();
    if (i + len > count) throw new Error(`store codec: bit runs longer than the column (${count})`);
    for (let k = 0; k < len; k++) out[offset + (i + k) * stride] = cur;
    i += len;
    cur ^= 1;
  }
  if (i !== count) throw new Error(`store codec: bit runs cover ${i} of ${count} ticks`);
}

const isPlainInt = (v: number | null): v is number => v !== null && Number.isInteger(v) && v >= 0 && v <= MAX_VARINT && !Object.is(v, -0);

/** Nullable numbers, one per tick, exact. */
export function writeNullableNumbers(w: ByteWriter, values: readonly (number | null)[]): void {
  let nulls = 0;
  for (const v of values) {
    if (v === null) nulls++;
    else if (!isPlainInt(v)) {
      w.u8(EXACT);
      for (const x of values) w.num(x);
      return;
    }
  }
  if (nulls === values.length) {
    w.u8(ALL_NULL);
    return;
  }
  w.u8(nulls === 0 ? NO_NULL : SOME_NULL);
  if (nulls > 0) writeBits(w, (i) => (values[i] === null ? 1 : 0), values.length);
  const present = new Array<number>(values.length - nulls);
  let k = 0;
  for (const v of values) if (v !== null) present[k++] = v;
  writeInts(w, present);
}

/** writeNullableNumbers of values known to be non-null integers from 0 to MAX_VARINT (the same bytes, planned once when they were just costed). */
export function writeIntsAsNullable(w: ByteWriter, values: ArrayLike<number>): void {
  if (values.length === 0) {
    w.u8(ALL_NULL);
    return;
  }
  w.u8(NO_NULL);
  writeInts(w, values);
}

export function readNullableNumbers(r: ByteReader, count: number): (number | null)[] {
  const mode = r.u8();
  const out = new Array<number | null>(count);
  if (mode === EXACT) {
    for (let i = 0; i < count; i++) out[i] = r.num();
    return out;
  }
  if (mode === ALL_NULL) return out.fill(null);
  const isNull = new Uint8Array(count);
  if (mode === SOME_NULL) readBits(r, count, isNull);
  else if (mode !== NO_NULL) throw new Error(`store codec: unknown nullable column mode ${mode} at byte ${r.pos - 1}`);
  let present = 0;
  for (let i = 0; i < count; i++) if (isNull[i] === 0) present++;
  const values = readInts(r, present);
  let k = 0;
  for (let i = 0; i < count; i++) out[i] = isNull[i] === 1 ? null : (values[k++] ?? 0);
  return out;
}

