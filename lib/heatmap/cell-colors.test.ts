import { describe, expect, it } from 'vitest';
import { CellState, cellState, contrast, DIM_KEEP, matrixCellColor, mix, STATE_LABELS, statePalette, textOn, withDimmed } from './cell-colors';
import { palette } from './vm-colors';

describe('cellState', () => {
  it('names a vCPU cell by what the history and its pin say; stale wins, an old observation is not judged', () => {
    expect(cellState(true, [2, 3], 3, false)).toBe(CellState.ON_PIN);
    expect(cellState(true, [2, 3], 5, false)).toBe(CellState.OFF_PIN);
    expect(cellState(true, [2, 3], 3, true)).toBe(CellState.OFF_PIN); // an off-pin violation at that tick
    expect(cellState(true, null, 5, false)).toBe(CellState.UNPINNED);
    expect(cellState(false, [2], 5, true)).toBe(CellState.STALE);
  });
  it('has a label and a colour per state in both themes, all distinct', () => {
    for (const theme of ['dark', 'light'] as const) {
      const p = statePalette(theme);
      expect(p).toHaveLength(STATE_LABELS.length);
      expect(new Set(p).size).toBe(p.length);
    }
  });
});

describe('matrixCellColor', () => {
  it('is the VM colour, or by state on pin / off pin / unpinned, dimmed by the offset', () => {
    expect(matrixCellColor(false, true, true, 7, 0)).toBe(7);
    expect(matrixCellColor(false, true, false, 7, 12)).toBe(19);
    expect(matrixCellColor(true, true, true, 7, 0)).toBe(CellState.ON_PIN);
    expect(matrixCellColor(true, true, false, 7, 0)).toBe(CellState.OFF_PIN);
    expect(matrixCellColor(true, false, false, 7, 5)).toBe(CellState.UNPINNED + 5);
  });
});

describe('dimming', () => {
  it('mixes a colour into the background, keeping DIM_KEEP of it', () => {
    expect(mix('#ff0000', '#000000', 0.5)).toBe('#800000');
    expect(mix('#ffffff', '#000000', DIM_KEEP)).toBe('#474747');
    expect(() => mix('not a colour', '#000', 0.5)).toThrow(/cannot mix/);
  });
  it('appends the dimmed copy of a palette: colour i dimmed is at n + i, close to the background', () => {
    const p = palette('dark');
    const d = withDimmed(p, '#0f172a');
    expect(d).toHaveLength(2 * p.length);
    expect(d.slice(0, p.length)).toEqual(p);
    p.forEach((c, i) => {
      const dim = d[p.length + i] ?? '';
      expect(contrast(dim, '#0f172a')).toBeLessThan(contrast(c, '#0f172a'));
      expect(dim).not.toBe(c);
    });
  });
});

describe('text on cell colours', () => {
  it('computes WCAG contrast', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#777777')).toBeCloseTo(1, 5);
    expect(contrast('#000000', '#332288')).toBeCloseTo(1.72, 1); // the light theme's black on indigo
  });
  it('picks the text colour with at least 4.5:1 on every palette colour, dimmed or not, in both themes', () => {
    for (const [theme, bg] of [
      ['dark', '#0f172a'],
      ['light', '#ffffff'],
    ] as const) {
      for (const c of [...withDimmed(palette(theme), bg), ...withDimmed(statePalette(theme), bg)]) {
        expect(contrast(textOn(c), c), `${theme} ${c}`).toBeGreaterThanOrEqual(4.5);
      }
    }
    expect(textOn('#332288')).toBe('#ffffff');
    expect(textOn('#F0E442')).toBe('#000000');
  });
});
