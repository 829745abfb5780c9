import { describe, expect, it } from 'vitest';
import { fleetRows } from './fleet-rows';

const box = { width: 1880, top: 120, viewport: 1080, minTileWidth: 272, tileHeight: 188, gap: 12 };

describe('fleetRows', () => {
  it('fits as many columns as the width holds', () => {
    expect(fleetRows(box).cols).toBe(6);
    expect(fleetRows({ ...box, width: 100 }).cols).toBe(1);
  });
  it('renders the rows on screen and a screen around them', () => {
    // 200 px a row: rows 0..4 on screen below a 120 px header, 6 rows of overscan.
    expect(fleetRows(box)).toEqual({ cols: 6, first: 0, last: 10 });
    // Scrolled 10,000 px into the grid: rows 50..55 on screen.
    expect(fleetRows({ ...box, top: -10_000 })).toEqual({ cols: 6, first: 44, last: 61 });
  });
});
