import { describe, expect, it } from 'vitest';
import { isRovingKey, rovingTarget, type Box } from './roving';

// Two wrapped rows of cells 10 px wide: 0 1 2 3 on top, 4 5 6 below (shifted by 5 px), and a lone
// cell 7 in a third row further right.
const box = (x: number, y: number): Box => ({ x, y, width: 10, height: 12 });
const cells = [box(0, 0), box(12, 0), box(24, 0), box(36, 0), box(5, 20), box(17, 20), box(29, 20), box(40, 60)];

describe('rovingTarget', () => {
  it('moves left and right in reading order and stops at the ends', () => {
    expect(rovingTarget(cells, 3, 'ArrowRight')).toBe(4);
    expect(rovingTarget(cells, 4, 'ArrowLeft')).toBe(3);
    expect(rovingTarget(cells, 0, 'ArrowLeft')).toBe(0);
    expect(rovingTarget(cells, 7, 'ArrowRight')).toBe(7);
  });
  it('moves up and down to the nearest cell of the next visual row', () => {
    expect(rovingTarget(cells, 1, 'ArrowDown')).toBe(5);
    expect(rovingTarget(cells, 3, 'ArrowDown')).toBe(6);
    expect(rovingTarget(cells, 5, 'ArrowUp')).toBe(1);
    expect(rovingTarget(cells, 6, 'ArrowDown')).toBe(7);
    expect(rovingTarget(cells, 2, 'ArrowUp')).toBe(2);
    expect(rovingTarget(cells, 7, 'ArrowDown')).toBe(7);
  });
  it('jumps home and end; an empty grid has no target', () => {
    expect(rovingTarget(cells, 5, 'Home')).toBe(0);
    expect(rovingTarget(cells, 5, 'End')).toBe(7);
    expect(rovingTarget([], 0, 'End')).toBe(-1);
  });
  it('knows its keys', () => {
    expect(['ArrowUp', 'Home', 'Enter', 'a'].map(isRovingKey)).toEqual([true, true, false, false]);
  });
});
