// Pure geometry for the host timeline heatmap (STYLE 5-7): one row per pCPU, one column per tick,
// a cell where a vCPU thread was on that pCPU at that tick, coloured by its VM. The renderer
// (canvas-renderer.ts) only draws these cells; tooltips hit-test them with cellAt.
import { CellBuilder } from './cell-builder';
import { cellState, CellState } from './cell-colors';
import { columnNs, columnTasks, hasExact, type ColumnTask } from './column-tasks';
import type { SnapshotCpu } from '../model/snapshot';
import type { History } from '../api/history';

export type TopologyCpu = Pick<SnapshotCpu, 'cpu' | 'socket' | 'node' | 'core' | 'siblings'>;

/** The visible part of the timeline: a pixel size and a tick index range [x0, x1). */
export interface Viewport {
  readonly width: number; // px
  readonly height: number; // px
  readonly x0: number; // first visible tick index
  readonly x1: number; // one past the last visible tick index (clamped to the number of ticks)
}

/** Cell flag bits. */
export const CellFlag = {
  /** The thread did not run since the previous tick: its pCPU is a stale observation. */
  STALE: 1,
  /** The thread was in an off-pin violation at that tick. */
  VIOLATION: 2,
  /** Reserved for "no thread on this pCPU": never emitted (empty cells are simply absent). */
  EMPTY: 4,
  /** Exact mode: one part of a cell that several tasks shared (the cell is split by their run time). */
  SHARED: 8,
} as const;

/** The thread of a cell part that stands for tasks with no row of their own (host tasks, another VM's). */
export const NO_THREAD = 0xffffffff;

/** Exact mode: a task takes a part of a timeline cell when it ran at least this share of the tick there. */
export const MIN_PART_SHARE = 0.01;

export interface TimelineCells {
  readonly count: number;
  // Per cell, index 0..count-1 (typed-array views of exactly `count` entries).
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly w: Float32Array;
  readonly h: Float32Array;
  readonly color: Uint16Array; // palette index
  readonly flags: Uint8Array; // CellFlag bits
  /** Cells with CellFlag.VIOLATION (0: a caller need not look for them). */
  readonly violationCount: number;
  readonly tick: Uint32Array; // tick index into history.ticks
  readonly row: Uint32Array; // row index into rowKeys
  readonly thread: Uint32Array; // thread index into history.threads
  /**
   * What each row is, top to bottom. Host timeline: the pCPU id (topology order, then pCPUs the
   * history names that the topology lacks, ascending). VM timeline: the thread index.
   */
  readonly rowKeys: readonly number[];
  readonly viewport: Viewport; // as used (x1 clamped)
  /** Pixel offsets: column c (tick x0+c) spans colX[c]..colX[c+1]; row r spans rowY[r]..rowY[r+1]. */
  readonly colX: Float32Array;
  readonly rowY: Float32Array;
  /** Cells of column c are colStart[c]..colStart[c+1]-1, ascending by row (for cellAt). */
  readonly colStart: Uint32Array;
}

/** Topology order: socket, NUMA node, core, SMT thread (position among its siblings), then CPU id. */
export function orderCpus(cpus: readonly TopologyCpu[]): number[] {
  const smt = (c: TopologyCpu): number => {
    const i = [...c.siblings].sort((a, b) => a - b).indexOf(c.cpu);
    return i < 0 ? 0 : i;
  };
  const keyed = cpus.map((c) => ({ c, t: smt(c) }));
  keyed.sort((a, b) => a.c.socket - b.c.socket || a.c.node - b.c.node || a.c.core - b.c.core || a.t - b.t || a.c.cpu - b.c.cpu);
  return keyed.map((k) => k.c.cpu);
}

export function checkViewport(v: Viewport, ticks: number): Viewport {
  if (!(Number.isFinite(v.width) && v.width > 0 && Number.isFinite(v.height) && v.height > 0)) {
    throw new Error(`timeline-cells: viewport width and height must be positive numbers of px, got ${v.width}x${v.height}`);
  }
  if (!(Number.isInteger(v.x0) && Number.isInteger(v.x1) && v.x0 >= 0 && v.x1 > v.x0)) {
    throw new Error(`timeline-cells: viewport x0..x1 must be tick indexes with 0 <= x0 < x1, got ${v.x0}..${v.x1}`);
  }
  return { ...v, x1: Math.max(v.x0, Math.min(v.x1, ticks)) };
}

/** Per thread: the [from, to] epoch-ms intervals of its off-pin violations, or null. */
export function offPinIntervals(history: History): (readonly number[] | null)[] {
  const byThread = new Map<string, number[]>();
  for (const v of history.violations) {
    if (v.kind !== 'off-pin') continue;
    const tids = new Set<number>(v.tids ?? []);
    if (v.tid !== undefined) tids.add(v.tid);
    for (const tid of tids) {
      const k = `${v.vm}\u0000${tid}`;
      const list = byThread.get(k) ?? [];
      list.push(v.since, v.lastSeen);
      byThread.set(k, list);
    }
  }
  return history.threads.map((t) => byThread.get(`${t.vm}\u0000${t.tid}`) ?? null);
}

export function covers(intervals: readonly number[] | null, start: number, end: number): boolean {
  if (intervals === null) return false;
  for (let i = 0; i + 1 < intervals.length; i += 2) {
    const since = intervals[i] ?? Infinity;
    const last = intervals[i + 1] ?? -Infinity;
    if (since <= end && last >= start) return true;
  }
  return false;
}

/** How cells are coloured beyond colorOf: a chosen VM (the rest dimmed), or by state. */
export interface TimelineColoring {
  /** Cells of every other VM get their colour index + dimOffset (the dimmed half of the palette). */
  readonly chosenVm?: string | null;
  readonly dimOffset?: number;
  /**
   * Colour by state (cell-colors.ts CellState) instead of by VM: the pin of a thread by its history
   * key (null: no pin). Off pin is judged against this pin, or the thread's off-pin violations.
   */
  readonly pinOf?: ((key: string) => readonly number[] | null) | null;
  /**
   * Exact mode: the colour index of the part of a cell that host tasks took (tasks of no VM; by
   * state it is "host load" whatever this says). Absent: host tasks take no part of a cell.
   */
  readonly hostColor?: number | null;
}

/** pCPU id -> row as a typed lookup (-1: no row): the cell loops run ticks x vCPU threads times. */
export function cpuRows(rowKeys: readonly number[]): Int32Array {
  const rows = new Int32Array(rowKeys.reduce((m, p) => Math.max(m, p), 0) + 1).fill(-1);
  rowKeys.forEach((cpu, r) => (rows[cpu] = r));
  return rows;
}

/** The indexes of a history's vCPU threads. */
export function vcpuThreadIndexes(history: History): Int32Array {
  const out: number[] = [];
  history.threads.forEach((t, i) => {
    if (t.role === 'vcpu') out.push(i);
  });
  return Int32Array.from(out);
}

/**
 * The pCPUs, ascending, that the vCPU threads `vcpuIdx` were seen on in ticks [x0, x1) and that
 * have no row in `rowOfCpu` (cpuRows). One pass over half a million cells on a big host.
 */
export function unseenPcpus(history: History, vcpuIdx: Int32Array, rowOfCpu: Int32Array, x0: number, x1: number): number[] {
  const nV = vcpuIdx.length;
  const unknown = new Set<number>();
  for (let t = x0; t < x1; t++) {
    const col = history.pcpu[t];
    if (col === undefined) continue;
    for (let k = 0; k < nV; k++) {
      const p = col[vcpuIdx[k] ?? 0];
      if (p !== null && p !== undefined && (p >= rowOfCpu.length || (rowOfCpu[p] ?? -1) < 0)) unknown.add(p);
    }
  }
  return [...unknown].sort((a, b) => a - b);
}

/** What timelineCells works out once per history, rows and colouring, not once per chunk of columns. */
interface Prepared {
  readonly vcpuIdx: Int32Array;
  readonly rowKeys: readonly number[];
  readonly rowOfCpu: Int32Array;
  readonly byState: boolean;
  readonly pinOfThread: (readonly number[] | null)[];
  readonly colorOfThread: Uint16Array;
  readonly dimOfThread: Uint16Array;
  readonly violations: (readonly number[] | null)[];
  readonly chosen: string | null;
  readonly exact: boolean;
}

// One entry: a heatmap draws a history in many chunks of columns with the same arguments.
let lastPrepared: { history: History; cpus: readonly TopologyCpu[]; colorOf: (vm: string) => number; coloring: TimelineColoring; prep: Prepared } | null = null;

function prepared(history: History, cpus: readonly TopologyCpu[], colorOf: (vm: string) => number, coloring: TimelineColoring): Prepared {
  const last = lastPrepared;
  if (last !== null && last.history === history && last.cpus === cpus && last.colorOf === colorOf && last.coloring === coloring) return last.prep;
  const rowKeys = orderCpus(cpus);
  const byState = coloring.pinOf !== null && coloring.pinOf !== undefined;
  const chosen = coloring.chosenVm ?? null;
  const prep: Prepared = {
    vcpuIdx: vcpuThreadIndexes(history),
    rowKeys,
    rowOfCpu: cpuRows(rowKeys),
    byState,
    pinOfThread: byState ? history.threads.map((t) => coloring.pinOf?.(t.key) ?? null) : [],
    colorOfThread: Uint16Array.from(history.threads, (t) => (byState ? 0 : colorOf(t.vm))),
    dimOfThread: Uint16Array.from(history.threads, (t) => (chosen !== null && t.vm !== chosen ? (coloring.dimOffset ?? 0) : 0)),
    violations: offPinIntervals(history),
    chosen,
    exact: hasExact(history),
  };
  lastPrepared = { history, cpus, colorOf, coloring, prep };
  return prep;
}

/**
 * The cells of the visible ticks. For each tick and pCPU at most one cell: of the vCPU threads that
 * report that pCPU, the one that ran wins, then the lower thread index. Non-vCPU threads are ignored.
 * A tick with exact figures (history with counters=1 of an exact host) is drawn from run time
 * where it can be: a pCPU where a vCPU (or, with `hostColor`, another task) ran at least
 * MIN_PART_SHARE of the tick gets a cell split top down by run time when several did (SHARED):
 * each vCPU its part, the other tasks of a VM one part in its colour, host tasks one part. Other
 * pCPUs of the tick keep the sampled cell (a vCPU idle there, faded).
 */
export function timelineCells(
  history: History,
  cpus: readonly TopologyCpu[],
  viewport: Viewport,
  colorOf: (vm: string) => number,
  coloring: TimelineColoring = {},
): TimelineCells {
  const vp = checkViewport(viewport, history.ticks.length);
  const nCols = vp.x1 - vp.x0;
  const prep = prepared(history, cpus, colorOf, coloring);
  const { vcpuIdx, byState, pinOfThread, colorOfThread, dimOfThread, violations, chosen, exact } = prep;
  const nV = vcpuIdx.length;

  // Rows: topology order, then unknown pCPUs the visible vCPU threads were seen on.
  let rowKeys = prep.rowKeys;
  let rowOfCpu = prep.rowOfCpu;
  const unknown = unseenPcpus(history, vcpuIdx, rowOfCpu, vp.x0, vp.x1);
  if (unknown.length > 0) {
    rowKeys = [...rowKeys, ...unknown];
    rowOfCpu = cpuRows(rowKeys);
  }
  const nRows = rowKeys.length;
  const maxCpu = rowOfCpu.length - 1;
  const out = new CellBuilder(vp, nRows, nCols * Math.min(nRows, nV));

  const winner = new Int32Array(nRows).fill(-1);
  const winnerRan = new Uint8Array(nRows);
  const step = history.stepMs ?? 0;
  const hostColor = byState ? CellState.HOST_LOAD : (coloring.hostColor ?? null);
  const hostDim = chosen !== null ? (coloring.dimOffset ?? 0) : 0;
  for (let c = 0; c < nCols; c++) {
    const t = vp.x0 + c;
    out.column(c);
    const start = history.ticks[t] ?? 0;
    const tasks = exact ? columnTasks(history, t) : null;
    const parts = tasks === null ? null : exactParts(tasks, MIN_PART_SHARE * columnNs(history, t), (cpu) => (cpu <= maxCpu ? (rowOfCpu[cpu] ?? -1) : -1), (th, cpu) => {
      const violation = covers(violations[th] ?? null, start, start + step);
      const color = byState ? cellState(true, pinOfThread[th] ?? null, cpu, violation) : (colorOfThread[th] ?? 0);
      return { color: color + (dimOfThread[th] ?? 0), flags: violation ? CellFlag.VIOLATION : 0 };
    }, hostColor === null ? null : (vm) => (vm === null || byState ? hostColor + hostDim : colorOf(vm) + (chosen !== null && vm !== chosen ? (coloring.dimOffset ?? 0) : 0)));
    const pc = history.pcpu[t];
    if (pc === undefined && parts === null) continue;
    const ranRow = history.ran?.[t];
    for (let k = 0; pc !== undefined && k < nV; k++) {
      const th = vcpuIdx[k] ?? 0;
      const p = pc[th];
      if (p === null || p === undefined || p > maxCpu) continue;
      const r = rowOfCpu[p] ?? -1;
      if (r < 0) continue;
      const ran = ranRow === undefined ? 1 : (ranRow[th] ?? 1);
      const cur = winner[r] ?? -1;
      if (cur < 0 || (ran === 1 && winnerRan[r] === 0)) {
        winner[r] = th;
        winnerRan[r] = ran;
      }
    }
    for (let r = 0; r < nRows; r++) {
      const th = winner[r] ?? -1;
      winner[r] = -1;
      // Exact: the tasks' run time where some ran enough to show; elsewhere what the sample says.
      const split = parts?.get(r);
      if (split !== undefined) {
        const total = split.reduce((n, p) => n + p.ns, 0);
        const shared = split.length > 1 ? CellFlag.SHARED : 0;
        let f = 0;
        split.forEach((p, i) => {
          const f1 = f + p.ns / total;
          out.part(r, f, i === split.length - 1 ? 1 : f1, p.color, p.flags | shared, p.thread);
          f = f1;
        });
        continue;
      }
      if (th < 0) continue;
      const violation = covers(violations[th] ?? null, start, start + step);
      const flags = (winnerRan[r] === 0 ? CellFlag.STALE : 0) | (violation ? CellFlag.VIOLATION : 0);
      const color = byState ? cellState(winnerRan[r] === 1, pinOfThread[th] ?? null, rowKeys[r] ?? -1, violation) : (colorOfThread[th] ?? 0);
      out.cell(r, color + (dimOfThread[th] ?? 0), flags, th);
    }
  }
  return out.finish(rowKeys);
}

interface Part {
  readonly ns: number;
  readonly color: number;
  readonly flags: number;
  readonly thread: number;
}

/**
 * The parts of an exact column's cells by row, largest first: a part per vCPU and one per VM (its
 * other tasks) or for host tasks (`otherColor`, null: none), each of at least `minNs`.
 */
function exactParts(
  tasks: ReadonlyMap<number, readonly ColumnTask[]>,
  minNs: number,
  rowOf: (cpu: number) => number,
  vcpuLook: (thread: number, cpu: number) => { color: number; flags: number },
  otherColor: ((vm: string | null) => number) | null,
): Map<number, Part[]> {
  const out = new Map<number, Part[]>();
  for (const [cpu, list] of tasks) {
    const r = rowOf(cpu);
    if (r < 0) continue;
    const parts: Part[] = [];
    const others = new Map<string | null, number>(); // VM (null: host) -> ns
    for (const task of list) {
      if (task.vcpu && task.thread >= 0) {
        if (task.ns >= minNs) parts.push({ ns: task.ns, ...vcpuLook(task.thread, cpu), thread: task.thread });
      } else if (otherColor !== null) others.set(task.vm, (others.get(task.vm) ?? 0) + task.ns);
    }
    const grouped = new Map<number, number>(); // colour -> ns (by state every other task is host load)
    for (const [vm, ns] of others) {
      const c = otherColor?.(vm) ?? 0;
      grouped.set(c, (grouped.get(c) ?? 0) + ns);
    }
    for (const [color, ns] of grouped) if (ns >= minNs) parts.push({ ns, color, flags: 0, thread: NO_THREAD });
    if (parts.length === 0) continue;
    parts.sort((a, b) => b.ns - a.ns || a.thread - b.thread);
    out.set(r, parts);
  }
  return out;
}

/** Index of the last offset <= v in an ascending array of n+1 offsets, or -1 when v is outside. */
function band(offsets: Float32Array, v: number): number {
  const n = offsets.length - 1;
  if (n <= 0 || !(v >= (offsets[0] ?? 0) && v < (offsets[n] ?? 0))) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((offsets[mid] ?? Infinity) <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The cell under a pixel (viewport coordinates), or -1. O(log columns + log rows). */
export function cellAt(cells: TimelineCells, px: number, py: number): number {
  const c = band(cells.colX, px);
  const r = band(cells.rowY, py);
  if (c < 0 || r < 0) return -1;
  let lo = cells.colStart[c] ?? 0;
  let hi = (cells.colStart[c + 1] ?? 0) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const mr = cells.row[mid] ?? 0;
    if (mr === r) return mid;
    if (mr < r) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
