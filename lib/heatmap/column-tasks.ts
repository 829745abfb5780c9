// Exact mode in a history column (docs/api.md "History", counters=1): every task that ran on each
// pCPU in that tick or bucket, with its run time. The VM threads come from their rows' residency,
// the other tasks from the pCPU's `others` (watched pCPUs only); a task in both (a vCPU of another
// VM that is not pinned there) is counted once, from its row. The host timeline splits a cell by
// these shares, its tooltip lists them, and "who else ran here" sums them over the window. Pure.
import type { History } from '../api/history';

export interface ColumnTask {
  /** Index into history.threads, or -1 for a task known only from the pCPU's `others`. */
  readonly thread: number;
  readonly tid: number;
  readonly pid: number | null;
  /** Thread name (a vCPU: "vCPU n (CPU n/KVM)"). */
  readonly comm: string;
  /** The VM it belongs to, or null for a host task. */
  readonly vm: string | null;
  readonly kernel: boolean;
  readonly vcpu: boolean;
  readonly ns: number; // run time on the pCPU in the column
}

/** The column's length in ns: its bucket, else the time since the previous tick (the first: the next gap, else 1 s). */
export function columnNs(h: History, t: number): number {
  if (h.stepMs !== null) return h.stepMs * 1e6;
  const at = h.ticks[t];
  const prev = h.ticks[t - 1];
  const next = h.ticks[t + 1];
  const gap = at !== undefined && prev !== undefined ? at - prev : at !== undefined && next !== undefined ? next - at : 1000;
  return Math.max(1, gap) * 1e6;
}

/** Whether the history carries exact figures (counters=1 of an exact host). */
export function hasExact(h: History): boolean {
  return h.residency !== undefined || h.cpuExact !== undefined;
}

/**
 * pCPU -> the tasks that ran there in column `t`, most run time first (then by tid); null when
 * the column has no exact figures at all (a sampled tick, the first sample).
 */
export function columnTasks(h: History, t: number): Map<number, ColumnTask[]> | null {
  const res = h.residency?.[t];
  const cpuEx = h.cpuExact?.[t];
  let any = false;
  const out = new Map<number, ColumnTask[]>();
  const seen = new Map<number, Set<number>>(); // pCPU -> tids from rows
  const push = (cpu: number, task: ColumnTask): void => {
    let list = out.get(cpu);
    if (list === undefined) out.set(cpu, (list = []));
    list.push(task);
  };
  if (res !== undefined) {
    for (let th = 0; th < res.length; th++) {
      const r = res[th];
      const meta = h.threads[th];
      if (r === null || r === undefined || meta === undefined) continue;
      any = true;
      const isVcpu = meta.role === 'vcpu';
      const comm = isVcpu ? `vCPU ${meta.vcpu ?? '?'} (${meta.name})` : meta.name;
      for (const x of r) {
        if (x.ns <= 0) continue;
        push(x.pcpu, { thread: th, tid: meta.tid, pid: meta.pid, comm, vm: meta.vm, kernel: false, vcpu: isVcpu, ns: x.ns });
        let s = seen.get(x.pcpu);
        if (s === undefined) seen.set(x.pcpu, (s = new Set()));
        s.add(meta.tid);
      }
    }
  }
  if (cpuEx !== undefined) {
    const ids = h.cpus ?? [];
    for (let i = 0; i < cpuEx.length; i++) {
      const c = cpuEx[i];
      const cpu = ids[i];
      if (c === null || c === undefined || cpu === undefined) continue;
      any = true;
      const fromRows = seen.get(cpu);
      for (const o of c.others ?? []) {
        if (o.ns <= 0 || fromRows?.has(o.tid) === true) continue;
        push(cpu, { thread: -1, tid: o.tid, pid: o.pid, comm: o.comm, vm: o.vm ?? null, kernel: o.kernel, vcpu: false, ns: o.ns });
      }
    }
  }
  if (!any) return null;
  for (const list of out.values()) list.sort((a, b) => b.ns - a.ns || a.tid - b.tid);
  return out;
}
