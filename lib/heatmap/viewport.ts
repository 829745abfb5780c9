// The viewport of a live heatmap, pure: which absolute columns are in view (zoom and pan), which
// cell is under a pointer or the keyboard cursor, what a key or a drag means, and the zoomed view
// as times for the URL. Columns are absolute (column `base + i` is tick i of the history, see
// lib/ui/live-history.ts), so a zoomed view stays on the same ticks while live ones arrive.
import { NO_THREAD, type TimelineCells } from './timeline-cells';

/** Absolute columns [a0, a1). */
export interface ColumnView {
  readonly a0: number;
  readonly a1: number;
}

/** The columns a heatmap has: [base, base + count). */
export interface ColumnRange {
  readonly base: number;
  readonly count: number;
}

/** The keyboard cursor: an absolute column and a row. */
export interface HeatCursor {
  readonly abs: number;
  readonly row: number;
}

/** The narrowest zoom, in columns. */
export const MIN_SPAN = 4;

/** The columns in view: the zoomed view (null: all of them) kept inside the range, its width kept. */
export function visibleColumns(range: ColumnRange, zoom: ColumnView | null): ColumnView {
  const end = range.base + range.count;
  if (zoom === null) return { a0: range.base, a1: end };
  const span = Math.min(zoom.a1 - zoom.a0, range.count);
  const a0 = Math.max(range.base, Math.min(zoom.a0, end - span));
  return { a0, a1: a0 + span };
}

/**
 * The view after zooming by `factor` (< 1 zooms in) around the absolute column `centre` (default
 * the middle of the view); null when the new view would show every column.
 */
export function zoomColumns(range: ColumnRange, zoom: ColumnView | null, factor: number, centre: number | null): ColumnView | null {
  const { a0, a1 } = visibleColumns(range, zoom);
  const span = a1 - a0;
  const n = range.count;
  const newSpan = Math.max(MIN_SPAN, Math.min(n, Math.round(span * factor)));
  if (newSpan >= n) return null;
  const c = centre ?? (a0 + a1) / 2;
  const start = Math.round(c - ((c - a0) / Math.max(1, span)) * newSpan);
  const s = Math.max(range.base, Math.min(start, range.base + n - newSpan));
  return { a0: s, a1: s + newSpan };
}

/** The zoomed view moved by `columns` (kept inside the range); an unzoomed view does not move. */
export function panColumns(range: ColumnRange, zoom: ColumnView | null, columns: number): ColumnView | null {
  if (zoom === null) return null;
  return visibleColumns(range, { a0: zoom.a0 + columns, a1: zoom.a1 + columns });
}

/** A tenth of the view, at least one column: what one pan step moves. */
export function panStep(view: ColumnView): number {
  return Math.max(1, Math.round((view.a1 - view.a0) / 10));
}

/** The cell under a point of the drawn area (css px from its top-left): absolute column (clamped to the view) and row (not clamped). */
export function cellAtPoint(view: ColumnView, width: number, rowHeight: number, x: number, y: number): HeatCursor {
  const abs = view.a0 + Math.floor((x / Math.max(1, width)) * (view.a1 - view.a0));
  return { abs: Math.min(view.a1 - 1, Math.max(view.a0, abs)), row: Math.floor(y / Math.max(1e-9, rowHeight)) };
}

/** The centre of a cell in css px, for a tooltip. */
export function cellCentre(view: ColumnView, width: number, rowHeight: number, cell: HeatCursor): { x: number; y: number } {
  const colW = width / Math.max(1, view.a1 - view.a0);
  return { x: (cell.abs - view.a0 + 0.5) * colW, y: (cell.row + 0.5) * rowHeight };
}

/** The thread of the cell in `row` of a one-column geometry, or null for an empty cell. */
export function threadInRow(cells: TimelineCells, row: number): number | null {
  // A shared cell's parts come largest first; a part of tasks without a row has no thread.
  for (let k = 0; k < cells.count; k++) {
    const th = cells.thread[k];
    if (cells.row[k] === row && th !== undefined && th !== NO_THREAD) return th;
  }
  return null;
}

/** What a key does to a heatmap. */
export type HeatKey =
  | { readonly kind: 'cursor'; readonly cursor: HeatCursor }
  | { readonly kind: 'pan'; readonly columns: number }
  | { readonly kind: 'zoom'; readonly factor: number; readonly centre: number }
  | { readonly kind: 'select'; readonly row: number }
  | { readonly kind: 'reset' };

/**
 * The meaning of a key press for a heatmap showing `view` with `rows` rows: arrows move the cursor
 * (it starts at the newest column, top row), Shift+Left/Right pan, Home/End jump, +/- zoom
 * around the cursor, Enter/Space select the cursor's row, Escape resets zoom and cursor. Null:
 * the key is not the heatmap's.
 */
export function heatKey(key: string, shift: boolean, cursor: HeatCursor | null, view: ColumnView, rows: number): HeatKey | null {
  const cur = cursor ?? { abs: view.a1 - 1, row: 0 };
  const at = (c: HeatCursor): HeatKey => ({ kind: 'cursor', cursor: c });
  switch (key) {
    case 'ArrowLeft':
      return shift ? { kind: 'pan', columns: -panStep(view) } : at({ ...cur, abs: Math.max(view.a0, cur.abs - 1) });
    case 'ArrowRight':
      return shift ? { kind: 'pan', columns: panStep(view) } : at({ ...cur, abs: Math.min(view.a1 - 1, cur.abs + 1) });
    case 'ArrowUp':
      return at({ ...cur, row: Math.max(0, cur.row - 1) });
    case 'ArrowDown':
      return at({ ...cur, row: Math.min(rows - 1, cur.row + 1) });
    case 'Home':
      return at({ ...cur, abs: view.a0 });
    case 'End':
      return at({ ...cur, abs: view.a1 - 1 });
    case '+':
    case '=':
      return { kind: 'zoom', factor: 0.5, centre: cur.abs };
    case '-':
      return { kind: 'zoom', factor: 2, centre: cur.abs };
    case 'Enter':
    case ' ':
      return { kind: 'select', row: cur.row };
    case 'Escape':
      return { kind: 'reset' };
    default:
      return null;
  }
}

/** A drag from one absolute column to another as history tick indexes [x0, x1); null for a click (under 3 columns). */
export function brushTicks(fromAbs: number, toAbs: number, base: number): { x0: number; x1: number } | null {
  const lo = Math.min(fromAbs, toAbs);
  const hi = Math.max(fromAbs, toAbs);
  return hi - lo >= 2 ? { x0: lo - base, x1: hi - base + 1 } : null;
}

/** The time between ticks of a history (ms): its mean spacing, 1 s for fewer than two ticks. */
export function tickStep(ticks: readonly number[]): number {
  const n = ticks.length;
  return n > 1 ? ((ticks[n - 1] ?? 0) - (ticks[0] ?? 0)) / (n - 1) : 1000;
}

/** The time axis of a view: its first tick to one step past its last; null when out of range. */
export function viewTimes(ticks: readonly number[], base: number, view: ColumnView): { from: number; to: number } | null {
  const first = ticks[view.a0 - base];
  const last = ticks[view.a1 - 1 - base];
  if (first === undefined || last === undefined) return null;
  return { from: first, to: last + tickStep(ticks) };
}

/**
 * A zoomed view as the time span [from, to) for the URL: its first tick to the tick after its last
 * (one step past the last at the end), so that viewOfTimes gives the same columns back.
 */
export function zoomSpan(ticks: readonly number[], base: number, view: ColumnView): { from: number; to: number } | null {
  const first = ticks[view.a0 - base];
  const last = ticks[view.a1 - 1 - base];
  if (first === undefined || last === undefined) return null;
  return { from: first, to: ticks[view.a1 - base] ?? last + tickStep(ticks) };
}

/** First index of an ascending array whose value is >= t. */
function lowerBound(xs: readonly number[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? Infinity) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The zoomed view of a time span (from the URL): the ticks in [from, to). Null when it holds fewer
 * than MIN_SPAN ticks (a link to a span this window lacks shows the whole window) or all of them.
 */
export function viewOfTimes(ticks: readonly number[], base: number, span: { readonly from: number; readonly to: number }): ColumnView | null {
  const i0 = lowerBound(ticks, span.from);
  const i1 = lowerBound(ticks, span.to);
  if (i1 - i0 < MIN_SPAN || i1 - i0 >= ticks.length) return null;
  return { a0: base + i0, a1: base + i1 };
}
