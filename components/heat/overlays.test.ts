import { describe, expect, it } from 'vitest';
import { drawBrush, drawColumnMarks, drawCursor, drawRowBands, drawSelectedRow, drawViolationOutlines, type OverlayCtx, type OverlayFrame } from './overlays';

/** Records every drawing call with the styles in force at the time. */
class RecordingCtx implements OverlayCtx {
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  globalAlpha = 1;
  readonly calls: string[] = [];
  private log(op: string, args: readonly unknown[], style: string) {
    this.calls.push(`${op}(${args.map((a) => (typeof a === 'number' ? +a.toFixed(2) : String(a))).join(',')})${style}`);
  }
  beginPath(): void {
    this.log('beginPath', [], '');
  }
  moveTo(x: number, y: number): void {
    this.log('moveTo', [x, y], '');
  }
  lineTo(x: number, y: number): void {
    this.log('lineTo', [x, y], '');
  }
  closePath(): void {
    this.log('closePath', [], '');
  }
  rect(x: number, y: number, w: number, h: number): void {
    this.log('rect', [x, y, w, h], '');
  }
  stroke(): void {
    this.log('stroke', [], ` ${String(this.strokeStyle)} lw${this.lineWidth}`);
  }
  fill(): void {
    this.log('fill', [], ` ${String(this.fillStyle)}`);
  }
  strokeRect(x: number, y: number, w: number, h: number): void {
    this.log('strokeRect', [x, y, w, h], ` ${String(this.strokeStyle)} lw${this.lineWidth}`);
  }
  fillRect(x: number, y: number, w: number, h: number): void {
    this.log('fillRect', [x, y, w, h], ` ${String(this.fillStyle)} a${this.globalAlpha}`);
  }
  save(): void {
    this.log('save', [], '');
  }
  restore(): void {
    this.log('restore', [], '');
  }
  setLineDash(d: number[]): void {
    this.log('setLineDash', d, '');
  }
}

// 10 columns from absolute 100 over 200 px (20 px each), rows of 8 px, at dpr 1.
const F: OverlayFrame = { width: 200, height: 32, a0: 100, a1: 110, colW: 20, rowH: 8, dpr: 1 };

describe('overlays', () => {
  it('outlines violation cells in view and drawn only, inside the cell, in one stroke', () => {
    const ctx = new RecordingCtx();
    drawViolationOutlines(ctx, F, new Map([[99, [0]], [101, [1, 3]], [108, [2]], [109, [0]]]), 109, '#fff');
    const lw = 2; // min(2 * dpr, colW / 3, rowH / 3) = min(2, 6.67, 2.67)
    expect(ctx.calls).toEqual(['beginPath()', `rect(${20 + lw / 2},${8 + lw / 2},${20 - lw},${8 - lw})`, `rect(21,25,18,6)`, `rect(161,17,18,6)`, 'stroke() #fff lw2']);
  });

  it('draws a band line above every band row but the first', () => {
    const ctx = new RecordingCtx();
    drawRowBands(ctx, F, [0, 2], '#888');
    expect(ctx.calls).toEqual(['beginPath()', 'moveTo(0,16.5)', 'lineTo(200,16.5)', 'stroke() #888 lw1']);
    const none = new RecordingCtx();
    drawRowBands(none, F, [], '#888');
    expect(none.calls).toEqual([]);
  });

  it('marks columns in view with a dashed line and a triangle, restoring the dash', () => {
    const ctx = new RecordingCtx();
    drawColumnMarks(ctx, F, [90, 102], '#fff');
    expect(ctx.calls[0]).toBe('save()');
    expect(ctx.calls).toContain('moveTo(40.5,0)');
    expect(ctx.calls).toContain('lineTo(40.5,32)');
    expect(ctx.calls.filter((c) => c.startsWith('fill()'))).toEqual(['fill() #fff']);
    expect(ctx.calls[ctx.calls.length - 1]).toBe('restore()');
  });

  it('outlines the selected row and the cursor (in view only), each in the mark colour', () => {
    const ctx = new RecordingCtx();
    ctx.strokeStyle = '#123'; // left over from earlier drawing: must not leak in
    drawSelectedRow(ctx, F, 2, '#fff');
    drawCursor(ctx, F, { abs: 103, row: 1 }, '#fff');
    drawCursor(ctx, F, { abs: 120, row: 1 }, '#fff');
    expect(ctx.calls).toEqual(['strokeRect(0.5,16.5,199,7) #fff lw1', 'strokeRect(60,8,20,8) #fff lw2']);
  });

  it('shades the columns of a drag, both ends included, whichever way it goes', () => {
    const ctx = new RecordingCtx();
    drawBrush(ctx, F, { from: 105, to: 102 }, '#fff');
    expect(ctx.calls).toEqual(['fillRect(40,0,80,32) #fff a0.25']);
    expect(ctx.globalAlpha).toBe(1);
  });
});
