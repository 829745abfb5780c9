// Growable byte writer and a reader for the store's binary rows: LEB128 varints, float64 escapes
// and short strings. Pure, no I/O. Numbers stay exact: anything the compact codes cannot carry
// bit for bit (negative, fractional, -0, huge) is written as a float64.

const TWO_POW_32 = 4294967296;
/** Largest value the varint fast paths accept; keeps `v + 2` and zigzag results safe integers. */
export const MAX_VARINT = 2 ** 52;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialBytes = 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** A copy of the written bytes, sized exactly (the writer is reused for the next row). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }

  /** Unsigned LEB128 of a non-negative integer up to MAX_VARINT. */
  varint(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= MAX_VARINT)) {
      throw new Error(`store codec: varint needs an integer in 0..2^52, got ${v}`);
    }
    this.ensure(8);
    let n = v;
    while (n >= TWO_POW_32) {
      this.buf[this.length++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n >= 0x80) {
      this.buf[this.length++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.length++] = n;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Length-prefixed UTF-8. */
  string(s: string): void {
    const encoded = utf8.encode(s);
    this.varint(encoded.length);
    this.bytes(encoded);
  }

  /**
   * A nullable number: 0 = null, 1 = float64 follows, k + 2 = the non-negative integer k.
   * Counters in ns and ms are non-negative integers, so they take 1 to 5 bytes.
   */
  num(v: number | null): void {
    if (v === null) {
      this.u8(0);
    } else if (Number.isInteger(v) && v >= 0 && v <= MAX_VARINT - 2 && !Object.is(v, -0)) {
      this.varint(v + 2);
    } else {
      this.u8(1);
      this.f64(v);
    }
  }

  /**
   * `values[i]` (non-negative integers below 2^width) as `width`-bit fields, least significant
   * bit first, padded to a whole byte. Counters of similar size cost their width, not a varint's
   * 7-bit groups.
   */
  packed(values: ArrayLike<number>, width: number): void {
    this.ensure(Math.ceil((values.length * width) / 8) + 8);
    const buf = this.buf;
    let pos = this.length;
    if (width <= 24) {
      // Fast path (pCPU loads, idle counters): a 32-bit accumulator holds 7 + 24 bits.
      let acc = 0;
      let nbits = 0;
      for (let i = 0; i < values.length; i++) {
        acc |= (values[i] ?? 0) << nbits;
        nbits += width;
        while (nbits >= 8) {
          buf[pos++] = acc & 0xff;
          acc >>>= 8;
          nbits -= 8;
        }
      }
      if (nbits > 0) buf[pos++] = acc & 0xff;
      this.length = pos;
      return;
    }
    if (width <= 32) {
      // Each value as its low 16 bits, then the rest: the same bits in the same order, and the
      // 32-bit accumulator never holds more than 7 + 16.
      let acc = 0;
      let nbits = 0;
      const high = width - 16;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] ?? 0;
        acc |= (v & 0xffff) << nbits;
        nbits += 16;
        while (nbits >= 8) {
          buf[pos++] = acc & 0xff;
          acc >>>= 8;
          nbits -= 8;
        }
        acc |= Math.floor(v / 65536) << nbits;
        nbits += high;
        while (nbits >= 8) {
          buf[pos++] = acc & 0xff;
          acc >>>= 8;
          nbits -= 8;
        }
      }
      if (nbits > 0) buf[pos++] = acc & 0xff;
      this.length = pos;
      return;
    }
    this.length = writeFields(buf, pos, values, values.length, () => width);
  }

  /**
   * `values[i]` in `widths[i]` bits each (0 to 53), least significant bit first, padded to a
   * whole byte: fields of varying width (column-codec.ts LENGTHS).
   */
  varPacked(values: ArrayLike<number>, widths: ArrayLike<number>, count: number): void {
    let total = 0;
    for (let i = 0; i < count; i++) total += widths[i] ?? 0;
    this.ensure(Math.ceil(total / 8) + 8);
    this.length = writeFields(this.buf, this.length, values, count, (i) => widths[i] ?? 0);
  }

  /**
   * A number stored relative to `base` (epoch ms next to the tick time): 0 = float64 of the value
   * follows, c >= 1 = zigzag(base - v) + 1. Exact: the delta path is taken only when it round-trips.
   */
  rel(base: number, v: number): void {
    const d = base - v;
    if (Number.isInteger(d) && Math.abs(d) <= MAX_VARINT / 4 && base - d === v && !Object.is(v, -0)) {
      this.varint(zigzag(d) + 1);
    } else {
      this.u8(0);
      this.f64(v);
    }
  }
}

export class ByteReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private truncated(what: string): Error {
    return new Error(`store codec: row truncated while reading ${what} at byte ${this.pos} of ${this.buf.length}`);
  }

  u8(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw this.truncated('a byte');
    this.pos++;
    return b;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos];
      if (b === undefined) throw this.truncated('a varint');
      this.pos++;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
      if (mul > 2 ** 56) throw new Error(`store codec: varint longer than 8 bytes at byte ${this.pos}`);
    }
  }

  f64(): number {
    if (this.pos + 8 > this.buf.length) throw this.truncated('a float64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw this.truncated(`${n} bytes`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.varint();
    return utf8Decoder.decode(this.bytes(n));
  }

  num(): number | null {
    const c = this.varint();
    if (c === 0) return null;
    if (c === 1) return this.f64();
    return c - 2;
  }

  /** Reads `count` fields written by ByteWriter.packed into `out` from `offset`. */
  packed(count: number, width: number, out: { [i: number]: number | null }, offset: number): void {
    const nbytes = Math.ceil((count * width) / 8);
    if (this.pos + nbytes > this.buf.length) throw this.truncated(`${count} packed ${width}-bit fields`);
    const buf = this.buf;
    let pos = this.pos;
    let acc = 0; // bits not yet consumed, little end first
    let nbits = 0;
    if (width <= 24) {
      const mask = width === 0 ? 0 : 0xffffffff >>> (32 - width);
      for (let i = 0; i < count; i++) {
        while (nbits < width) {
          acc |= (buf[pos++] ?? 0) << nbits;
          nbits += 8;
        }
        out[offset + i] = (acc & mask) >>> 0;
        acc >>>= width;
        nbits -= width;
      }
    } else if (width <= 32) {
      const high = width - 16;
      const mask = 0xffffffff >>> (32 - high);
      for (let i = 0; i < count; i++) {
        while (nbits < 16) {
          acc |= (buf[pos++] ?? 0) << nbits;
          nbits += 8;
        }
        const lo = acc & 0xffff;
        acc >>>= 16;
        nbits -= 16;
        while (nbits < high) {
          acc |= (buf[pos++] ?? 0) << nbits;
          nbits += 8;
        }
        out[offset + i] = ((acc & mask) >>> 0) * 65536 + lo;
        acc >>>= high;
        nbits -= high;
      }
    } else {
      readFields(buf, pos, count, () => width, out, offset);
    }
    this.pos += nbytes;
  }

  /** Reads `count` fields written by ByteWriter.varPacked into `out`. */
  varPacked(count: number, widths: ArrayLike<number>, out: number[]): void {
    let total = 0;
    for (let i = 0; i < count; i++) total += widths[i] ?? 0;
    const nbytes = Math.ceil(total / 8);
    if (this.pos + nbytes > this.buf.length) throw this.truncated(`${count} packed fields of ${total} bits`);
    readFields(this.buf, this.pos, count, (i) => widths[i] ?? 0, out, 0);
    this.pos += nbytes;
  }

  rel(base: number): number {
    const c = this.varint();
    if (c === 0) return this.f64();
    return base - unzigzag(c - 1);
  }
}

/** Writes `values[i]` in widthOf(i) bits (up to 53) at `pos`, least significant first; returns the end. */
function writeFields(buf: Uint8Array, start: number, values: ArrayLike<number>, count: number, widthOf: (i: number) => number): number {
  let pos = start;
  let acc = 0; // pending bits, < 2^24
  let nbits = 0;
  for (let i = 0; i < count; i++) {
    let v = values[i] ?? 0;
    let left = widthOf(i);
    if (left <= 24 && v < 16777216) {
      // The common case in integers: fewer than 8 bits pending plus at most 24 fit in 31.
      acc |= (v & ((1 << left) - 1)) << nbits;
      nbits += left;
      while (nbits >= 8) {
        buf[pos++] = acc & 0xff;
        acc >>>= 8;
        nbits -= 8;
      }
      continue;
    }
    while (left > 0) {
      const c = Math.min(16, left);
      const unit = 2 ** c;
      acc += (v % unit) * 2 ** nbits;
      nbits += c;
      v = Math.floor(v / unit);
      left -= c;
      while (nbits >= 8) {
        buf[pos++] = acc & 0xff;
        acc = Math.floor(acc / 256);
        nbits -= 8;
      }
    }
  }
  if (nbits > 0) buf[pos++] = acc & 0xff;
  return pos;
}

/** Reads `count` fields of widthOf(i) bits from `pos` (writeFields) into `out` from `offset`. */
function readFields(buf: Uint8Array, start: number, count: number, widthOf: (i: number) => number, out: { [i: number]: number | null }, offset: number): void {
  let pos = start;
  let acc = 0;
  let nbits = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    let mul = 1;
    let left = widthOf(i);
    while (left > 0) {
      if (nbits === 0) {
        acc = buf[pos++] ?? 0;
        nbits = 8;
      }
      const c = Math.min(nbits, left);
      v += (acc & ((1 << c) - 1)) * mul;
      acc >>>= c;
      nbits -= c;
      mul *= 2 ** c;
      left -= c;
    }
    out[offset + i] = v;
  }
}

function zigzag(d: number): number {
  return d >= 0 ? d * 2 : -d * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
