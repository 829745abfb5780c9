// Pure geometry for the VM timeline (SPEC "Views", VM): one row per thread of one VM (its vCPUs by
// index, then emulator, I/O and other threads), one column per tick, coloured by the pCPU the
// thread was on. Same cell layout as the host timeline, so the same renderer and hit-testing serve.
import { scaleLinear } from 'd3-scale';
import type { History } from '../server/store/store';
import { CellFlag, checkViewport, covers, offPinIntervals, type TimelineCells, type Viewport } from './timeline-cells';

const ROLE_ORDER = { vcpu: 0, emulator: 1, iothread: 2, other: 3 } as const;

/** Thread indexes of `vm` in row order: vCPUs by index, then the other roles, then by tid. */
export function vmRows(history: History, vm: string): number[] {
  const idx: number[] = [];
  history.threads.forEach((t, i) => {
    if (t.vm === vm) idx.push(i);
  });
  return idx.sort((a, b) => {
    const ta = history.threads[a];
    const tb = history.threads[b];
    if (ta === undefined || tb === undefined) return 0;
    return ROLE_ORDER[ta.role] - ROLE_ORDER[tb.role] || (ta.vcpu ?? 0) - (tb.vcpu ?? 0) || ta.tid - tb.tid;
  });
}

/** A hot-plug (or first sighting) of a vCPU inside the window: the tick index where its thread appears. */
export interface VcpuAppearance {
  readonly thread: number;
  readonly vcpu: number | null;
  readonly tick: number; // index into history.ticks
}

/**
 * vCPU threads of the VM (rows from vmRows) that appear after the VM's first thread did: hot-plugs.
 * A VM that starts inside the window brings its vCPUs with it; those are not hot-plugs.
 */
export function vcpuAppearances(history: History, rows: readonly number[]): VcpuAppearance[] {
  const firstTick = (th: number) => history.pcpu.findIndex((col) => col[th] !== null && col[th] !== undefined);
  const firsts = rows.map(firstTick);
  const vmFirst = Math.min(...firsts.filter((f) => f >= 0));
  const out: VcpuAppearance[] = [];
  rows.forEach((th, i) => {
    const t = history.threads[th];
    const first = firsts[i] ?? -1;
    if (t !== undefined && t.role === 'vcpu' && first > vmFirst) out.push({ thread: th, vcpu: t.vcpu, tick: first });
  });
  return out;
}

/** Cells of the visible ticks for the threads `rows` (from vmRows); `rowKeys` are thread indexes. */
export function vmTimelineCells(
  history: History,
  rows: readonly number[],
  viewport: Viewport,
  colorOfPcpu: (pcpu: number) => number,
): TimelineCells {
  const vp = checkViewport(viewport, history.ticks.length);
  const nCols = vp.x1 - vp.x0;
  const nRows = rows.length;
  const xs = scaleLinear().domain([0, nCols]).range([0, vp.width]);
  const ys = scaleLinear().domain([0, Math.max(1, nRows)]).range([0, vp.height]);
  const colX = Float32Array.from({ length: nCols + 1 }, (_, c) => xs(c));
  const rowY = Float32Array.from({ length: nRows + 1 }, (_, r) => ys(r));
  const violations = offPinIntervals(history);

  const cap = nCols * nRows;
  const x = new Float32Array(cap);
  const y = new Float32Array(cap);
  const w = new Float32Array(cap);
  const h = new Float32Array(cap);
  const color = new Uint16Array(cap);
  const flags = new Uint8Array(cap);
  const tick = new Uint32Array(cap);
  const row = new Uint32Array(cap);
  const thread = new Uint32Array(cap);
  const colStart = new Uint32Array(nCols + 1);
  const step = history.stepMs ?? 0;
  let n = 0;
  for (let c = 0; c < nCols; c++) {
    const t = vp.x0 + c;
    colStart[c] = n;
    const pc = history.pcpu[t];
    if (pc === undefined) continue;
    const ranRow = history.ran?.[t];
    const start = history.ticks[t] ?? 0;
    const cx = Math.floor(colX[c] ?? 0);
    const cw = Math.max(1, Math.ceil(colX[c + 1] ?? 0) - cx);
    for (let r = 0; r < nRows; r++) {
      const th = rows[r] ?? -1;
      const p = pc[th];
      if (p === null || p === undefined) continue;
      const ry = Math.floor(rowY[r] ?? 0);
      x[n] = cx;
      w[n] = cw;
      y[n] = ry;
      h[n] = Math.max(1, Math.ceil(rowY[r + 1] ?? 0) - ry);
      color[n] = colorOfPcpu(p);
      const ran = ranRow === undefined ? 1 : (ranRow[th] ?? 1);
      flags[n] = (ran === 0 ? CellFlag.STALE : 0) | (covers(violations[th] ?? null, start, start + step) ? CellFlag.VIOLATION : 0);
      tick[n] = t;
      row[n] = r;
      thread[n] = th;
      n++;
    }
  }
  colStart[nCols] = n;
  return {
    count: n,
    x: x.subarray(0, n),
    y: y.subarray(0, n),
    w: w.subarray(0, n),
    h: h.subarray(0, n),
    color: color.subarray(0, n),
    flags: flags.subarray(0, n),
    tick: tick.subarray(0, n),
    row: row.subarray(0, n),
    thread: thread.subarray(0, n),
    rowKeys: [...rows],
    viewport: vp,
    colX,
    rowY,
    colStart,
  };
}
