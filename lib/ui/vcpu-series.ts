// A VM's vCPUs over the window, from its history with counters (docs/api.md "History"): per
// column (tick or bucket) the share of it each vCPU ran and waited on a run queue, and in exact
// mode its run time per pCPU, migrations and wake-up latency; with the window's totals. The VM
// page draws these as small charts beside each vCPU. Pure.
import { columnNs } from '../heatmap/column-tasks';
import type { History } from '../api/history';

export interface VcpuSeries {
  readonly vcpu: number | null;
  readonly tid: number;
  readonly thread: number; // index into history.threads
  /** Per column: share of it on CPU / waiting (0..1), null when unknown (or the thread did not exist). */
  readonly run: readonly (number | null)[];
  readonly wait: readonly (number | null)[];
  /** Exact mode, per column: share of it on each pCPU the vCPU ran on in the window (0 when not there). */
  readonly onPcpu: ReadonlyMap<number, readonly number[]>;
  readonly migrations: readonly (number | null)[];
  readonly wakeP99: readonly (number | null)[]; // ns
  readonly totals: {
    readonly runNs: number | null;
    readonly waitNs: number | null;
    /** Exact: ns per pCPU, most first; null when no column had a residency. */
    readonly residency: readonly { readonly pcpu: number; readonly ns: number }[] | null;
    readonly migrations: number | null;
    readonly wakeMax: number | null; // ns
    readonly wakeP99Max: number | null; // ns: the worst column's p99
    readonly wakeups: number;
    /** ns of the columns where the thread existed, and of those with a residency (exact figures). */
    readonly spanNs: number;
    readonly exactSpanNs: number;
  };
}

const sumOrNull = (a: number | null, b: number | null | undefined): number | null => (b === null || b === undefined ? a : (a ?? 0) + b);

/** The series of every vCPU thread row of `vm` in the history, by vCPU index. */
export function vcpuSeries(h: History, vm: string): VcpuSeries[] {
  const out: VcpuSeries[] = [];
  h.threads.forEach((t, th) => {
    if (t.vm !== vm || t.role !== 'vcpu') return;
    const n = h.ticks.length;
    const run: (number | null)[] = new Array<number | null>(n).fill(null);
    const wait: (number | null)[] = new Array<number | null>(n).fill(null);
    const migrations: (number | null)[] = new Array<number | null>(n).fill(null);
    const wakeP99: (number | null)[] = new Array<number | null>(n).fill(null);
    const onPcpu = new Map<number, number[]>();
    let runNs: number | null = null;
    let waitNs: number | null = null;
    let resTotal: Map<number, number> | null = null;
    let migTotal: number | null = null;
    let wakeMax: number | null = null;
    let wakeP99Max: number | null = null;
    let wakeups = 0;
    let spanNs = 0;
    let exactSpanNs = 0;
    for (let c = 0; c < n; c++) {
      if ((h.pcpu[c]?.[th] ?? null) === null) continue;
      const span = columnNs(h, c);
      spanNs += span;
      const r = h.runNs?.[c]?.[th] ?? null;
      const w = h.waitNs?.[c]?.[th] ?? null;
      run[c] = r === null ? null : Math.min(1, r / span);
      wait[c] = w === null ? null : Math.min(1, w / span);
      runNs = sumOrNull(runNs, r);
      waitNs = sumOrNull(waitNs, w);
      const res = h.residency?.[c]?.[th];
      if (res !== null && res !== undefined) {
        resTotal ??= new Map();
        exactSpanNs += span;
        for (const x of res) {
          resTotal.set(x.pcpu, (resTotal.get(x.pcpu) ?? 0) + x.ns);
          let s = onPcpu.get(x.pcpu);
          if (s === undefined) onPcpu.set(x.pcpu, (s = new Array<number>(n).fill(0)));
          s[c] = Math.min(1, x.ns / span);
        }
      }
      const m = h.migrations?.[c]?.[th] ?? null;
      migrations[c] = m;
      migTotal = sumOrNull(migTotal, m);
      const wl = h.wakeLatencyNs?.[c]?.[th] ?? null;
      if (wl !== null) {
        wakeP99[c] = wl.p99;
        wakeMax = Math.max(wakeMax ?? 0, wl.max);
        wakeP99Max = Math.max(wakeP99Max ?? 0, wl.p99);
        wakeups += wl.count;
      }
    }
    const residency = resTotal === null ? null : [...resTotal].map(([pcpu, ns]) => ({ pcpu, ns })).sort((a, b) => b.ns - a.ns || a.pcpu - b.pcpu);
    out.push({ vcpu: t.vcpu, tid: t.tid, thread: th, run, wait, onPcpu, migrations, wakeP99, totals: { runNs, waitNs, residency, migrations: migTotal, wakeMax, wakeP99Max, wakeups, spanNs, exactSpanNs } });
  });
  return out.sort((a, b) => (a.vcpu ?? Infinity) - (b.vcpu ?? Infinity) || a.tid - b.tid);
}
