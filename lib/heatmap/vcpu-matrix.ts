// vCPU x pCPU share matrix for a window of a History: for each vCPU thread, the share of its
// observed ticks it was on each pCPU, plus (from a Snapshot, optional) which cells are pinned.
import type { Snapshot } from '../model/snapshot';
import type { History } from '../api/history';

export interface VcpuMatrixOptions {
  /** Tick index range [x0, x1); default the whole history. */
  readonly x0?: number;
  readonly x1?: number;
  /** Column order (e.g. topology order from orderCpus); pCPUs seen or pinned but not listed are appended ascending. Default: all seen or pinned, ascending. */
  readonly cols?: readonly number[];
  /** Count ticks where the thread did not run (its pCPU is its last one). Default true. */
  readonly includeStale?: boolean;
  /** Marks pinned cells from the vCPUs' `pin` in this snapshot (matched by VM name, pid and tid). */
  readonly snapshot?: Snapshot;
}

export interface VcpuRowLabel {
  readonly thread: number; // index into history.threads
  readonly key: string;
  readonly vm: string;
  readonly vcpu: number | null;
  readonly tid: number;
}

export interface VcpuMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows x cols, row-major: share (0..1) of the row's observed ticks on the column's pCPU; a row with no ticks is all 0. */
  readonly share: Float32Array;
  /** Observed ticks per row (the denominator of its shares). */
  readonly ticks: Uint32Array;
  readonly rowLabels: readonly VcpuRowLabel[];
  readonly colCpus: readonly number[];
  /** rows x cols: 1 where the row's vCPU is pinned to the column's pCPU; null without a snapshot. */
  readonly pinned: Uint8Array | null;
}

/**
 * With buckets (history.stepMs set) a bucket counts once for the pCPU the thread spent most of it
 * on; the per-bucket `share` does not say where the rest went, so it is not used.
 */
export function vcpuMatrix(history: History, opts: VcpuMatrixOptions = {}): VcpuMatrix {
  const n = history.ticks.length;
  const x0 = opts.x0 ?? 0;
  const x1 = Math.min(opts.x1 ?? n, n);
  if (!(Number.isInteger(x0) && Number.isInteger(x1) && x0 >= 0)) {
    throw new Error(`vcpu-matrix: x0..x1 must be tick indexes >= 0, got ${opts.x0}..${opts.x1}`);
  }
  const includeStale = opts.includeStale ?? true;

  const rowLabels = vcpuRows(history);

  const pins: (readonly number[] | null)[] = rowLabels.map(() => null);
  if (opts.snapshot !== undefined) {
    const pinOf = new Map<string, readonly number[]>();
    for (const vm of opts.snapshot.vms) {
      for (const v of vm.vcpus) if (v.pin !== null) pinOf.set(`${vm.name}:${vm.pid}:${v.tid}`, v.pin);
    }
    rowLabels.forEach((r, i) => {
      pins[i] = pinOf.get(r.key) ?? null;
    });
  }

  const colCpus = matrixColumns(history, rowLabels, x0, x1, pins, opts.cols ?? []);
  const colOf = new Map<number, number>();
  colCpus.forEach((p, c) => colOf.set(p, c));

  const layout = matrixLayout(rowLabels, colCpus);
  const { rows, cols } = layout;
  const counts = new Uint32Array(rows * cols);
  const ticks = new Uint32Array(rows);
  for (let t = x0; t < x1; t++) countTick(layout, history, t, includeStale, 1, counts, ticks);

  const share = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const d = ticks[i] ?? 0;
    if (d === 0) continue;
    for (let c = 0; c < cols; c++) share[i * cols + c] = (counts[i * cols + c] ?? 0) / d;
  }

  let pinned: Uint8Array | null = null;
  if (opts.snapshot !== undefined) {
    pinned = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (const p of pins[i] ?? []) {
        const c = colOf.get(p);
        if (c !== undefined) pinned[i * cols + c] = 1;
      }
    }
  }

  return { rows, cols, share, ticks, rowLabels, colCpus, pinned };
}

/** Rows and columns of a matrix as typed lookups for the hot counting loop. */
export interface MatrixLayout {
  readonly rows: number;
  readonly cols: number;
  readonly rowLabels: readonly VcpuRowLabel[];
  readonly colCpus: readonly number[];
  readonly rowThread: Int32Array; // row -> thread index
  readonly colOfCpu: Int32Array; // pCPU id -> column, -1 when not a column
}

export function matrixLayout(rowLabels: readonly VcpuRowLabel[], colCpus: readonly number[]): MatrixLayout {
  const maxCpu = colCpus.reduce((m, p) => Math.max(m, p), 0);
  const colOfCpu = new Int32Array(maxCpu + 1).fill(-1);
  colCpus.forEach((p, c) => (colOfCpu[p] = c));
  return { rows: rowLabels.length, cols: colCpus.length, rowLabels, colCpus, rowThread: Int32Array.from(rowLabels, (r) => r.thread), colOfCpu };
}

/**
 * Adds (sign 1) or removes (sign -1) tick `t` of `history` to per-cell counts and per-row tick
 * counts. Returns false when a vCPU was on a pCPU that has no column (the layout must be rebuilt).
 * Hot loop (ticks x vCPUs, 460k for a 512-vCPU host over 15 min): plain loops over typed arrays.
 */
export function countTick(layout: MatrixLayout, history: History, t: number, includeStale: boolean, sign: 1 | -1, counts: Uint32Array, ticks: Uint32Array): boolean {
  const pc = history.pcpu[t];
  if (pc === undefined) return true;
  const ran = includeStale ? undefined : history.ran?.[t];
  const { rows, cols, rowThread, colOfCpu } = layout;
  let complete = true;
  for (let i = 0; i < rows; i++) {
    const th = rowThread[i] ?? 0;
    const p = pc[th];
    if (p === null || p === undefined) continue;
    if (ran !== undefined && ran[th] === 0) continue;
    const c = colOfCpu[p] ?? -1;
    if (c < 0) {
      complete = false;
      continue;
    }
    counts[i * cols + c] = (counts[i * cols + c] ?? 0) + sign;
    ticks[i] = (ticks[i] ?? 0) + sign;
  }
  return complete;
}

/** The rows: every vCPU thread of the history, in history order. */
export function vcpuRows(history: History): VcpuRowLabel[] {
  const rowLabels: VcpuRowLabel[] = [];
  history.threads.forEach((t, i) => {
    if (t.role === 'vcpu') rowLabels.push({ thread: i, key: t.key, vm: t.vm, vcpu: t.vcpu, tid: t.tid });
  });
  return rowLabels;
}

/** The columns: `cols` in order, then the pCPUs seen in ticks [x0, x1) or pinned that it lacks, ascending. */
export function matrixColumns(
  history: History,
  rowLabels: readonly VcpuRowLabel[],
  x0: number,
  x1: number,
  pins: readonly (readonly number[] | null)[],
  cols: readonly number[],
): number[] {
  const listed = new Set(cols);
  const extra = new Set<number>();
  for (let t = x0; t < x1; t++) {
    const pc = history.pcpu[t];
    if (pc === undefined) continue;
    for (const r of rowLabels) {
      const p = pc[r.thread];
      if (p !== null && p !== undefined && !listed.has(p)) extra.add(p);
    }
  }
  for (const pin of pins) for (const p of pin ?? []) if (!listed.has(p)) extra.add(p);
  return [...cols, ...[...extra].sort((a, b) => a - b)];
}
