import { describe, expect, it } from 'vitest';
import { history, topology } from '../../test/support/history-builder';
import { timelineCells } from './timeline-cells';
import {
  brushTicks,
  cellAtPoint,
  cellCentre,
  heatKey,
  MIN_SPAN,
  panColumns,
  threadInRow,
  viewOfTimes,
  viewTimes,
  visibleColumns,
  zoomColumns,
  zoomSpan,
} from './viewport';

const range = { base: 100, count: 60 }; // absolute columns 100..159

describe('visibleColumns', () => {
  it('shows every column unzoomed', () => {
    expect(visibleColumns(range, null)).toEqual({ a0: 100, a1: 160 });
  });
  it('keeps a zoomed view inside the columns there are, with its width', () => {
    expect(visibleColumns(range, { a0: 120, a1: 130 })).toEqual({ a0: 120, a1: 130 });
    expect(visibleColumns(range, { a0: 90, a1: 100 })).toEqual({ a0: 100, a1: 110 }); // fell off the front (live)
    expect(visibleColumns(range, { a0: 155, a1: 165 })).toEqual({ a0: 150, a1: 160 });
    expect(visibleColumns(range, { a0: 0, a1: 500 })).toEqual({ a0: 100, a1: 160 });
  });
});

describe('zoomColumns and panColumns', () => {
  it('zooms in around a centre column, keeping it at the same place', () => {
    const z = zoomColumns(range, null, 0.5, 130);
    expect(z).toEqual({ a0: 115, a1: 145 });
    expect(zoomColumns(range, z, 0.5, 115)).toEqual({ a0: 115, a1: 130 });
  });
  it('zooms around the middle without a centre, never narrower than MIN_SPAN, and back out to null', () => {
    expect(zoomColumns(range, { a0: 120, a1: 126 }, 0.1, null)).toEqual({ a0: 121, a1: 121 + MIN_SPAN });
    expect(zoomColumns(range, { a0: 120, a1: 140 }, 2, null)).toEqual({ a0: 110, a1: 150 });
    expect(zoomColumns(range, { a0: 120, a1: 140 }, 4, null)).toBeNull();
  });
  it('keeps a zoom at the edge inside the columns', () => {
    expect(zoomColumns(range, null, 0.5, 159)).toEqual({ a0: 130, a1: 160 });
  });
  it('pans a zoomed view and stops at the ends; an unzoomed view does not pan', () => {
    expect(panColumns(range, { a0: 120, a1: 130 }, 5)).toEqual({ a0: 125, a1: 135 });
    expect(panColumns(range, { a0: 120, a1: 130 }, -50)).toEqual({ a0: 100, a1: 110 });
    expect(panColumns(range, { a0: 120, a1: 130 }, 50)).toEqual({ a0: 150, a1: 160 });
    expect(panColumns(range, null, 5)).toBeNull();
  });
});

describe('hit-testing', () => {
  const view = { a0: 100, a1: 110 }; // 10 columns over 200 px: 20 px each
  it('maps a point to its column (clamped to the view) and row', () => {
    expect(cellAtPoint(view, 200, 8, 0, 0)).toEqual({ abs: 100, row: 0 });
    expect(cellAtPoint(view, 200, 8, 39.9, 15.9)).toEqual({ abs: 101, row: 1 });
    expect(cellAtPoint(view, 200, 8, 250, 8)).toEqual({ abs: 109, row: 1 });
    expect(cellAtPoint(view, 200, 8, -5, 8)).toEqual({ abs: 100, row: 1 });
  });
  it('gives the centre of a cell for a tooltip', () => {
    expect(cellCentre(view, 200, 8, { abs: 101, row: 2 })).toEqual({ x: 30, y: 20 });
  });
  it('finds the thread of a row in a one-column geometry, null for an empty cell', () => {
    const h = history([
      { vm: 'a', tid: 1, pcpu: [2] },
      { vm: 'b', tid: 2, pcpu: [0] },
    ]);
    const cells = timelineCells(h, topology(1, 4), { width: 1, height: 4, x0: 0, x1: 1 }, () => 0);
    expect(threadInRow(cells, 2)).toBe(0);
    expect(threadInRow(cells, 0)).toBe(1);
    expect(threadInRow(cells, 1)).toBeNull();
  });
});

describe('heatKey', () => {
  const view = { a0: 100, a1: 110 };
  it('starts the cursor at the newest column, top row, and moves it inside the view', () => {
    expect(heatKey('ArrowLeft', false, null, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 108, row: 0 } });
    expect(heatKey('ArrowRight', false, null, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 109, row: 0 } });
    expect(heatKey('ArrowDown', false, { abs: 105, row: 3 }, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 105, row: 3 } });
    expect(heatKey('ArrowUp', false, { abs: 105, row: 0 }, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 105, row: 0 } });
    expect(heatKey('Home', false, { abs: 105, row: 1 }, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 100, row: 1 } });
    expect(heatKey('End', false, { abs: 105, row: 1 }, view, 4)).toEqual({ kind: 'cursor', cursor: { abs: 109, row: 1 } });
  });
  it('pans with Shift+arrows by a tenth of the view, zooms around the cursor, selects its row, resets on Escape', () => {
    expect(heatKey('ArrowLeft', true, null, { a0: 0, a1: 100 }, 4)).toEqual({ kind: 'pan', columns: -10 });
    expect(heatKey('ArrowRight', true, null, view, 4)).toEqual({ kind: 'pan', columns: 1 });
    expect(heatKey('+', false, { abs: 103, row: 1 }, view, 4)).toEqual({ kind: 'zoom', factor: 0.5, centre: 103 });
    expect(heatKey('=', false, null, view, 4)).toEqual({ kind: 'zoom', factor: 0.5, centre: 109 });
    expect(heatKey('-', false, null, view, 4)).toEqual({ kind: 'zoom', factor: 2, centre: 109 });
    expect(heatKey('Enter', false, { abs: 103, row: 2 }, view, 4)).toEqual({ kind: 'select', row: 2 });
    expect(heatKey(' ', false, null, view, 4)).toEqual({ kind: 'select', row: 0 });
    expect(heatKey('Escape', false, null, view, 4)).toEqual({ kind: 'reset' });
    expect(heatKey('a', false, null, view, 4)).toBeNull();
  });
});

describe('brushTicks', () => {
  it('turns a drag of 3 columns or more into tick indexes, either direction; a click is null', () => {
    expect(brushTicks(110, 112, 100)).toEqual({ x0: 10, x1: 13 });
    expect(brushTicks(112, 110, 100)).toEqual({ x0: 10, x1: 13 });
    expect(brushTicks(110, 111, 100)).toBeNull();
  });
});

describe('zoom as times', () => {
  const ticks = [1000, 2000, 3000, 5000, 6000, 7000, 8000, 9000]; // a gap after 3000
  it('gives the axis span and a URL span that maps back to the same columns', () => {
    const view = { a0: 12, a1: 16 }; // ticks 2..5 of base 10
    expect(viewTimes(ticks, 10, view)).toEqual({ from: 3000, to: 7000 + 8000 / 7 });
    const span = zoomSpan(ticks, 10, view);
    expect(span).toEqual({ from: 3000, to: 8000 });
    expect(span === null ? null : viewOfTimes(ticks, 10, span)).toEqual(view);
    // At the newest column, one step past it.
    const end = zoomSpan(ticks, 10, { a0: 14, a1: 18 });
    expect(end === null ? null : viewOfTimes(ticks, 10, end)).toEqual({ a0: 14, a1: 18 });
  });
  it('answers null for a span with too few ticks or all of them, and for a view out of range', () => {
    expect(viewOfTimes(ticks, 0, { from: 100_000, to: 200_000 })).toBeNull();
    expect(viewOfTimes(ticks, 0, { from: 0, to: 100_000 })).toBeNull();
    expect(viewOfTimes(ticks, 0, { from: 2500, to: 4000 })).toBeNull();
    expect(zoomSpan(ticks, 0, { a0: 5, a1: 20 })).toBeNull();
  });
});
