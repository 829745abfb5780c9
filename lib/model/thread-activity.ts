// Did a thread run since the previous sample? A thread's last CPU (stat field 39) is only news
// when the thread ran: a sleeping thread keeps reporting the CPU it last ran on, even one outside
// an affinity that was changed since. So every judgement of "where it ran" needs `ran`.
import type { ThreadSample } from './types';

export interface ThreadActivity {
  /** True only when a counter grew; unknown (first sample, new or restarted thread) is false. */
  readonly ran: boolean;
  readonly runNs: number | null; // ns on CPU during the interval; null without a comparable sample
  readonly waitNs: number | null; // ns waiting on a run queue during the interval
}

const UNKNOWN: ThreadActivity = { ran: false, runNs: null, waitNs: null };

/** Compares one thread with its previous sample (same VM pid, same tid), or null when new. */
export function threadActivity(cur: ThreadSample, prev: ThreadSample | null): ThreadActivity {
  if (prev === null) return UNKNOWN;
  const cpuTicks = cur.utime + cur.stime;
  const prevTicks = prev.utime + prev.stime;
  // Counters only grow; a smaller one means the tid was reused by a new thread.
  if (cpuTicks < prevTicks) return UNKNOWN;
  const runNs = delta(cur.runNs, prev.runNs);
  if (cur.runNs !== null && prev.runNs !== null && runNs === null) return UNKNOWN;
  // schedstat has ns resolution; utime/stime only count 1/USER_HZ ticks, the fallback.
  const ran = runNs !== null ? runNs > 0 : cpuTicks > prevTicks;
  return { ran, runNs, waitNs: delta(cur.waitNs, prev.waitNs) };
}

function delta(cur: number | null, prev: number | null): number | null {
  if (cur === null || prev === null || cur < prev) return null;
  return cur - prev;
}
