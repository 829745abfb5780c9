import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './byte-codec';
import { busyDenominator, readBusyColumn, smallRational, writeBusyColumn } from './busy-codec';

function roundTrip(values: (number | null)[], intervalMs: number | null): { out: (number | null)[]; bytes: number } {
  const w = new ByteWriter(1);
  writeBusyColumn(w, values, busyDenominator(intervalMs));
  const bytes = w.finish();
  const r = new ByteReader(bytes);
  const out = readBusyColumn(r, values.length);
  expect(r.done).toBe(true);
  return { out, bytes: bytes.length };
}

describe('busy column', () => {
  it('stores jiffy ratios (n / ~100 per second) in about 1.25 bytes per pCPU, exactly', () => {
    const values = Array.from({ length: 64 }, (_, i) => {
      const total = 99 + (i % 3);
      return Math.min(total, (i * 7) % 120) / total;
    });
    const { out, bytes } = roundTrip(values, 1000);
    for (let i = 0; i < values.length; i++) expect(Object.is(out[i], values[i])).toBe(true);
    expect(bytes).toBeLessThanOrEqual(64 + 16 + 4);
  });

  it('keeps arbitrary floats, nulls and other intervals exact', () => {
    const cases: [(number | null)[], number | null][] = [
      [[null, null, null], null],
      [[0.12, 0.5, 1, 0, null], 1000],
      [[Math.random(), 1 / 3, 2 / 7, 0.999999], 1000],
      [[3 / 500, 17 / 500], 5000],
      [[1 / 1e6, 0.1 + 0.2], 1],
    ];
    for (const [values, interval] of cases) {
      const { out } = roundTrip(values, interval);
      values.forEach((v, i) => expect(Object.is(out[i], v)).toBe(true));
    }
  });

  it('finds the small-denominator fraction of a quotient', () => {
    expect(smallRational(37 / 101, 1000)).toEqual([37, 101]);
    expect(smallRational(0.5, 10)).toEqual([1, 2]);
    expect(smallRational(Math.PI - 3, 100)).toBeNull();
  });
});
