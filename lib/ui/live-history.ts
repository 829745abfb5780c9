// A live heatmap's history: the window fetched from /history, then one column appended per
// snapshot that arrives over SSE, old columns dropped off the front. `base` counts the columns ever
// dropped, so a renderer can keep what it drew for the columns that stay (tick i of the history is
// column base + i); `epoch` changes when the history is replaced wholesale and all must be redrawn.
import type { Snapshot, Violation } from '../model/snapshot';
import type { History, HistoryThread } from '../server/store/store';

export interface LiveHistory {
  readonly epoch: number;
  readonly base: number;
  readonly history: History;
}

let epochs = 0;

export function liveHistory(history: History): LiveHistory {
  epochs += 1;
  return { epoch: epochs, base: 0, history };
}

function threadKey(vm: string, pid: number, tid: number): string {
  return `${vm}:${pid}:${tid}`;
}

/**
 * The history with `s` appended as its newest tick and the ticks older than `s.at - windowMs`
 * dropped. A snapshot not newer than the last tick, of another host, or a bucketed history
 * (stepMs set) leaves it as it is.
 */
export function appendSnapshot(lh: LiveHistory, s: Snapshot, windowMs: number): LiveHistory {
  const h = lh.history;
  const last = h.ticks[h.ticks.length - 1];
  if (h.stepMs !== null || s.host !== h.host || (last !== undefined && s.at <= last)) return lh;

  const threads: HistoryThread[] = [...h.threads];
  const indexOf = new Map<string, number>();
  threads.forEach((t, i) => indexOf.set(t.key, i));
  const pcpuOf: (number | null)[] = [];
  const ranOf: (0 | 1)[] = [];
  for (const vm of s.vms) {
    for (const t of vm.threads) {
      const key = threadKey(vm.name, vm.pid, t.tid);
      let i = indexOf.get(key);
      if (i === undefined) {
        i = threads.length;
        threads.push({ key, vm: vm.name, pid: vm.pid, tid: t.tid, role: t.role, vcpu: t.vcpu ?? null, name: t.name });
        indexOf.set(key, i);
      }
      pcpuOf[i] = t.pcpu;
      ranOf[i] = t.ran ? 1 : 0;
    }
  }
  const pcpuRow = Array.from({ length: threads.length }, (_, i) => pcpuOf[i] ?? null);
  const ranRow = Array.from({ length: threads.length }, (_, i): 0 | 1 => ranOf[i] ?? 0);

  const from = s.at - windowMs;
  let drop = 0;
  while (drop < h.ticks.length && (h.ticks[drop] ?? 0) < from) drop++;

  const byId = new Map<string, Violation>();
  for (const v of h.violations) if (v.lastSeen >= from) byId.set(v.id, v);
  for (const v of s.violations) byId.set(v.id, v);

  const history: History = {
    ...h,
    from,
    to: s.at,
    ticks: [...h.ticks.slice(drop), s.at],
    threads,
    pcpu: [...h.pcpu.slice(drop), pcpuRow],
    ran: [...(h.ran ?? h.ticks.map(() => [])).slice(drop), ranRow],
    violations: [...byId.values()],
  };
  return { epoch: lh.epoch, base: lh.base + drop, history };
}
