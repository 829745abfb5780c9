import { describe, expect, it } from 'vitest';
import { drawCells, type Ctx2D, type PathLike } from './canvas-renderer';
import { history, offPin, topology } from '../../test/support/history-builder';
import { timelineCells, type TimelineCells } from './timeline-cells';

class FakePath implements PathLike {
  readonly rects: [number, number, number, number][] = [];
  rect(x: number, y: number, w: number, h: number): void {
    this.rects.push([x, y, w, h]);
  }
}

interface Call {
  op: 'fill' | 'stroke' | 'clear';
  style?: string;
  alpha?: number;
  lineWidth?: number;
  rects?: [number, number, number, number][];
}

class FakeCtx implements Ctx2D<FakePath> {
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  globalAlpha = 1;
  readonly calls: Call[] = [];
  clearRect(): void {
    this.calls.push({ op: 'clear' });
  }
  fill(path: FakePath): void {
    this.calls.push({ op: 'fill', style: String(this.fillStyle), alpha: this.globalAlpha, rects: path.rects });
  }
  stroke(path: FakePath): void {
    this.calls.push({ op: 'stroke', style: String(this.strokeStyle), lineWidth: this.lineWidth, rects: path.rects });
  }
}

// Compile-time check: the real canvas context fits Ctx2D<Path2D>.
export const realContextFits = (c: CanvasRenderingContext2D): Ctx2D<Path2D> => c;

const PALETTE = ['#c0', '#c1', '#c2', '#c3'];
const colorOf = (vm: string): number => ({ a: 0, b: 1, c: 2 })[vm] ?? 3;
const opts = { makePath: () => new FakePath(), width: 40, height: 40 };

function cellsOf(...threads: Parameters<typeof history>): TimelineCells {
  return timelineCells(history(...threads), topology(1, 4), { width: 40, height: 40, x0: 0, x1: 4 }, colorOf);
}

describe('drawCells', () => {
  it('fills once per distinct colour in view, with every cell of that colour in its path', () => {
    const cells = cellsOf([
      { vm: 'a', tid: 1, pcpu: [0, 0, 0, 0] },
      { vm: 'a', tid: 2, pcpu: [1, 1, 1, 1] },
      { vm: 'b', tid: 3, pcpu: [2, 2, 2, 2] },
      { vm: 'c', tid: 4, pcpu: [3, null, null, null] },
    ]);
    const ctx = new FakeCtx();
    const stats = drawCells(ctx, cells, PALETTE, opts);
    const fills = ctx.calls.filter((c) => c.op === 'fill');
    expect(fills.map((f) => f.style)).toEqual(['#c0', '#c1', '#c2']);
    expect(fills.map((f) => f.rects?.length)).toEqual([8, 4, 1]);
    expect(ctx.calls[0]?.op).toBe('clear');
    expect(ctx.calls.some((c) => c.op === 'stroke')).toBe(false);
    expect(stats).toEqual({ drawn: 13, fills: 3, strokes: 0 });
  });

  it('draws stale cells in a separate, translucent batch of the same colour', () => {
    const cells = cellsOf([{ vm: 'a', tid: 1, pcpu: [0, 0, 0], ran: [1, 0, 1] }]);
    const ctx = new FakeCtx();
    drawCells(ctx, cells, PALETTE, { ...opts, staleAlpha: 0.5 });
    const fills = ctx.calls.filter((c) => c.op === 'fill');
    expect(fills.map((f) => [f.style, f.alpha, f.rects?.length])).toEqual([
      ['#c0', 1, 2],
      ['#c0', 0.5, 1],
    ]);
    expect(ctx.globalAlpha).toBe(1);
  });

  it('strokes violation cells as one outline batch, inside the cell', () => {
    const cells = cellsOf([{ vm: 'a', tid: 1, pcpu: [0, 0, 0, 0] }], [offPin('a', 1, 1, 2)]);
    const ctx = new FakeCtx();
    const stats = drawCells(ctx, cells, PALETTE, { ...opts, violationColor: '#f00', violationWidth: 2 });
    const strokes = ctx.calls.filter((c) => c.op === 'stroke');
    expect(strokes).toEqual([{ op: 'stroke', style: '#f00', lineWidth: 2, rects: [[11, 1, 8, 8], [21, 1, 8, 8]] }]);
    expect(ctx.calls.at(-1)?.op).toBe('stroke'); // outlines on top of the fills
    expect(stats.strokes).toBe(1);
  });

  it('does not draw cells outside the drawing area', () => {
    const cells = cellsOf([{ vm: 'a', tid: 1, pcpu: [0, 0, 0, 0] }, { vm: 'b', tid: 2, pcpu: [3, 3, 3, 3] }]);
    const ctx = new FakeCtx();
    // Only the left half and the top quarter are visible: two cells of VM a, none of b.
    const stats = drawCells(ctx, cells, PALETTE, { ...opts, width: 20, height: 10 });
    const fills = ctx.calls.filter((c) => c.op === 'fill');
    expect(fills.map((f) => [f.style, f.rects])).toEqual([['#c0', [[0, 0, 10, 10], [10, 0, 10, 10]]]]);
    expect(stats.drawn).toBe(2);
  });

  it('does not draw ticks outside the viewport the cells were built for', () => {
    const h = history([{ vm: 'a', tid: 1, pcpu: [0, 1, 2, 3, 0, 1, 2, 3] }]);
    const cells = timelineCells(h, topology(1, 4), { width: 40, height: 40, x0: 6, x1: 8 }, colorOf);
    const ctx = new FakeCtx();
    drawCells(ctx, cells, PALETTE, opts);
    expect(ctx.calls.filter((c) => c.op === 'fill').flatMap((f) => f.rects)).toEqual([
      [0, 20, 20, 10],
      [20, 30, 20, 10],
    ]);
  });

  it('rejects a palette too short for the cells', () => {
    const cells = cellsOf([{ vm: 'c', tid: 1, pcpu: [0] }]);
    expect(() => drawCells(new FakeCtx(), cells, ['#c0'], opts)).toThrow(/colour index 2/);
  });
});
