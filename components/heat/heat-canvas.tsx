'use client';
// One React wrapper for the live heatmaps (STYLE 8). Cells come from a pure geometry function.
// Zoomed out, they are written as pixels (drawCellsToPixels) into an offscreen ring of 1-px
// columns (lib/heatmap/column-ring.ts): a new tick draws one column, a redraw copies the visible
// columns (one or two drawImage calls) and outlines the violation cells at display scale.
// Zoomed in (wide columns, few cells), the visible cells are drawn at display scale by the path
// renderer (drawCells), outlines included. A new history (epoch), row count or colour config
// redraws every column, in chunks across animation frames so that no task gets long.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type WheelEvent } from 'react';
import { TimeAxis } from './time-axis';
import { drawCells } from '@/lib/heatmap/canvas-renderer';
import { drawCellsToPixels, paletteBytes } from '@/lib/heatmap/pixel-renderer';
import { ringCapacity, ringSegments } from '@/lib/heatmap/column-ring';
import { CellFlag, type TimelineCells } from '@/lib/heatmap/timeline-cells';
import type { LiveHistory } from '@/lib/ui/live-history';
import type { History } from '@/lib/server/store/store';

/** Cells for history ticks [x0, x1) laid out in width x height px (1 px per column here). */
export type Geometry = (h: History, x0: number, x1: number, width: number, height: number) => TimelineCells;

export interface HeatHit {
  readonly tick: number; // index into history.ticks
  readonly row: number;
  readonly thread: number | null; // index into history.threads, null for an empty cell
  readonly x: number; // px from the container's left, for a tooltip
  readonly y: number;
}

export interface HeatCanvasProps {
  readonly live: LiveHistory;
  readonly rows: number;
  readonly geometry: Geometry;
  /** Changing it redraws every column (e.g. the theme or the row order changed). */
  readonly configKey: string;
  readonly palette: readonly string[];
  readonly background: string;
  readonly markColor: string; // violation outlines, cursor, brush
  readonly rowHeight: number; // display px per row
  readonly label: string; // accessible name
  readonly selectedRow?: number | null;
  /** History tick indexes to mark with a dashed vertical line and a ▼ (e.g. hot-plugs). */
  readonly columnMarks?: readonly number[];
  readonly onHover?: (hit: HeatHit | null) => void;
  /** A dragged window, as history tick indexes [x0, x1). */
  readonly onBrush?: (x0: number, x1: number) => void;
  readonly onSelectRow?: (row: number) => void;
}

interface Ring {
  off: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  cap: number;
  offH: number;
  epoch: number;
  rows: number;
  configKey: string;
  paletteBytes: Uint8Array;
  drawnTo: number; // columns [.., drawnTo) are in the ring (absolute column numbers)
  violations: Map<number, number[]>; // absolute column -> rows with a violation cell
  firstDone: boolean;
}

/** Zoomed in this far (css px per tick) with at most this many cells, cells are drawn at display scale. */
const EXACT_MIN_COL_PX = 6;
const EXACT_MAX_CELLS = 20_000;

/** Columns per chunk of a full redraw: about 40k cells per animation frame. */
function chunkColumns(rows: number): number {
  return Math.max(8, Math.floor(40_000 / Math.max(1, rows)));
}

export function HeatCanvas(props: HeatCanvasProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const ringRef = useRef<Ring | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const [width, setWidth] = useState(0);
  const widthRef = useRef(0);
  widthRef.current = width;
  // Zoomed view as absolute columns [a0, a1); null: every column of the history.
  const viewRef = useRef<{ a0: number; a1: number } | null>(null);
  const cursorRef = useRef<{ abs: number; row: number } | null>(null);
  const brushRef = useRef<{ from: number; to: number } | null>(null);
  const frameRef = useRef<number | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const [axis, setAxis] = useState<{ from: number; to: number } | null>(null);

  const visible = useCallback((): { a0: number; a1: number } => {
    const { base, history } = propsRef.current.live;
    const end = base + history.ticks.length;
    const v = viewRef.current;
    if (v === null) return { a0: base, a1: end };
    const span = Math.min(v.a1 - v.a0, end - base);
    const a0 = Math.max(base, Math.min(v.a0, end - span));
    return { a0, a1: a0 + span };
  }, []);

  const blit = useCallback(() => {
    const canvas = canvasRef.current;
    const ring = ringRef.current;
    const p = propsRef.current;
    const w = widthRef.current;
    if (canvas === null || ring === null || w <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    const cssH = p.rows * p.rowHeight;
    const W = Math.round(w * dpr);
    const H = Math.max(1, Math.round(cssH * dpr));
    if (canvas.width !== W || canvas.height !== H) {
      canvas.width = W;
      canvas.height = H;
    }
    const ctx = canvas.getContext('2d');
    if (ctx === null) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, W, H);
    const { a0, a1: want } = visible();
    const a1 = Math.min(want, ring.drawnTo);
    const span = want - a0;
    if (span <= 0) return;
    const ticks = p.live.history.ticks;
    const tFrom = ticks[a0 - p.live.base];
    const tLast = ticks[want - 1 - p.live.base];
    if (tFrom !== undefined && tLast !== undefined) {
      const step = ticks.length > 1 ? ((ticks[ticks.length - 1] ?? 0) - (ticks[0] ?? 0)) / (ticks.length - 1) : 1000;
      const tTo = tLast + step;
      setAxis((cur) => (cur !== null && cur.from === tFrom && cur.to === tTo ? cur : { from: tFrom, to: tTo }));
    }
    const colW = W / span;
    const rowH = p.rowHeight * dpr;
    if (colW >= EXACT_MIN_COL_PX * dpr && (a1 - a0) * p.rows <= EXACT_MAX_CELLS) {
      // Zoomed in: the visible cells at display scale with the path renderer, outlines included.
      const base = p.live.base;
      const cells = p.geometry(p.live.history, a0 - base, a1 - base, (a1 - a0) * colW, H);
      drawCells(ctx, cells, p.palette, { makePath: () => new Path2D(), width: W, height: H, clear: false, violationColor: p.markColor, violationWidth: Math.max(1, 2 * dpr) });
    } else {
      for (const seg of ringSegments(ring.cap, a0, Math.max(0, a1 - a0))) {
        ctx.drawImage(ring.off, seg.src, 0, seg.len, ring.offH, seg.dst * colW, 0, seg.len * colW, H);
      }
      ctx.strokeStyle = p.markColor;
      ctx.lineWidth = Math.max(1, Math.min(2 * dpr, colW / 3, rowH / 3));
      const lw = ctx.lineWidth;
      ctx.beginPath();
      for (const [abs, rows] of ring.violations) {
        if (abs < a0 || abs >= a1) continue;
        const x = (abs - a0) * colW;
        for (const r of rows) ctx.rect(x + lw / 2, r * rowH + lw / 2, Math.max(1, colW - lw), Math.max(1, rowH - lw));
      }
      ctx.stroke();
    }
    if (p.columnMarks !== undefined && p.columnMarks.length > 0) {
      ctx.save();
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.lineWidth = Math.max(1, dpr);
      ctx.fillStyle = p.markColor;
      for (const t of p.columnMarks) {
        const abs = p.live.base + t;
        if (abs < a0 || abs >= want) continue;
        const x = Math.round((abs - a0) * colW) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, 0);
        ctx.lineTo(x, H);
        ctx.stroke();
        const s = 5 * dpr;
        ctx.beginPath();
        ctx.moveTo(x - s, 0);
        ctx.lineTo(x + s, 0);
        ctx.lineTo(x, s * 1.4);
        ctx.closePath();
        ctx.fill();
      }
      ctx.restore();
    }
    if (p.selectedRow !== null && p.selectedRow !== undefined) {
      ctx.lineWidth = Math.max(1, dpr);
      ctx.strokeRect(0.5, p.selectedRow * rowH + 0.5, W - 1, Math.max(1, rowH - 1));
    }
    const cur = cursorRef.current;
    if (cur !== null && cur.abs >= a0 && cur.abs < want) {
      ctx.lineWidth = 2 * dpr;
      ctx.strokeRect((cur.abs - a0) * colW, cur.row * rowH, Math.max(2, colW), Math.max(2, rowH));
    }
    const b = brushRef.current;
    if (b !== null) {
      const lo = Math.min(b.from, b.to);
      const hi = Math.max(b.from, b.to) + 1;
      ctx.globalAlpha = 0.25;
      ctx.fillStyle = p.markColor;
      ctx.fillRect((lo - a0) * colW, 0, (hi - lo) * colW, H);
      ctx.globalAlpha = 1;
    }
  }, [visible]);

  /** Draws columns [from, to) (absolute) of the current history into the ring. */
  const drawColumns = useCallback((ring: Ring, from: number, to: number) => {
    const p = propsRef.current;
    const { base, history } = p.live;
    for (const seg of ringSegments(ring.cap, from, to - from)) {
      const i0 = from - base + seg.dst;
      const cells = p.geometry(history, i0, i0 + seg.len, seg.len, ring.offH);
      // 1-px columns: pixels written directly beat paths (putImageData also clears what was there).
      const img = ring.ctx.createImageData(seg.len, ring.offH);
      drawCellsToPixels(img, cells, ring.paletteBytes);
      ring.ctx.putImageData(img, seg.src, 0);
      for (let a = from + seg.dst; a < from + seg.dst + seg.len; a++) ring.violations.delete(a);
      for (let k = 0; k < cells.count; k++) {
        if (((cells.flags[k] ?? 0) & CellFlag.VIOLATION) === 0) continue;
        const abs = base + (cells.tick[k] ?? 0);
        const list = ring.violations.get(abs) ?? [];
        list.push(cells.row[k] ?? 0);
        ring.violations.set(abs, list);
      }
    }
    for (const abs of ring.violations.keys()) if (abs < base || abs < to - ring.cap) ring.violations.delete(abs);
  }, []);

  const pump = useCallback(() => {
    frameRef.current = null;
    const ring = ringRef.current;
    if (ring === null) return;
    const { base, history } = propsRef.current.live;
    const target = base + history.ticks.length;
    const t0 = performance.now();
    if (ring.drawnTo < base) ring.drawnTo = base;
    const to = Math.min(target, ring.drawnTo + chunkColumns(ring.rows));
    const incremental = ring.firstDone && to > ring.drawnTo;
    if (to > ring.drawnTo) {
      drawColumns(ring, ring.drawnTo, to);
      ring.drawnTo = to;
    }
    blit();
    const t1 = performance.now();
    if (ring.drawnTo < target) {
      frameRef.current = requestAnimationFrame(pump);
      return;
    }
    if (!ring.firstDone) {
      ring.firstDone = true;
      performance.mark('vcpumap:heatmap-ready');
    } else if (incremental) {
      performance.measure('vcpumap:heatmap-redraw', { start: t0, end: t1 });
    }
    canvasRef.current?.setAttribute('data-drawn-columns', String(ring.drawnTo - base));
  }, [blit, drawColumns]);

  const schedule = useCallback(() => {
    frameRef.current ??= requestAnimationFrame(pump);
  }, [pump]);

  // New data, rows or config: rebuild the ring or draw the new columns.
  useEffect(() => {
    const { live, rows, configKey, rowHeight } = props;
    const n = live.history.ticks.length;
    let ring = ringRef.current;
    const offH = Math.max(1, rows * Math.max(1, Math.min(8, Math.ceil(rowHeight))));
    if (ring === null || ring.epoch !== live.epoch || ring.rows !== rows || ring.configKey !== configKey || n > ring.cap || ring.offH !== offH) {
      const cap = ringCapacity(n);
      const off = ring !== null && ring.cap === cap && ring.offH === offH ? ring.off : document.createElement('canvas');
      off.width = cap;
      off.height = offH;
      const ctx = off.getContext('2d');
      if (ctx === null) return;
      ring = { off, ctx, cap, offH, epoch: live.epoch, rows, configKey, paletteBytes: paletteBytes(props.palette), drawnTo: live.base, violations: new Map(), firstDone: ring?.firstDone ?? false };
      ringRef.current = ring;
    }
    schedule();
  }, [props, schedule]);

  useEffect(() => {
    const el = containerRef.current;
    if (el === null) return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      setWidth(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    blit();
  }, [width, blit, props.selectedRow]);

  useEffect(
    () => () => {
      if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
    },
    [],
  );

  const hitAt = useCallback(
    (abs: number, row: number): HeatHit | null => {
      const p = propsRef.current;
      const { base, history } = p.live;
      const tick = abs - base;
      if (tick < 0 || tick >= history.ticks.length || row < 0 || row >= p.rows) return null;
      const cells = p.geometry(history, tick, tick + 1, 1, Math.max(1, p.rows));
      let thread: number | null = null;
      for (let k = 0; k < cells.count; k++) if (cells.row[k] === row) thread = cells.thread[k] ?? null;
      const { a0, a1 } = visible();
      const colW = widthRef.current / Math.max(1, a1 - a0);
      return { tick, row, thread, x: (abs - a0 + 0.5) * colW, y: (row + 0.5) * p.rowHeight };
    },
    [visible],
  );

  const posToCell = (e: MouseEvent<HTMLCanvasElement>): { abs: number; row: number } => {
    const r = e.currentTarget.getBoundingClientRect();
    const { a0, a1 } = visible();
    const abs = a0 + Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * (a1 - a0));
    const row = Math.floor((e.clientY - r.top) / props.rowHeight);
    return { abs: Math.min(a1 - 1, Math.max(a0, abs)), row };
  };

  const zoom = (factor: number, centre: number | null) => {
    const { base, history } = propsRef.current.live;
    const n = history.ticks.length;
    const { a0, a1 } = visible();
    const span = a1 - a0;
    const newSpan = Math.max(4, Math.min(n, Math.round(span * factor)));
    if (newSpan >= n) {
      viewRef.current = null;
      setZoomed(false);
    } else {
      const c = centre ?? (a0 + a1) / 2;
      const start = Math.round(c - ((c - a0) / Math.max(1, span)) * newSpan);
      viewRef.current = { a0: Math.max(base, Math.min(start, base + n - newSpan)), a1: 0 };
      viewRef.current.a1 = viewRef.current.a0 + newSpan;
      setZoomed(true);
    }
    blit();
  };

  const pan = (columns: number) => {
    const v = viewRef.current;
    if (v === null) return;
    viewRef.current = { a0: v.a0 + columns, a1: v.a1 + columns };
    viewRef.current = visible();
    blit();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const { a0, a1 } = visible();
    const cur = cursorRef.current ?? { abs: a1 - 1, row: 0 };
    let next = cur;
    const rows = props.rows;
    switch (e.key) {
      case 'ArrowLeft':
        if (e.shiftKey) pan(-Math.max(1, Math.round((a1 - a0) / 10)));
        else next = { ...cur, abs: Math.max(a0, cur.abs - 1) };
        break;
      case 'ArrowRight':
        if (e.shiftKey) pan(Math.max(1, Math.round((a1 - a0) / 10)));
        else next = { ...cur, abs: Math.min(a1 - 1, cur.abs + 1) };
        break;
      case 'ArrowUp':
        next = { ...cur, row: Math.max(0, cur.row - 1) };
        break;
      case 'ArrowDown':
        next = { ...cur, row: Math.min(rows - 1, cur.row + 1) };
        break;
      case 'Home':
        next = { ...cur, abs: a0 };
        break;
      case 'End':
        next = { ...cur, abs: a1 - 1 };
        break;
      case '+':
      case '=':
        zoom(0.5, cur.abs);
        break;
      case '-':
        zoom(2, cur.abs);
        break;
      case 'Enter':
      case ' ':
        props.onSelectRow?.(cur.row);
        break;
      case 'Escape':
        viewRef.current = null;
        setZoomed(false);
        cursorRef.current = null;
        props.onHover?.(null);
        blit();
        return;
      default:
        return;
    }
    e.preventDefault();
    cursorRef.current = next;
    props.onHover?.(hitAt(next.abs, next.row));
    blit();
  };

  const onMouseDown = (e: MouseEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    const c = posToCell(e);
    brushRef.current = { from: c.abs, to: c.abs };
  };
  const onMouseMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const c = posToCell(e);
    if (brushRef.current !== null) {
      brushRef.current = { ...brushRef.current, to: c.abs };
      blit();
    }
    props.onHover?.(hitAt(c.abs, c.row));
  };
  const onMouseUp = (e: MouseEvent<HTMLCanvasElement>) => {
    const b = brushRef.current;
    brushRef.current = null;
    if (b === null) return;
    const c = posToCell(e);
    const base = propsRef.current.live.base;
    const lo = Math.min(b.from, c.abs);
    const hi = Math.max(b.from, c.abs);
    if (hi - lo >= 2) props.onBrush?.(lo - base, hi - base + 1);
    else props.onSelectRow?.(c.row);
    blit();
  };
  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (!e.ctrlKey && !e.shiftKey) return; // plain wheel scrolls the page
    const { a0, a1 } = visible();
    if (e.shiftKey) pan(Math.sign(e.deltaY || e.deltaX) * Math.max(1, Math.round((a1 - a0) / 10)));
    else {
      const r = e.currentTarget.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 0.7 : 1.4, a0 + ((e.clientX - r.left) / Math.max(1, r.width)) * (a1 - a0));
    }
  };

  return (
    <div ref={containerRef} className="relative w-full">
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={props.label}
        tabIndex={0}
        className="block w-full cursor-crosshair outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
        style={{ height: props.rows * props.rowHeight }}
        onKeyDown={onKeyDown}
        onMouseDown={onMouseDown}
        onMouseMove={onMouseMove}
        onMouseUp={onMouseUp}
        onMouseLeave={() => {
          brushRef.current = null;
          props.onHover?.(null);
          blit();
        }}
        onWheel={onWheel}
      />
      {axis !== null ? <TimeAxis from={axis.from} to={axis.to} width={width} /> : <div className="h-5" />}
      {zoomed ? (
        <button
          type="button"
          className="absolute right-1 top-1 rounded bg-slate-800/80 px-2 py-0.5 text-xs text-white"
          onClick={() => {
            viewRef.current = null;
            setZoomed(false);
            blit();
          }}
        >
          Reset zoom
        </button>
      ) : null}
    </div>
  );
}
