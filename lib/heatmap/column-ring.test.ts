import { describe, expect, it } from 'vitest';
import { ringCapacity, ringSegments } from './column-ring';

describe('ringSegments', () => {
  it('is one run when the columns do not wrap', () => {
    expect(ringSegments(8, 2, 4)).toEqual([{ src: 2, len: 4, dst: 0 }]);
    expect(ringSegments(8, 10, 3)).toEqual([{ src: 2, len: 3, dst: 0 }]);
  });
  it('is two runs when they wrap', () => {
    expect(ringSegments(8, 6, 5)).toEqual([
      { src: 6, len: 2, dst: 0 },
      { src: 0, len: 3, dst: 2 },
    ]);
    expect(ringSegments(8, 16, 8)).toEqual([{ src: 0, len: 8, dst: 0 }]);
  });
  it('rejects more columns than the ring holds and bad numbers', () => {
    expect(() => ringSegments(8, 0, 9)).toThrow(/do not fit/);
    expect(() => ringSegments(0, 0, 0)).toThrow(/whole numbers/);
    expect(ringSegments(8, 3, 0)).toEqual([]);
  });
});

describe('ringCapacity', () => {
  it('leaves room for the window to grow and stays under the canvas limit', () => {
    expect(ringCapacity(900)).toBe(2048);
    expect(ringCapacity(10)).toBe(1024);
    expect(ringCapacity(100_000)).toBe(16384);
  });
});
