import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test/support/snapshot-factory';
import { ByteReader, ByteWriter } from './byte-codec';
import { intsCost, readInts, writeInts } from './column-codec';

function roundTrip(values: readonly number[]): { back: number[]; bytes: number; mode: number } {
  const w = new ByteWriter();
  writeInts(w, values);
  const bytes = w.finish();
  const r = new ByteReader(bytes);
  const back = readInts(r, values.length);
  expect(r.done).toBe(true);
  return { back, bytes: bytes.length, mode: bytes[0] ?? -1 };
}

describe('integer columns', () => {
  const rand = mulberry32(7);
  const normal = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
  const logNormal = (median: number, sigma: number): number => Math.round(median * Math.exp(sigma * normal()));

  it('gives back log-normal run-queue waits, in fewer bytes than one width for all (bit lengths)', () => {
    const waits = Array.from({ length: 60 }, () => (rand() < 1 / 3 ? 0 : logNormal(4000, 1)));
    const { back, bytes, mode } = roundTrip(waits);
    expect(back).toStrictEqual(waits);
    expect(mode).toBe(8);
    expect(bytes).toBe(intsCost(waits));
    // 60 values of ~12 bits spread over ~5 powers of two, a third of them 0
    expect(bytes).toBeLessThan(60 * 1.75);
  });

  it('gives back drifting counters as deltas, and values at the edges of the range', () => {
    let u = 0.7;
    const runs = Array.from({ length: 60 }, () => {
      u = Math.min(1, Math.max(0.3, u + normal() * 0.02));
      return Math.round(u * 1e9 * (1 + normal() * 0.01));
    });
    expect(roundTrip(runs).back).toStrictEqual(runs);
    for (const values of [[0], [1], [0, 1, 2, 3], [2 ** 52, 0, 2 ** 52 - 1, 1, 2 ** 40], [5, 5, 5, 5, 6], Array.from({ length: 300 }, (_, i) => (i * 7919) % 65536)]) {
      expect(roundTrip(values).back).toStrictEqual(values);
    }
  });

  it('refuses bit lengths no column can have', () => {
    const w = new ByteWriter();
    w.u8(8); // LENGTHS
    w.varint(0); // min
    w.u8(60); // smallest bit length
    w.u8(0);
    expect(() => readInts(new ByteReader(w.finish()), 1)).toThrow(/bit lengths/);
  });
});
