import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, MAX_VARINT } from './byte-codec';

describe('byte codec', () => {
  it('round-trips varints across byte boundaries and up to 2^52', () => {
    const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, MAX_VARINT];
    const w = new ByteWriter(1);
    for (const v of values) w.varint(v);
    const r = new ByteReader(w.finish());
    expect(values.map(() => r.varint())).toEqual(values);
    expect(r.done).toBe(true);
  });

  it('refuses what a varint cannot carry', () => {
    const w = new ByteWriter();
    for (const bad of [-1, 0.5, MAX_VARINT + 2, Number.NaN]) expect(() => w.varint(bad)).toThrow(/varint/);
  });

  it('keeps every number exact through num and rel, including -0 and fractions', () => {
    const nums = [null, 0, -0, 1, 1_203_456, 2 ** 52, 2 ** 53, -5, 0.25, 1e-9, Number.MAX_VALUE, Number.POSITIVE_INFINITY];
    const base = 1_764_000_000_000;
    const rels = [base, base - 1, base + 1, 0, -0, base - 86_400_000, 8.64e15, 0.5, -1e300];
    const w = new ByteWriter(4);
    for (const v of nums) w.num(v);
    for (const v of rels) w.rel(base, v);
    const r = new ByteReader(w.finish());
    for (const v of nums) expect(Object.is(r.num(), v) || v === null).toBe(true);
    for (const v of rels) expect(Object.is(r.rel(base), v)).toBe(true);
    expect(r.done).toBe(true);
  });

  it('packs fields of any width up to 52 bits', () => {
    for (const width of [0, 1, 3, 7, 8, 9, 17, 31, 33, 52]) {
      const max = width === 0 ? 0 : 2 ** width - 1;
      const values = [0, max, Math.floor(max / 3), 1 % (max + 1), max, 0, Math.floor(max / 2)];
      const w = new ByteWriter(1);
      w.u8(0xab);
      w.packed(values, width);
      w.u8(0xcd);
      const r = new ByteReader(w.finish());
      expect(r.u8()).toBe(0xab);
      const out: number[] = [];
      r.packed(values.length, width, out, 0);
      expect(out).toEqual(values);
      expect(r.u8()).toBe(0xcd);
    }
  });

  it('reports truncated input instead of reading garbage', () => {
    const w = new ByteWriter();
    w.varint(300);
    const bytes = w.finish().subarray(0, 1);
    expect(() => new ByteReader(bytes).varint()).toThrow(/truncated/);
    expect(() => new ByteReader(new Uint8Array(3)).f64()).toThrow(/truncated/);
  });

  it('round-trips strings', () => {
    const w = new ByteWriter(2);
    for (const s of ['', 'S', 'tenant "a"/b', 'ünïcödé ✓']) w.string(s);
    const r = new ByteReader(w.finish());
    expect([r.string(), r.string(), r.string(), r.string()]).toEqual(['', 'S', 'tenant "a"/b', 'ünïcödé ✓']);
  });
});
