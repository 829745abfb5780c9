// What a heatmap draws over its cells, at display scale: violation outlines (zoomed out; zoomed
// in, the path renderer outlines them itself), band lines between sockets and NUMA nodes, column
// marks (a dashed line and a ▼, e.g. hot-plugs), the selected row, the keyboard cursor and the
// brush of a drag. Each function sets every style it uses, so the order of calls does not matter.
// The context is the slice of CanvasRenderingContext2D they need: tests pass a recording fake.

export type OverlayCtx = Pick<
  CanvasRenderingContext2D,
  'fillStyle' | 'strokeStyle' | 'lineWidth' | 'globalAlpha' | 'beginPath' | 'moveTo' | 'lineTo' | 'closePath' | 'rect' | 'stroke' | 'fill' | 'strokeRect' | 'fillRect' | 'save' | 'restore' | 'setLineDash'
>;

/** The drawn area in device px and the columns it shows: [a0, a1) absolute, colW x rowH px per cell. */
export interface OverlayFrame {
  readonly width: number;
  readonly height: number;
  readonly a0: number;
  readonly a1: number;
  readonly colW: number;
  readonly rowH: number;
  readonly dpr: number;
}

/** Outlines the cells of `violations` (absolute column -> rows) in view, below column `drawnTo`. */
export function drawViolationOutlines(ctx: OverlayCtx, f: OverlayFrame, violations: ReadonlyMap<number, readonly number[]>, drawnTo: number, color: string): void {
  const a1 = Math.min(f.a1, drawnTo);
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(1, Math.min(2 * f.dpr, f.colW / 3, f.rowH / 3));
  const lw = ctx.lineWidth;
  ctx.beginPath();
  for (const [abs, rows] of violations) {
    if (abs < f.a0 || abs >= a1) continue;
    const x = (abs - f.a0) * f.colW;
    for (const r of rows) ctx.rect(x + lw / 2, r * f.rowH + lw / 2, Math.max(1, f.colW - lw), Math.max(1, f.rowH - lw));
  }
  ctx.stroke();
}

/** A thin line across the heatmap above each row in `rows` (the first row of a socket or node). */
export function drawRowBands(ctx: OverlayCtx, f: OverlayFrame, rows: readonly number[], color: string): void {
  if (rows.length === 0) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(1, f.dpr);
  ctx.beginPath();
  for (const r of rows) {
    if (r <= 0) continue;
    const y = Math.round(r * f.rowH) + 0.5;
    ctx.moveTo(0, y);
    ctx.lineTo(f.width, y);
  }
  ctx.stroke();
}

/** A dashed vertical line and a ▼ at each absolute column of `marks` in view. */
export function drawColumnMarks(ctx: OverlayCtx, f: OverlayFrame, marks: readonly number[], color: string): void {
  if (marks.length === 0) return;
  ctx.save();
  ctx.setLineDash([4 * f.dpr, 3 * f.dpr]);
  ctx.lineWidth = Math.max(1, f.dpr);
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  for (const abs of marks) {
    if (abs < f.a0 || abs >= f.a1) continue;
    const x = Math.round((abs - f.a0) * f.colW) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, f.height);
    ctx.stroke();
    const s = 5 * f.dpr;
    ctx.beginPath();
    ctx.moveTo(x - s, 0);
    ctx.lineTo(x + s, 0);
    ctx.lineTo(x, s * 1.4);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

/** An outline around a whole row. */
export function drawSelectedRow(ctx: OverlayCtx, f: OverlayFrame, row: number, color: string): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(1, f.dpr);
  ctx.strokeRect(0.5, row * f.rowH + 0.5, f.width - 1, Math.max(1, f.rowH - 1));
}

/** A thick outline around the cursor's cell, when it is in view. */
export function drawCursor(ctx: OverlayCtx, f: OverlayFrame, cursor: { readonly abs: number; readonly row: number }, color: string): void {
  if (cursor.abs < f.a0 || cursor.abs >= f.a1) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2 * f.dpr;
  ctx.strokeRect((cursor.abs - f.a0) * f.colW, cursor.row * f.rowH, Math.max(2, f.colW), Math.max(2, f.rowH));
}

/** The columns a drag covers so far (both ends included), shaded. */
export function drawBrush(ctx: OverlayCtx, f: OverlayFrame, brush: { readonly from: number; readonly to: number }, color: string): void {
  const lo = Math.min(brush.from, brush.to);
  const hi = Math.max(brush.from, brush.to) + 1;
  ctx.globalAlpha = 0.25;
  ctx.fillStyle = color;
  ctx.fillRect((lo - f.a0) * f.colW, 0, (hi - lo) * f.colW, f.height);
  ctx.globalAlpha = 1;
}
