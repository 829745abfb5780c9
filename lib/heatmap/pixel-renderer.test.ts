import { describe, expect, it } from 'vitest';
import { drawCellsToPixels, paletteBytes } from './pixel-renderer';
import { timelineCells } from './timeline-cells';
import { history, topology } from '../../test/support/history-builder';

describe('drawCellsToPixels', () => {
  const h = history([
    { vm: 'a', tid: 1, pcpu: [0, 1], ran: [1, 0] },
    { vm: 'b', tid: 2, pcpu: [1, null] },
  ]);
  const cells = timelineCells(h, topology(1, 2), { width: 2, height: 4, x0: 0, x1: 2 }, (vm) => (vm === 'a' ? 0 : 1));
  const palette = paletteBytes(['#ff0000', '#0000ff']);

  it('writes each cell as its colour, 1 px per column, stale cells at reduced alpha', () => {
    const px = { data: new Uint8ClampedArray(2 * 4 * 4), width: 2, height: 4 };
    expect(drawCellsToPixels(px, cells, palette)).toBe(3);
    const at = (x: number, y: number) => Array.from(px.data.slice((y * 2 + x) * 4, (y * 2 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([255, 0, 0, 255]); // tick 0, pCPU 0: a ran
    expect(at(0, 2)).toEqual([0, 0, 255, 255]); // tick 0, pCPU 1: b
    expect(at(1, 0)).toEqual([0, 0, 0, 0]); // tick 1, pCPU 0: nothing
    expect(at(1, 3)).toEqual([255, 0, 0, 89]); // tick 1, pCPU 1: a, stale
  });

  it('clips cells to the pixel area and rejects a colour the palette lacks', () => {
    const px = { data: new Uint8ClampedArray(1 * 2 * 4), width: 1, height: 2 };
    expect(drawCellsToPixels(px, cells, palette)).toBe(1); // only tick 0, pCPU 0 lies inside 1 x 2 px
    expect(() => drawCellsToPixels(px, cells, paletteBytes(['#fff']))).toThrow(/no colour/);
    expect(() => paletteBytes(['not-a-colour'])).toThrow(/not a colour/);
  });

  it('writes the same pixels into data that is not word-aligned (byte by byte)', () => {
    const aligned = { data: new Uint8ClampedArray(2 * 4 * 4), width: 2, height: 4 };
    const unaligned = { data: new Uint8ClampedArray(new ArrayBuffer(2 * 4 * 4 + 1), 1, 2 * 4 * 4), width: 2, height: 4 };
    expect(drawCellsToPixels(aligned, cells, palette)).toBe(3);
    expect(drawCellsToPixels(unaligned, cells, palette)).toBe(3);
    expect(Array.from(unaligned.data)).toEqual(Array.from(aligned.data));
  });
});
