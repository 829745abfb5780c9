// What the host and VM pages show of exact mode (docs/api.md "Exact mode"), from a snapshot: the
// tasks that ran on a pCPU in the interval, a thread's run time per pCPU, wake-up latency.
import { columnNs, columnTasks } from '../heatmap/column-tasks';
import type { Snapshot, SnapshotResidency, SnapshotWakeLatency } from '../model/snapshot';
import type { History } from '../api/history';
import { formatShare } from './format';

export interface RanHere {
  readonly comm: string; // thread name (a VM thread: its VM's thread label)
  readonly pid: number | null;
  readonly tid: number;
  /** The VM it belongs to, or null for a host task. */
  readonly vm: string | null;
  readonly kernel: boolean;
  /** Run time on the pCPU in the interval; null when sampled (it ran, and was last seen here). */
  readonly ns: number | null;
}

export interface WhoElse {
  readonly exact: boolean;
  /** Most run time first. */
  readonly tasks: readonly RanHere[];
  /** Tasks the agent did not list one by one (`othersRest`). */
  readonly rest: { readonly tasks: number; readonly ns: number } | null;
  readonly irqs: readonly { readonly irq: string; readonly name: string; readonly count: number }[];
  readonly intervalNs: number | null;
}

/**
 * Every task that ran on pCPU `cpu` in the snapshot's interval: the VM threads whose residency
 * names it and the other tasks the agent saw there (`others`, pinned and isolated pCPUs only).
 * Sampled snapshots know only the VM threads that last ran there, without run time.
 */
export function whoElseRan(s: Snapshot, cpu: number): WhoElse {
  const c = s.topology.cpus.find((x) => x.cpu === cpu);
  const exact = s.mode === 'exact';
  const seen = new Set<number>();
  const tasks: RanHere[] = [];
  for (const o of c?.others ?? []) {
    seen.add(o.tid);
    tasks.push({ comm: o.comm, pid: o.pid, tid: o.tid, vm: o.vm ?? null, kernel: o.kernel, ns: o.ns });
  }
  for (const vm of s.vms) {
    for (const t of vm.threads) {
      if (seen.has(t.tid)) continue;
      const vcpu = t.role === 'vcpu' ? vm.vcpus.find((v) => v.tid === t.tid) : undefined;
      const residency = vcpu?.residency ?? t.residency;
      let ns: number | null;
      if (residency !== undefined) ns = residency.find((r) => r.pcpu === cpu)?.ns ?? 0;
      else ns = t.ran && t.pcpu === cpu ? null : 0; // sampled, or not followed all interval
      if (ns === 0) continue;
      seen.add(t.tid);
      tasks.push({ comm: t.role === 'vcpu' ? `vCPU ${t.vcpu ?? '?'} (${t.name})` : t.name, pid: vm.pid, tid: t.tid, vm: vm.name, kernel: false, ns });
    }
  }
  tasks.sort((a, b) => (b.ns ?? -1) - (a.ns ?? -1) || a.tid - b.tid);
  return {
    exact,
    tasks,
    rest: c?.othersRest !== undefined && c.othersRest.tasks > 0 ? c.othersRest : null,
    irqs: [...(c?.irqs ?? [])].sort((a, b) => b.count - a.count),
    intervalNs: s.intervalMs === null ? null : s.intervalMs * 1e6,
  };
}

export interface WhoElseWindow extends WhoElse {
  /** Columns (ticks or buckets) of the window with exact figures for this pCPU. */
  readonly columns: number;
  readonly lostEvents: number;
}

/**
 * Every task that ran on pCPU `cpu` over history columns [x0, x1) (default: the whole window),
 * summed per task (tid, comm, VM), most run time first; IRQs and the tasks not listed one by one
 * summed too. `intervalNs` is the time of the columns with exact figures; null when none had any
 * (a sampled host, or history without counters).
 */
export function whoElseOverWindow(h: History, cpu: number, x0 = 0, x1 = h.ticks.length): WhoElseWindow {
  const byTask = new Map<string, { -readonly [K in keyof RanHere]: RanHere[K] } & { ns: number }>();
  const irqs = new Map<string, { irq: string; name: string; count: number }>();
  const rest = { tasks: 0, ns: 0 };
  let columns = 0;
  let spanNs = 0;
  let lost = 0;
  const ci = h.cpus?.indexOf(cpu) ?? -1;
  for (let t = Math.max(0, x0); t < Math.min(x1, h.ticks.length); t++) {
    const tasks = columnTasks(h, t);
    const ce = ci >= 0 ? h.cpuExact?.[t]?.[ci] : undefined;
    const list = tasks?.get(cpu);
    if (tasks === null || (list === undefined && (ce === null || ce === undefined))) continue;
    columns++;
    spanNs += columnNs(h, t);
    for (const x of list ?? []) {
      const k = `${x.tid}\n${x.comm}\n${x.vm ?? ''}`;
      const cur = byTask.get(k);
      if (cur !== undefined) cur.ns += x.ns;
      else byTask.set(k, { comm: x.comm, pid: x.pid, tid: x.tid, vm: x.vm, kernel: x.kernel, ns: x.ns });
    }
    if (ce !== null && ce !== undefined) {
      rest.tasks += ce.othersRest?.tasks ?? 0;
      rest.ns += ce.othersRest?.ns ?? 0;
      for (const q of ce.irqs ?? []) {
        const cur = irqs.get(q.irq);
        irqs.set(q.irq, cur === undefined ? { ...q } : { ...cur, count: cur.count + q.count });
      }
      lost += ce.lostEvents ?? 0;
    }
  }
  const tasks = [...byTask.values()].sort((a, b) => b.ns - a.ns || a.tid - b.tid);
  return {
    exact: columns > 0,
    tasks,
    rest: rest.tasks > 0 ? rest : null,
    irqs: [...irqs.values()].sort((a, b) => b.count - a.count),
    intervalNs: columns > 0 ? spanNs : null,
    columns,
    lostEvents: lost,
  };
}

/** "1.25 ms", "830 µs", "2.40 s". */
export function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : ns >= 1e7 ? 1 : 2)} ms`;
  if (ns >= 1e3) return `${Math.round(ns / 1e3)} µs`;
  return `${Math.round(ns)} ns`;
}

/** "pCPU 2 62%, 3 30%" of the interval (most first); "did not run" for none. */
export function residencyText(r: readonly SnapshotResidency[], intervalMs: number | null): string {
  if (r.length === 0) return 'did not run';
  const total = intervalMs === null || intervalMs <= 0 ? r.reduce((n, x) => n + x.ns, 0) : intervalMs * 1e6;
  const parts = [...r].sort((a, b) => b.ns - a.ns || a.pcpu - b.pcpu).map((x) => `${x.pcpu}: ${formatShare(Math.min(1, x.ns / total))}`);
  return `pCPU ${parts.join(', ')}`;
}

/** "p50 12 µs · p99 80 µs · max 1.20 ms (14)"; "no wake-up" for null. */
export function latencyText(w: SnapshotWakeLatency | null): string {
  if (w === null) return 'no wake-up';
  return `p50 ${formatNs(w.p50)} · p99 ${formatNs(w.p99)} · max ${formatNs(w.max)} (${w.count})`;
}
