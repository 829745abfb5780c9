// Collects the cells of a heatmap column by column into typed arrays (STYLE 7) and hands them over
// as TimelineCells. The host and the VM timelines differ only in which thread fills a cell and
// with what colour; the grid, the pixel snapping and the layout of the result are here, once.
import { scaleLinear } from 'd3-scale';
import type { TimelineCells, Viewport } from './timeline-cells';

export class CellBuilder {
  /** Pixel offsets: column c spans colX[c]..colX[c+1]; row r spans rowY[r]..rowY[r+1]. */
  readonly colX: Float32Array;
  readonly rowY: Float32Array;
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly w: Float32Array;
  private readonly h: Float32Array;
  private readonly color: Uint16Array;
  private readonly flags: Uint8Array;
  private readonly tick: Uint32Array;
  private readonly row: Uint32Array;
  private readonly thread: Uint32Array;
  private readonly colStart: Uint32Array;
  private n = 0;
  private cx = 0;
  private cw = 1;
  private t = 0;

  /** `capacity`: the most cells the columns can hold (columns x rows that can be filled). */
  constructor(
    private readonly vp: Viewport,
    private readonly nRows: number,
    capacity: number,
  ) {
    const nCols = vp.x1 - vp.x0;
    const xs = scaleLinear().domain([0, nCols]).range([0, vp.width]);
    const ys = scaleLinear().domain([0, Math.max(1, nRows)]).range([0, vp.height]);
    this.colX = Float32Array.from({ length: nCols + 1 }, (_, c) => xs(c));
    this.rowY = Float32Array.from({ length: nRows + 1 }, (_, r) => ys(r));
    this.x = new Float32Array(capacity);
    this.y = new Float32Array(capacity);
    this.w = new Float32Array(capacity);
    this.h = new Float32Array(capacity);
    this.color = new Uint16Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.tick = new Uint32Array(capacity);
    this.row = new Uint32Array(capacity);
    this.thread = new Uint32Array(capacity);
    this.colStart = new Uint32Array(nCols + 1);
  }

  /** Starts column c (tick vp.x0 + c); columns must come in order, each once. */
  column(c: number): void {
    this.colStart[c] = this.n;
    this.t = this.vp.x0 + c;
    // Snapped outwards to whole pixels so that adjacent cells leave no seams.
    this.cx = Math.floor(this.colX[c] ?? 0);
    this.cw = Math.max(1, Math.ceil(this.colX[c + 1] ?? 0) - this.cx);
  }

  /** A cell of the current column in row r, rows ascending. */
  cell(r: number, color: number, flags: number, thread: number): void {
    const n = this.n;
    const ry = Math.floor(this.rowY[r] ?? 0);
    this.x[n] = this.cx;
    this.w[n] = this.cw;
    this.y[n] = ry;
    this.h[n] = Math.max(1, Math.ceil(this.rowY[r + 1] ?? 0) - ry);
    this.color[n] = color;
    this.flags[n] = flags;
    this.tick[n] = this.t;
    this.row[n] = r;
    this.thread[n] = thread;
    this.n = n + 1;
  }

  finish(rowKeys: readonly number[]): TimelineCells {
    const n = this.n;
    this.colStart[this.vp.x1 - this.vp.x0] = n;
    return {
      count: n,
      x: this.x.subarray(0, n),
      y: this.y.subarray(0, n),
      w: this.w.subarray(0, n),
      h: this.h.subarray(0, n),
      color: this.color.subarray(0, n),
      flags: this.flags.subarray(0, n),
      tick: this.tick.subarray(0, n),
      row: this.row.subarray(0, n),
      thread: this.thread.subarray(0, n),
      rowKeys,
      viewport: this.vp,
      colX: this.colX,
      rowY: this.rowY,
      colStart: this.colStart,
    };
  }
}
