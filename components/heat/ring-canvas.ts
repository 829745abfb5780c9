// The cell layer of a live heatmap. Zoomed out, cells are written as pixels (drawCellsToPixels)
// into an offscreen ring of 1-px columns (lib/heatmap/column-ring.ts): a new tick draws one
// column, a redraw copies the visible columns (one or two drawImage calls) and the caller outlines
// the violation cells at display scale from `violations`. Zoomed in (wide columns, few cells), the
// visible cells are drawn at display scale by the path renderer (drawCells), outlines included.
// Imperative and free of React; the wrapper (heat-canvas.tsx) decides when to rebuild and draw.
import { drawCells } from '@/lib/heatmap/canvas-renderer';
import { ringCapacity, ringSegments } from '@/lib/heatmap/column-ring';
import { drawCellsToPixels, paletteBytes } from '@/lib/heatmap/pixel-renderer';
import { CellFlag, type TimelineCells } from '@/lib/heatmap/timeline-cells';
import type { ColumnView } from '@/lib/heatmap/viewport';
import type { History } from '@/lib/api/history';

/** Cells for history ticks [x0, x1) laid out in width x height px (1 px per column here). */
export type Geometry = (h: History, x0: number, x1: number, width: number, height: number) => TimelineCells;

/** What a ring is built for: a new one is made when any of these changes. */
export interface RingConfig {
  readonly epoch: number; // of the live history: a new history redraws every column
  readonly rows: number;
  readonly rowHeight: number; // display px per row
  readonly configKey: string; // colours, row order, highlight
  readonly palette: readonly string[];
  readonly columns: number; // ticks in the history now (the ring grows to hold them)
}

/** Zoomed in this far (device px per tick) with at most this many cells, cells are drawn at display scale. */
const EXACT_MIN_COL_PX = 6;
const EXACT_MAX_CELLS = 20_000;

/** Columns per chunk of a full redraw: about 40k cells per animation frame. */
export function chunkColumns(rows: number): number {
  return Math.max(8, Math.floor(40_000 / Math.max(1, rows)));
}

/** Offscreen px per row: up to 8, so that short rows keep their seams when scaled up. */
function ringRowPx(rows: number, rowHeight: number): number {
  return Math.max(1, rows * Math.max(1, Math.min(8, Math.ceil(rowHeight))));
}

export class RingCanvas {
  readonly cap: number;
  readonly offH: number;
  /** Columns [.., drawnTo) are in the ring (absolute column numbers). */
  drawnTo: number;
  /** Absolute column -> rows with a violation cell. */
  readonly violations = new Map<number, number[]>();
  private readonly off: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly bytes: Uint8Array;

  private constructor(
    readonly config: RingConfig,
    off: HTMLCanvasElement,
    ctx: CanvasRenderingContext2D,
    base: number,
  ) {
    this.cap = off.width;
    this.offH = off.height;
    this.off = off;
    this.ctx = ctx;
    this.bytes = paletteBytes(config.palette);
    this.drawnTo = base;
  }

  /** Whether `next` needs a new ring (or the ring is too small for its columns). */
  fits(next: RingConfig): boolean {
    const c = this.config;
    return (
      c.epoch === next.epoch &&
      c.rows === next.rows &&
      c.configKey === next.configKey &&
      next.columns <= this.cap &&
      this.offH === ringRowPx(next.rows, next.rowHeight)
    );
  }

  /** A new, empty ring for `config`, reusing the offscreen canvas of `prev` when it has the same size. Null without a 2D context. */
  static build(config: RingConfig, base: number, prev: RingCanvas | null): RingCanvas | null {
    const cap = ringCapacity(config.columns);
    const offH = ringRowPx(config.rows, config.rowHeight);
    const off = prev !== null && prev.cap === cap && prev.offH === offH ? prev.off : document.createElement('canvas');
    off.width = cap;
    off.height = offH;
    const ctx = off.getContext('2d');
    if (ctx === null) return null;
    return new RingCanvas(config, off, ctx, base);
  }

  /** Draws columns [from, to) (absolute) of `history` (its tick 0 is column `base`) into the ring. */
  drawColumns(geometry: Geometry, history: History, base: number, from: number, to: number): void {
    for (const seg of ringSegments(this.cap, from, to - from)) {
      const i0 = from - base + seg.dst;
      const cells = geometry(history, i0, i0 + seg.len, seg.len, this.offH);
      // 1-px columns: pixels written directly beat paths (putImageData also clears what was there).
      const img = this.ctx.createImageData(seg.len, this.offH);
      drawCellsToPixels(img, cells, this.bytes);
      this.ctx.putImageData(img, seg.src, 0);
      for (let a = from + seg.dst; a < from + seg.dst + seg.len; a++) this.violations.delete(a);
      for (let k = 0; cells.violationCount > 0 && k < cells.count; k++) {
        if (((cells.flags[k] ?? 0) & CellFlag.VIOLATION) === 0) continue;
        const abs = base + (cells.tick[k] ?? 0);
        const list = this.violations.get(abs) ?? [];
        list.push(cells.row[k] ?? 0);
        this.violations.set(abs, list);
      }
    }
    for (const abs of this.violations.keys()) if (abs < base || abs < to - this.cap) this.violations.delete(abs);
  }

  /**
   * Draws the cells of `view` (columns past drawnTo stay empty) onto `ctx`, W x H device px with
   * colW x rowH px per cell. Returns true when it drew exact cells at display scale (outlines
   * included), false when it copied the ring (the caller outlines `violations`).
   */
  blit(
    ctx: CanvasRenderingContext2D,
    view: ColumnView,
    draw: { readonly W: number; readonly H: number; readonly colW: number; readonly dpr: number; readonly markColor: string },
    geometry: Geometry,
    history: History,
    base: number,
  ): boolean {
    const a0 = view.a0;
    const a1 = Math.min(view.a1, this.drawnTo);
    const { W, H, colW, dpr } = draw;
    if (colW >= EXACT_MIN_COL_PX * dpr && (a1 - a0) * this.config.rows <= EXACT_MAX_CELLS) {
      if (a1 <= a0) return true;
      const cells = geometry(history, a0 - base, a1 - base, (a1 - a0) * colW, H);
      drawCells(ctx, cells, this.config.palette, { makePath: () => new Path2D(), width: W, height: H, clear: false, violationColor: draw.markColor, violationWidth: Math.max(1, 2 * dpr) });
      return true;
    }
    for (const seg of ringSegments(this.cap, a0, Math.max(0, a1 - a0))) {
      ctx.drawImage(this.off, seg.src, 0, seg.len, this.offH, seg.dst * colW, 0, seg.len * colW, H);
    }
    return false;
  }
}
