import { describe, expect, it } from 'vitest';
import { PageRing } from './page-ring';

const page = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('PageRing', () => {
  it('keeps pages per CPU in read order and selects by time', () => {
    const r = new PageRing(1e9, 1 << 20);
    r.add(0, 10, 20, page(100, 1));
    r.add(1, 15, 30, page(50, 2));
    r.add(0, 25, 40, page(70, 3));
    expect(r.size).toBe(3);
    expect(r.bytes).toBe(220);
    const sel = r.select(21, 35);
    expect([...sel.keys()].sort()).toEqual([0, 1]);
    expect(sel.get(0)?.map((b) => [b.length, b[0]])).toEqual([[70, 3]]);
    expect(sel.get(1)?.map((b) => b[0])).toEqual([2]);
    expect(r.covered()).toEqual({ fromNs: 10, toNs: 40 });
  });

  it('drops pages older than the span before the newest', () => {
    const r = new PageRing(100, 1 << 20);
    for (let t = 0; t < 1000; t += 10) r.add(t % 2, t, t + 5, page(64, t % 256));
    expect(r.covered()?.fromNs).toBeGreaterThanOrEqual(1000 - 5 - 100 - 10);
    expect(r.droppedForBytes).toBe(0);
  });

  it('stays within its bytes, going round the arena without ever handing out overwritten bytes', () => {
    const r = new PageRing(1e12, 1000);
    for (let i = 0; i < 500; i++) {
      r.add(0, i, i, page(37 + (i % 90), i % 251));
      expect(r.bytes).toBeLessThanOrEqual(1000);
      // Every kept page still holds what was written for it.
      const kept = r.select(0, 1e12).get(0) ?? [];
      const newest = kept.at(-1);
      expect(newest?.[0]).toBe(i % 251);
      for (const b of kept) expect(b.every((x) => x === b[0])).toBe(true);
    }
    expect(r.droppedForBytes).toBeGreaterThan(0);
    expect(r.size).toBeGreaterThan(5);
  });

  it('keeps nothing with a zero span or size', () => {
    const r = new PageRing(0, 0);
    r.add(0, 1, 2, page(10, 1));
    expect(r.size).toBe(0);
  });
});
