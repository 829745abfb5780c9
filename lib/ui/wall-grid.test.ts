import { describe, expect, it } from 'vitest';
import { wallGrid } from './wall-grid';

describe('wallGrid', () => {
  it('fits every tile with no more cells than needed', () => {
    for (const n of [1, 2, 7, 50, 500]) {
      for (const [w, h] of [
        [1920, 1080],
        [3840, 2160],
        [1080, 1920],
      ] as const) {
        const { cols, rows } = wallGrid(n, w, h);
        expect(cols * rows).toBeGreaterThanOrEqual(n);
        expect((rows - 1) * cols).toBeLessThan(n);
      }
    }
  });
  it('keeps tiles near the screen aspect: 16 hosts on 1080p make 6 x 3', () => {
    expect(wallGrid(16, 1920, 1080)).toEqual({ cols: 6, rows: 3 });
    expect(wallGrid(0, 1920, 1080)).toEqual({ cols: 1, rows: 1 });
  });
});
