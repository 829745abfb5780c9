// The vCPU x pCPU matrix of a live history, kept up to date per frame: the ticks that left the
// window are subtracted and the new ones added (O(vCPUs) per frame instead of O(ticks x vCPUs)).
// A new history (epoch), a new vCPU thread or a pCPU without a column rebuilds it.
import type { Snapshot } from '../model/snapshot';
import type { History } from '../api/history';
import type { LiveHistory } from '../ui/live-history';
import { countTick, matrixColumns, matrixLayout, vcpuRows, type MatrixLayout, type VcpuMatrix } from './vcpu-matrix';

export interface LiveMatrix {
  readonly epoch: number;
  readonly base: number; // first absolute tick counted
  readonly length: number; // ticks counted
  readonly threads: number; // history.threads.length when built or last updated
  readonly history: History; // the history last counted (to subtract the ticks that leave)
  readonly cols: readonly number[]; // the requested column order
  readonly layout: MatrixLayout;
  readonly counts: Uint32Array;
  readonly ticks: Uint32Array;
}

function build(lh: LiveHistory, cols: readonly number[]): LiveMatrix {
  const h = lh.history;
  const n = h.ticks.length;
  const rows = vcpuRows(h);
  const layout = matrixLayout(rows, matrixColumns(h, rows, 0, n, [], cols));
  const counts = new Uint32Array(layout.rows * layout.cols);
  const ticks = new Uint32Array(layout.rows);
  for (let t = 0; t < n; t++) countTick(layout, h, t, true, 1, counts, ticks);
  return { epoch: lh.epoch, base: lh.base, length: n, threads: h.threads.length, history: h, cols, layout, counts, ticks };
}

function sameCols(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The matrix of `lh`: from `prev` when only whole ticks came and went, else rebuilt. Mutates prev's counts. */
export function updateLiveMatrix(prev: LiveMatrix | null, lh: LiveHistory, cols: readonly number[]): LiveMatrix {
  const h = lh.history;
  // Also rebuilt for a history older than the one counted (a render React threw away and redid).
  if (prev === null || prev.epoch !== lh.epoch || !sameCols(prev.cols, cols) || lh.base < prev.base || lh.base + h.ticks.length < prev.base + prev.length) {
    return build(lh, cols);
  }
  for (let i = prev.threads; i < h.threads.length; i++) if (h.threads[i]?.role === 'vcpu') return build(lh, cols);
  const { layout, counts, ticks } = prev;
  const prevEnd = prev.base + prev.length;
  const end = lh.base + h.ticks.length;
  for (let abs = prev.base; abs < Math.min(lh.base, prevEnd); abs++) countTick(layout, prev.history, abs - prev.base, true, -1, counts, ticks);
  for (let abs = Math.max(prevEnd, lh.base); abs < end; abs++) {
    if (!countTick(layout, h, abs - lh.base, true, 1, counts, ticks)) return build(lh, cols);
  }
  return { ...prev, base: lh.base, length: h.ticks.length, threads: h.threads.length, history: h };
}

/** Shares and pinned cells of a live matrix, in the shape of vcpuMatrix. */
export function liveMatrixView(m: LiveMatrix, snapshot: Snapshot | null): VcpuMatrix {
  const { rows, cols, rowLabels, colCpus, colOfCpu } = m.layout;
  const share = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const d = m.ticks[i] ?? 0;
    if (d === 0) continue;
    for (let c = 0; c < cols; c++) share[i * cols + c] = (m.counts[i * cols + c] ?? 0) / d;
  }
  let pinned: Uint8Array | null = null;
  if (snapshot !== null) {
    const marks = new Uint8Array(rows * cols);
    pinned = marks;
    const pinOf = new Map<string, readonly number[]>();
    for (const vm of snapshot.vms) for (const v of vm.vcpus) if (v.pin !== null) pinOf.set(`${vm.name}:${vm.pid}:${v.tid}`, v.pin);
    rowLabels.forEach((r, i) => {
      for (const p of pinOf.get(r.key) ?? []) {
        const c = colOfCpu[p] ?? -1;
        if (c >= 0) marks[i * cols + c] = 1;
      }
    });
  }
  return { rows, cols, share, ticks: Uint32Array.from(m.ticks), rowLabels, colCpus, pinned };
}
