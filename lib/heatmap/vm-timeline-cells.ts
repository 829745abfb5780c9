// Pure geometry for the VM timeline (SPEC "Views", VM): one row per thread of one VM (its vCPUs by
// index, then emulator, I/O and other threads), one column per tick, coloured by the pCPU the
// thread was on. Same cell layout as the host timeline, so the same renderer and hit-testing serve.
import type { History } from '../api/history';
import { CellBuilder } from './cell-builder';
import { CellFlag, checkViewport, covers, offPinIntervals, type TimelineCells, type Viewport } from './timeline-cells';

const ROLE_ORDER = { vcpu: 0, emulator: 1, iothread: 2, vhost: 3, other: 4, unknown: 5 } as const;

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
  const violations = offPinIntervals(history);
  const out = new CellBuilder(vp, nRows, nCols * nRows);
  const step = history.stepMs ?? 0;
  for (let c = 0; c < nCols; c++) {
    const t = vp.x0 + c;
    out.column(c);
    const pc = history.pcpu[t];
    if (pc === undefined) continue;
    const ranRow = history.ran?.[t];
    const start = history.ticks[t] ?? 0;
    for (let r = 0; r < nRows; r++) {
      const th = rows[r] ?? -1;
      const p = pc[th];
      if (p === null || p === undefined) continue;
      const ran = ranRow === undefined ? 1 : (ranRow[th] ?? 1);
      const flags = (ran === 0 ? CellFlag.STALE : 0) | (covers(violations[th] ?? null, start, start + step) ? CellFlag.VIOLATION : 0);
      out.cell(r, colorOfPcpu(p), flags, th);
    }
  }
  return out.finish([...rows]);
}
