// The history of a host's window as GET /api/v1/hosts/{host}/history answers it (docs/api.md,
// History): the store builds it, the browser draws it and exports it. Columnar: one entry per
// tick (or bucket) and thread.
import type { SnapshotCpu, SnapshotResidency, SnapshotWakeLatency, Violation } from '../model/snapshot';
import type { ThreadRole } from '../model/types';

export interface HistoryThread {
  key: string; // `${vm}:${pid}:${tid}`
  vm: string;
  pid: number;
  tid: number;
  role: ThreadRole;
  vcpu: number | null;
  name: string;
}

export interface History {
  host: string;
  from: number; // epoch ms, as asked
  to: number; // epoch ms, as asked
  /** null: full resolution (one column per stored tick); else the bucket width in ms actually used. */
  stepMs: number | null;
  ticks: number[]; // epoch ms, ascending (bucket starts when stepMs is set); only ticks/buckets with data
  threads: HistoryThread[]; // every thread seen in the window (vCPUs first, then others), stable order
  /** [tickIndex][threadIndex]: pCPU, null when the thread did not exist then; for buckets the pCPU it spent most ticks on. */
  pcpu: (number | null)[][];
  /** Full resolution only: ran since the previous tick (0 = stale observation). */
  ran: (0 | 1)[][] | null;
  /** Buckets only: share (0..1) of the bucket's ticks on that pCPU. */
  share: number[][] | null;
  /**
   * Asked for with `counters` only (absent otherwise): [tickIndex][threadIndex] the vCPU's ns on
   * CPU (runNs) and waiting on a run queue (waitNs) in that tick, or for buckets summed over the
   * bucket; null for a thread that is no vCPU, or when unknown.
   */
  runNs?: (number | null)[][];
  waitNs?: (number | null)[][];
  /**
   * Exact mode, with `counters` only, and only when some tick of the answer was taken in exact
   * mode (docs/api.md "Exact mode"): [column][threadIndex] the thread's (its vCPU's) residency,
   * migrations and wake-up latency, merged over a bucket's ticks (exact-history.ts); null where
   * not known. Per pCPU: `cpus` (ids, ascending) and [column][cpuIndex] its other tasks,
   * interrupts and lost events.
   */
  residency?: (SnapshotResidency[] | null)[][];
  migrations?: (number | null)[][];
  wakeLatencyNs?: (SnapshotWakeLatency | null)[][];
  cpus?: number[];
  cpuExact?: (Pick<SnapshotCpu, 'others' | 'othersRest' | 'irqs' | 'lostEvents'> | null)[][];
  violations: Violation[]; // distinct by id over the window, since/lastSeen as stored (latest sighting)
}
