// Draws TimelineCells on a 2D canvas, batched by colour (STYLE 6): one path and one fill per
// (colour, stale) batch, one stroke for all violation outlines. The canvas API is injected as the
// minimal Ctx2D below, so tests pass a recording fake and the browser passes the real context.
import { CellFlag, type TimelineCells } from './timeline-cells';

/** What the renderer needs of a Path2D. */
export interface PathLike {
  rect(x: number, y: number, w: number, h: number): void;
}

/** The canvas methods the renderer uses; CanvasRenderingContext2D satisfies Ctx2D<Path2D>. */
export interface Ctx2D<P extends PathLike> {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  globalAlpha: number;
  clearRect(x: number, y: number, w: number, h: number): void;
  fill(path: P): void;
  stroke(path: P): void;
}

export interface DrawOptions<P extends PathLike> {
  readonly makePath: () => P; // browser: () => new Path2D()
  /** Drawing area in px; cells wholly outside 0..width x 0..height are skipped. */
  readonly width: number;
  readonly height: number;
  /** Clear the area first (default true). */
  readonly clear?: boolean;
  /** Alpha of stale cells (ran = 0), default 0.35. */
  readonly staleAlpha?: number;
  /** Outline of violation cells, default '#ff0000' and 1.5 px (drawn inside the cell). */
  readonly violationColor?: string;
  /** Outline violation cells (default true); off when the caller draws its own markers at another scale. */
  readonly outlineViolations?: boolean;
  readonly violationWidth?: number;
}

export interface DrawStats {
  readonly drawn: number; // cells drawn
  readonly fills: number;
  readonly strokes: number;
}

/** Draws the cells; `paletteColors[cells.color[i]]` is each cell's fill. Throws if a colour index has no colour. */
export function drawCells<P extends PathLike>(
  ctx: Ctx2D<P>,
  cells: TimelineCells,
  paletteColors: readonly string[],
  opts: DrawOptions<P>,
): DrawStats {
  const nColors = paletteColors.length;
  const lw = opts.violationWidth ?? 1.5;
  // Batches: index color for ran cells, nColors + color for stale ones.
  const batches: (P | undefined)[] = new Array<P | undefined>(2 * nColors);
  let outline: P | undefined;
  let drawn = 0;
  for (let i = 0; i < cells.count; i++) {
    const x = cells.x[i] ?? 0;
    const y = cells.y[i] ?? 0;
    const w = cells.w[i] ?? 0;
    const h = cells.h[i] ?? 0;
    if (x >= opts.width || y >= opts.height || x + w <= 0 || y + h <= 0) continue;
    const c = cells.color[i] ?? 0;
    if (c >= nColors) throw new Error(`drawCells: colour index ${c} has no colour (palette of ${nColors}); pass the palette the cells were built for`);
    const f = cells.flags[i] ?? 0;
    const b = (f & CellFlag.STALE) !== 0 ? nColors + c : c;
    let path = batches[b];
    if (path === undefined) {
      path = opts.makePath();
      batches[b] = path;
    }
    path.rect(x, y, w, h);
    if ((f & CellFlag.VIOLATION) !== 0 && (opts.outlineViolations ?? true)) {
      outline ??= opts.makePath();
      outline.rect(x + lw / 2, y + lw / 2, Math.max(0, w - lw), Math.max(0, h - lw));
    }
    drawn++;
  }

  if (opts.clear ?? true) ctx.clearRect(0, 0, opts.width, opts.height);
  let fills = 0;
  const alpha = ctx.globalAlpha;
  for (let b = 0; b < batches.length; b++) {
    const path = batches[b];
    if (path === undefined) continue;
    ctx.globalAlpha = b < nColors ? alpha : alpha * (opts.staleAlpha ?? 0.35);
    ctx.fillStyle = paletteColors[b % nColors] ?? '#000';
    ctx.fill(path);
    fills++;
  }
  ctx.globalAlpha = alpha;
  let strokes = 0;
  if (outline !== undefined) {
    ctx.strokeStyle = opts.violationColor ?? '#ff0000';
    ctx.lineWidth = lw;
    ctx.stroke(outline);
    strokes++;
  }
  return { drawn, fills, strokes };
}
