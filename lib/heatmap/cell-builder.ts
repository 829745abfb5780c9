// Collects the cells of a heatmap column by column into typed arrays (STYLE 7) and hands them over
// as TimelineCells. The host and the VM timelines differ only in which thread fills a cell and
// with what colour; the grid, the pixel snapping and the layout of the result are here, once.
import { scaleLinear } from 'd3-scale';
import { CellFlag, type TimelineCells, type Viewport } from './timeline-cells';

export class CellBuilder {
  /** Pixel offsets: column c spans colX[c]..colX[c+1]; row r spans rowY[r]..rowY[r+1]. */
  readonly colX: Float32Array;
  readonly rowY: Float32Array;
  private x: Float32Array;
  private y: Float32Array;
  private w: Float32Array;
  private h: Float32Array;
  private color: Uint16Array;
  private flags: Uint8Array;
  private tick: Uint32Array;
  private row: Uint32Array;
  private thread: Uint32Array;
  private readonly colStart: Uint32Array;
  private n = 0;
  private violations = 0;
  private cx = 0;
  private cw = 1;
  private t = 0;

  /** `capacity`: the cells expected (columns x rows that can be filled); more grow the arrays. */
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
    this.part(r, 0, 1, color, flags, thread);
  }

  /**
   * The part [f0, f1) (fractions of the row's height, top down) of a cell of the current column in
   * row r: a cell that several tasks shared is its parts, one after the other, rows ascending.
   */
  part(r: number, f0: number, f1: number, color: number, flags: number, thread: number): void {
    const n = this.n;
    if (n >= this.x.length) this.grow();
    const top = this.rowY[r] ?? 0;
    const bottom = this.rowY[r + 1] ?? 0;
    const ry = Math.floor(f0 <= 0 ? top : top + f0 * (bottom - top));
    this.x[n] = this.cx;
    this.w[n] = this.cw;
    this.y[n] = ry;
    this.h[n] = Math.max(1, Math.ceil(f1 >= 1 ? bottom : top + f1 * (bottom - top)) - ry);
    this.color[n] = color;
    this.flags[n] = flags;
    if ((flags & CellFlag.VIOLATION) !== 0) this.violations++;
    this.tick[n] = this.t;
    this.row[n] = r;
    this.thread[n] = thread;
    this.n = n + 1;
  }

  private grow(): void {
    const cap = Math.max(16, this.x.length * 2);
    const more = <A extends Float32Array | Uint16Array | Uint8Array | Uint32Array>(a: A, make: (n: number) => A): A => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.x = more(this.x, (n) => new Float32Array(n));
    this.y = more(this.y, (n) => new Float32Array(n));
    this.w = more(this.w, (n) => new Float32Array(n));
    this.h = more(this.h, (n) => new Float32Array(n));
    this.color = more(this.color, (n) => new Uint16Array(n));
    this.flags = more(this.flags, (n) => new Uint8Array(n));
    this.tick = more(this.tick, (n) => new Uint32Array(n));
    this.row = more(this.row, (n) => new Uint32Array(n));
    this.thread = more(this.thread, (n) => new Uint32Array(n));
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
      violationCount: this.violations,
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
