'use client';
// One React wrapper for the live heatmaps (STYLE 8), with three speeds: a new size only redraws
// at the new size, a new config (history epoch, rows, colours) rebuilds the cell layer, new data
// draws only the new columns. The cell layer is ring-canvas.ts, what is drawn over it is
// overlays.ts, the viewport (zoom, pan, keys, drag, hit-testing) is lib/heatmap/viewport.ts; this
// file only wires them to the DOM. A full redraw runs in chunks across animation frames (the first draw: across tasks) so that
// no task gets long. The zoomed view is reported as times (onZoom) for the URL, and taken back.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type WheelEvent } from 'react';
import { TimeAxis } from './time-axis';
import { drawBrush, drawColumnMarks, drawCursor, drawRowBands, drawSelectedRow, drawViolationOutlines, type OverlayFrame } from './overlays';
import { chunkColumns, RingCanvas, type Geometry, type RingConfig } from './ring-canvas';
import {
  brushTicks,
  cellAtPoint,
  cellCentre,
  heatKey,
  panColumns,
  panStep,
  threadInRow,
  viewOfTimes,
  viewTimes,
  visibleColumns,
  zoomColumns,
  zoomSpan,
  type ColumnView,
  type HeatCursor,
} from '@/lib/heatmap/viewport';
import type { LiveHistory } from '@/lib/ui/live-history';

export type { Geometry } from './ring-canvas';

export interface HeatHit {
  readonly tick: number; // index into history.ticks
  readonly row: number;
  readonly thread: number | null; // index into history.threads, null for an empty cell
  readonly x: number; // px from the container's left, for a tooltip
  readonly y: number;
}

/** A zoomed view as times [from, to) (epoch ms). */
export interface ZoomSpan {
  readonly from: number;
  readonly to: number;
}

export interface HeatCanvasProps {
  readonly live: LiveHistory;
  readonly rows: number;
  readonly geometry: Geometry;
  /** Changing it redraws every column (e.g. the theme, the row order or the highlight changed). */
  readonly configKey: string;
  readonly palette: readonly string[];
  readonly background: string;
  readonly markColor: string; // violation outlines, cursor, brush
  readonly rowHeight: number; // display px per row
  readonly label: string; // accessible name
  readonly selectedRow?: number | null;
  /** History tick indexes to mark with a dashed vertical line and a ▼ (e.g. hot-plugs). */
  readonly columnMarks?: readonly number[];
  /** Rows that start a band (socket, NUMA node): a thin line above each. */
  readonly bandRows?: readonly number[];
  readonly bandColor?: string;
  /** The zoomed view (from the URL); null or absent: the whole window. */
  readonly zoom?: ZoomSpan | null;
  /** The user zoomed or panned (reported once the view settles), or reset the zoom (null). */
  readonly onZoom?: (zoom: ZoomSpan | null) => void;
  readonly onHover?: (hit: HeatHit | null) => void;
  /** A dragged window, as history tick indexes [x0, x1). */
  readonly onBrush?: (x0: number, x1: number) => void;
  readonly onSelectRow?: (row: number) => void;
  /** Every column of the first history is drawn (once per mount: what waits for the heatmap may start). */
  readonly onDrawn?: () => void;
}

/** Main-thread ms a full redraw may spend drawing chunks in one animation frame (then it yields). */
const FRAME_BUDGET_MS = 12;
/**
 * The same for the first draw, when the page has nothing to show yet: longer chunks mean fewer
 * frames and copies of the view (a big host's first heatmap is most of its load), still below a
 * long task (50 ms).
 */
const FIRST_DRAW_BUDGET_MS = 40;

/** Wait this long after the last zoom or pan before reporting it (the URL is written once). */
const ZOOM_REPORT_MS = 250;

/** Runs `fn` in the next animation frame; returns what cancels it. */
function nextFrame(fn: () => void): () => void {
  const id = requestAnimationFrame(fn);
  return () => cancelAnimationFrame(id);
}

/** Runs `fn` in a task of its own as soon as the tasks already queued have run; returns what cancels it. */
function nextTask(fn: () => void): () => void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    fn();
  };
  channel.port2.postMessage(null);
  return () => channel.port1.close();
}

const spanKey = (z: ZoomSpan | null | undefined): string => (z === null || z === undefined ? '' : `${z.from}~${z.to}`);

export function HeatCanvas(props: HeatCanvasProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const ringRef = useRef<RingCanvas | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const [width, setWidth] = useState(0);
  const widthRef = useRef(0);
  widthRef.current = width;
  // Zoomed view as absolute columns; null: every column of the history.
  const viewRef = useRef<ColumnView | null>(null);
  const cursorRef = useRef<HeatCursor | null>(null);
  const brushRef = useRef<{ from: number; to: number } | null>(null);
  // The pending pump (a frame or a task), cancellable.
  const pumpRef = useRef<(() => void) | null>(null);
  const firstDoneRef = useRef(false);
  const [zoomed, setZoomed] = useState(false);
  const [axis, setAxis] = useState<{ from: number; to: number } | null>(null);

  const visible = useCallback((): ColumnView => {
    const { base, history } = propsRef.current.live;
    return visibleColumns({ base, count: history.ticks.length }, viewRef.current);
  }, []);

  /** Draws the visible columns and the overlays at display scale. */
  const blit = useCallback(() => {
    const canvas = canvasRef.current;
    const ring = ringRef.current;
    const p = propsRef.current;
    const w = widthRef.current;
    if (canvas === null || ring === null || w <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(w * dpr);
    const H = Math.max(1, Math.round(p.rows * p.rowHeight * dpr));
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
    const view = visible();
    const span = view.a1 - view.a0;
    if (span <= 0) return;
    const { base, history } = p.live;
    const t = viewTimes(history.ticks, base, view);
    if (t !== null) setAxis((cur) => (cur !== null && cur.from === t.from && cur.to === t.to ? cur : t));
    // What is in view, for tests and benchmarks: columns and their first and last tick times.
    canvas.setAttribute('data-view-columns', String(span));
    canvas.setAttribute('data-view', `${history.ticks[view.a0 - base] ?? ''}~${history.ticks[view.a1 - 1 - base] ?? ''}`);
    const colW = W / span;
    const f: OverlayFrame = { width: W, height: H, a0: view.a0, a1: view.a1, colW, rowH: p.rowHeight * dpr, dpr };
    const exact = ring.blit(ctx, view, { W, H, colW, dpr, markColor: p.markColor }, p.geometry, history, base);
    if (!exact) drawViolationOutlines(ctx, f, ring.violations, ring.drawnTo, p.markColor);
    drawRowBands(ctx, f, p.bandRows ?? [], p.bandColor ?? p.markColor);
    drawColumnMarks(ctx, f, (p.columnMarks ?? []).map((m) => base + m), p.markColor);
    if (p.selectedRow !== null && p.selectedRow !== undefined) drawSelectedRow(ctx, f, p.selectedRow, p.markColor);
    if (cursorRef.current !== null) drawCursor(ctx, f, cursorRef.current, p.markColor);
    if (brushRef.current !== null) drawBrush(ctx, f, brushRef.current, p.markColor);
  }, [visible]);

  /** Draws the next chunk of missing columns into the ring, then the view; again next frame until done. */
  const pump = useCallback(() => {
    pumpRef.current = null;
    const ring = ringRef.current;
    if (ring === null) return;
    const p = propsRef.current;
    const { base, history } = p.live;
    const target = base + history.ticks.length;
    const t0 = performance.now();
    if (ring.drawnTo < base) ring.drawnTo = base;
    const incremental = firstDoneRef.current && target > ring.drawnTo;
    if (!firstDoneRef.current && performance.getEntriesByName('vcpumap:heatmap-start', 'mark').length === 0) performance.mark('vcpumap:heatmap-start');
    // Chunks until the frame's budget is spent, then one blit: a full redraw of a big host takes
    // a few frames and copies the view once per frame, not once per chunk.
    const budget = firstDoneRef.current ? FRAME_BUDGET_MS : FIRST_DRAW_BUDGET_MS;
    while (ring.drawnTo < target) {
      const to = Math.min(target, ring.drawnTo + chunkColumns(ring.config.rows));
      ring.drawColumns(p.geometry, history, base, ring.drawnTo, to);
      ring.drawnTo = to;
      if (performance.now() - t0 >= budget) break;
    }
    if (ring.drawnTo < target && !firstDoneRef.current) {
      // The first draw goes on in the next task, not the next frame: on a busy machine the
      // compositor paces frames at 100 ms and more, and nothing is on screen yet to keep smooth.
      // The view is copied once, when every column is drawn. A copy every frame meanwhile (the
      // heatmap filling in) cost a paint, raster and composite of the canvas each frame; without
      // a GPU, that CPU was taken from the rest of the draw and from the server.
      pumpRef.current = nextTask(pump);
      return;
    }
    blit();
    const t1 = performance.now();
    if (ring.drawnTo < target) {
      pumpRef.current = nextFrame(pump);
      return;
    }
    if (!firstDoneRef.current) {
      firstDoneRef.current = true;
      performance.mark('vcpumap:heatmap-ready');
      p.onDrawn?.();
    } else if (incremental) {
      performance.measure('vcpumap:heatmap-redraw', { start: t0, end: t1 });
    }
    canvasRef.current?.setAttribute('data-drawn-columns', String(ring.drawnTo - base));
  }, [blit]);

  const schedule = useCallback(() => {
    // Until the first draw is done there is nothing on screen to pace: start at once.
    pumpRef.current ??= firstDoneRef.current ? nextFrame(pump) : nextTask(pump);
  }, [pump]);

  const ringConfig = (): RingConfig => {
    const p = propsRef.current;
    return { epoch: p.live.epoch, rows: p.rows, rowHeight: p.rowHeight, configKey: p.configKey, palette: p.palette, columns: p.live.history.ticks.length };
  };
  const rebuild = useCallback(() => {
    const ring = RingCanvas.build(ringConfig(), propsRef.current.live.base, ringRef.current);
    if (ring !== null) ringRef.current = ring;
    // Set again once every column of the new ring is drawn.
    canvasRef.current?.removeAttribute('data-drawn-columns');
  }, []);

  // A new config: a new ring, drawn from scratch.
  const { epoch } = props.live;
  const { rows, rowHeight, configKey, palette } = props;
  useEffect(() => {
    const ring = ringRef.current;
    const cfg = ringConfig();
    if (ring === null || !ring.fits(cfg) || ring.config.palette.join() !== palette.join()) rebuild();
    schedule();
  }, [epoch, rows, rowHeight, configKey, palette, rebuild, schedule]);

  // New data: the new columns only (a new ring when it has outgrown the old one).
  const { live } = props;
  useEffect(() => {
    const ring = ringRef.current;
    if (ring !== null && !ring.fits(ringConfig())) rebuild();
    schedule();
  }, [live, rebuild, schedule]);

  // A new size or new overlays: the same cells drawn again.
  const { selectedRow, columnMarks, bandRows } = props;
  useEffect(() => {
    blit();
  }, [width, selectedRow, columnMarks, bandRows, blit]);

  useEffect(() => {
    const el = containerRef.current;
    if (el === null) return;
    const ro = new ResizeObserver((entries) => setWidth(Math.floor(entries[0]?.contentRect.width ?? 0)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The zoomed view from the URL (a reload, Back), unless it is the one this canvas reported.
  const reportedRef = useRef<string | null>(null);
  const reportTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const zoomKey = spanKey(props.zoom);
  const syncedRef = useRef<string | null>(null);
  useEffect(() => {
    const sync = `${epoch}|${zoomKey}`;
    if (syncedRef.current === sync) return;
    const sameEpoch = syncedRef.current?.startsWith(`${epoch}|`) ?? false;
    syncedRef.current = sync;
    if (sameEpoch && reportedRef.current === zoomKey) return;
    const z = propsRef.current.zoom;
    const { base, history } = propsRef.current.live;
    viewRef.current = z === null || z === undefined ? null : viewOfTimes(history.ticks, base, z);
    setZoomed(viewRef.current !== null);
    blit();
  }, [epoch, zoomKey, blit]);

  useEffect(
    () => () => {
      pumpRef.current?.();
      if (reportTimer.current !== null) clearTimeout(reportTimer.current);
    },
    [],
  );

  /** Shows `view` and reports it once the user stops zooming or panning. */
  const setView = (view: ColumnView | null, now = false) => {
    viewRef.current = view;
    setZoomed(view !== null);
    blit();
    const report = () => {
      reportTimer.current = null;
      const { base, history } = propsRef.current.live;
      const v = viewRef.current;
      const span = v === null ? null : zoomSpan(history.ticks, base, v);
      reportedRef.current = spanKey(span);
      propsRef.current.onZoom?.(span);
    };
    if (reportTimer.current !== null) clearTimeout(reportTimer.current);
    if (now) report();
    else reportTimer.current = setTimeout(report, ZOOM_REPORT_MS);
  };

  const range = () => ({ base: propsRef.current.live.base, count: propsRef.current.live.history.ticks.length });

  const hitAt = (cell: HeatCursor): HeatHit | null => {
    const p = propsRef.current;
    const { base, history } = p.live;
    const tick = cell.abs - base;
    if (tick < 0 || tick >= history.ticks.length || cell.row < 0 || cell.row >= p.rows) return null;
    const thread = threadInRow(p.geometry(history, tick, tick + 1, 1, Math.max(1, p.rows)), cell.row);
    return { tick, row: cell.row, thread, ...cellCentre(visible(), widthRef.current, p.rowHeight, cell) };
  };

  const posToCell = (e: MouseEvent<HTMLCanvasElement>): HeatCursor => {
    const r = e.currentTarget.getBoundingClientRect();
    return cellAtPoint(visible(), r.width, props.rowHeight, e.clientX - r.left, e.clientY - r.top);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const k = heatKey(e.key, e.shiftKey, cursorRef.current, visible(), props.rows);
    if (k === null) return;
    switch (k.kind) {
      case 'reset':
        // Not prevented: the page's Escape (clear the selection) sees it too.
        cursorRef.current = null;
        props.onHover?.(null);
        setView(null, true);
        return;
      case 'pan':
        setView(panColumns(range(), viewRef.current, k.columns));
        break;
      case 'zoom':
        setView(zoomColumns(range(), viewRef.current, k.factor, k.centre));
        break;
      case 'select':
        props.onSelectRow?.(k.row);
        break;
      case 'cursor':
        cursorRef.current = k.cursor;
        break;
    }
    e.preventDefault();
    const cur = cursorRef.current ?? { abs: visible().a1 - 1, row: 0 };
    cursorRef.current = cur;
    props.onHover?.(hitAt(cur));
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
    props.onHover?.(hitAt(c));
  };
  const onMouseUp = (e: MouseEvent<HTMLCanvasElement>) => {
    const b = brushRef.current;
    brushRef.current = null;
    if (b === null) return;
    const c = posToCell(e);
    const ticks = brushTicks(b.from, c.abs, propsRef.current.live.base);
    if (ticks !== null) props.onBrush?.(ticks.x0, ticks.x1);
    else props.onSelectRow?.(c.row);
    blit();
  };
  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (!e.ctrlKey && !e.shiftKey) return; // plain wheel scrolls the page
    const view = visible();
    if (e.shiftKey) setView(panColumns(range(), viewRef.current, Math.sign(e.deltaY || e.deltaX) * panStep(view)));
    else {
      const r = e.currentTarget.getBoundingClientRect();
      setView(zoomColumns(range(), viewRef.current, e.deltaY < 0 ? 0.7 : 1.4, view.a0 + ((e.clientX - r.left) / Math.max(1, r.width)) * (view.a1 - view.a0)));
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
        <button type="button" className="absolute right-1 top-1 rounded bg-slate-800/90 px-2 py-0.5 text-xs text-white" onClick={() => setView(null, true)}>
          Reset zoom
        </button>
      ) : null}
    </div>
  );
}
