// What exact mode observed in one interval (lib/agent/exact-source.ts reads it from the
// scheduler's trace events and /proc/interrupts), as plain types for the snapshot builder.

import type { SnapshotResidency, SnapshotWakeLatency } from './snapshot';

/** Run time of one thread on one pCPU in the interval: ns and switch-ins. */
export type ExactResidency = SnapshotResidency;

/** Wake-up latency (sched_waking to running) of one vCPU in the interval; p50 and p99 from a log histogram (within 2.2%). */
export type ExactWakeLatency = SnapshotWakeLatency;

export interface ExactThread {
  readonly residency: readonly ExactResidency[]; // ascending by pcpu
  readonly migrations: number;
  readonly wakeLatencyNs: ExactWakeLatency | null;
}

/** A task that is not a followed VM thread and ran on a watched pCPU. */
export interface ExactOtherTask {
  readonly pid: number | null; // its process; null when it exited before the agent could look
  readonly tid: number;
  readonly comm: string;
  readonly ns: number;
  readonly switchIns: number;
  readonly kernel: boolean; // a kernel thread (kworker/N, ksoftirqd/N, migration/N, ...)
  readonly vm: string | null; // the VM it belongs to (a thread the agent did not follow yet)
}

export interface ExactIrqCount {
  readonly irq: string; // "36" (/proc/irq/36) or "LOC", "RES", ...
  readonly name: string;
  readonly count: number;
}

export interface ExactObservation {
  readonly intervalNs: number;
  /**
   * From the trace's cut to the last read of a followed thread's schedstat (ns): by at most this
   * much can a thread's run time (schedstat) exceed what the trace placed, and by at most the last
   * interval's, fall short of it. Under 1 ms on a small host (it grows with the threads read)
   * unless the agent was held up between the two.
   */
  readonly cutToReadNs: number;
  readonly events: number; // trace events read in the interval
  readonly lostEvents: number; // over all pCPUs
  readonly lostByCpu: ReadonlyMap<number, number>;
  /** Thread ids followed for the whole interval: only these have exact figures. */
  readonly covered: ReadonlySet<number>;
  /** Followed threads that ran or migrated; a covered tid absent here did neither. */
  readonly threads: ReadonlyMap<number, ExactThread>;
  /** pCPUs whose other tasks were kept during the interval. */
  readonly watched: readonly number[];
  /** Per watched pCPU: the other tasks, most run time first (at most MAX_OTHERS_PER_CPU). */
  readonly others: ReadonlyMap<number, readonly ExactOtherTask[]>;
  /** Per watched pCPU: the tasks left out of `others` by the bound, and their run time. */
  readonly othersRest: ReadonlyMap<number, { readonly tasks: number; readonly ns: number }>;
  /** Per watched pCPU: interrupts by IRQ in the interval, most first. */
  readonly irqs: ReadonlyMap<number, readonly ExactIrqCount[]>;
  /** pCPUs whose running task was unknown for part of the interval (no switch seen yet, lost events). */
  readonly blindCpus: readonly number[];
}

/** At most this many other tasks per pCPU go into a snapshot; the rest are summed up. */
export const MAX_OTHERS_PER_CPU = 16;
