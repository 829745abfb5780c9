// What the host and VM pages show of exact mode (docs/api.md "Exact mode"), from a snapshot: the
// tasks that ran on a pCPU in the interval, a thread's run time per pCPU, wake-up latency.
import type { Snapshot, SnapshotResidency, SnapshotWakeLatency } from '../model/snapshot';
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
