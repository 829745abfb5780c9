// The host snapshot: the documented, stable contract (docs/api.md) that the agent prints and
// pushes and that the server serves at GET /api/v1/hosts/{host}/snapshot.
import type { CpuList, IntentSource, SchedPolicy, ThreadRole, VcpuIdentitySource, VmIdentity } from './types';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotCpu {
  readonly cpu: number;
  readonly socket: number;
  readonly die: number;
  readonly core: number;
  readonly node: number;
  readonly siblings: CpuList;
  readonly isolated: boolean;
  readonly busy: number | null; // 0..1 share of the last interval; null on the first sample
  // Exact mode, for pCPUs pinned by a VM or isolated (docs/api.md):
  readonly others?: readonly SnapshotOtherTask[]; // other tasks that ran here, most run time first
  readonly othersRest?: { readonly tasks: number; readonly ns: number }; // those left out of `others`
  readonly irqs?: readonly SnapshotIrq[]; // interrupts delivered here in the interval
  readonly lostEvents?: number; // trace events lost on this pCPU in the interval, when any
}

/** A task other than the vCPUs pinned to a pCPU that ran there (exact mode). */
export interface SnapshotOtherTask {
  readonly pid: number | null; // process id; null when it exited before the agent could look
  readonly tid: number;
  readonly comm: string;
  readonly ns: number; // run time on this pCPU in the interval
  readonly switchIns: number;
  readonly kernel: boolean; // a kernel thread
  readonly vm?: string; // the VM it belongs to, when it does
}

export interface SnapshotIrq {
  readonly irq: string; // "36" (/proc/irq/36/...) or a per-CPU kind: "LOC", "RES", "CAL", "TLB", ...
  readonly name: string; // the rest of its /proc/interrupts line
  readonly count: number; // interrupts in the interval
}

/** Run time of a thread on one pCPU in the interval (exact mode). */
export interface SnapshotResidency {
  readonly pcpu: number;
  readonly ns: number;
  readonly switchIns: number;
}

export interface SnapshotWakeLatency {
  readonly p50: number; // ns
  readonly p99: number; // ns
  readonly max: number; // ns
  readonly count: number; // wake-ups in the interval
}

export interface SnapshotVcpu {
  readonly index: number;
  readonly tid: number;
  readonly pcpu: number; // last CPU it ran on (may be stale: see `ran`)
  readonly affinity: CpuList; // kernel Cpus_allowed_list
  readonly pin: CpuList | null; // intent; null when the VM has no intent for this vCPU
  readonly ran: boolean; // ran since the previous sample; false = pcpu is a stale observation
  readonly state: string;
  readonly runNs: number | null; // ns on CPU during the last interval
  readonly waitNs: number | null; // ns waiting on a run queue during the last interval
  readonly identity: VcpuIdentitySource;
  readonly props?: Readonly<Record<string, number>>;
  // Exact mode (absent when sampled, or for a thread not followed for the whole interval):
  readonly residency?: readonly SnapshotResidency[]; // ns on each pCPU it ran on, ascending by pcpu
  readonly migrations?: number; // moves to another pCPU (se.nr_migrations) in the interval
  readonly wakeLatencyNs?: SnapshotWakeLatency | null; // sched_waking to running; null: no wake-up
}

export interface SnapshotThread {
  readonly tid: number;
  readonly role: ThreadRole;
  readonly name: string;
  readonly pcpu: number;
  readonly affinity: CpuList;
  readonly pin: CpuList | null;
  readonly ran: boolean;
  readonly state: string;
  readonly policy?: SchedPolicy; // stat field 41; absent when not read (pasted ps, older agents)
  readonly priority?: number; // stat field 40: real-time priority, 0 unless fifo or rr
  readonly vcpu?: number; // for role "vcpu"
  readonly iothread?: string; // for role "iothread": QMP id, e.g. "iothread1"
  readonly residency?: readonly SnapshotResidency[]; // exact mode, as for vCPUs
}

export interface SnapshotVm {
  readonly name: string;
  readonly uuid: string | null;
  readonly pid: number;
  readonly source: 'qemu' | 'libvirt';
  readonly intent: IntentSource;
  readonly dedicated: boolean;
  readonly maxVcpus: number | null;
  /** How the vCPU threads were tied to indexes; "unknown": they could not be, and nothing of the VM is judged. Absent from older agents. */
  readonly identity?: VmIdentity;
  /** The VM's cpuset cgroup; null when none was found. Absent from older agents. */
  readonly cgroup?: SnapshotCgroup | null;
  readonly vcpus: readonly SnapshotVcpu[]; // ascending by index
  readonly threads: readonly SnapshotThread[]; // every thread of the process, vCPUs included
}

export interface SnapshotCgroup {
  readonly path: string; // e.g. "/machine/qemu-1-web.libvirt-qemu"
  readonly file: string; // the file read: v2 cpuset.cpus.effective, v1 cpuset.cpus
  readonly cpus: CpuList;
}

export type ViolationKind =
  | 'off-pin'
  | 'affinity-drift'
  | 'unpinned-vcpu'
  | 'shared-dedicated'
  | 'emulator-overlap'
  | 'smt-sibling-shared'
  | 'numa-split'
  | 'isolation-mismatch'
  | 'overcommit'
  | 'intruder'
  | 'irq-on-dedicated'
  | 'sched-policy-drift';

export type SnapshotMode = 'exact' | 'sampled';

export type Severity = 'critical' | 'warning' | 'info';

export interface Violation {
  readonly id: string; // stable across ticks for the same problem: kind + VMs + vCPU/threads
  readonly kind: ViolationKind;
  readonly severity: Severity;
  readonly vm: string; // the VM the violation is about (the first of `vms`)
  readonly vms: readonly string[]; // every VM involved, e.g. both tenants of a shared core
  readonly vcpu?: number;
  readonly tid?: number;
  readonly tids?: readonly number[];
  readonly pcpus: CpuList;
  readonly message: string; // one sentence: what is wrong and what usually causes it
  readonly fix: string | null; // a command that restores the intent, ready to copy
  readonly since: number; // epoch ms first seen (carried across ticks)
  readonly lastSeen: number; // epoch ms
}

/**
 * An observation a snapshot does not carry: `affinity` (every `affinity` is [] for "unknown") and
 * `runQueue` (every `runNs` and `waitNs` is null). Only pasted text (/analyze) lacks them.
 */
export type Unobserved = 'affinity' | 'runQueue';

export interface SnapshotTrace {
  readonly events: number;
  readonly lostEvents: number;
  /**
   * From the trace's cut to the agent's last schedstat read (ns; absent from agents before it was
   * reported): a thread's run time and its residency may differ by up to this, and the last
   * interval's, besides steal.
   */
  readonly cutToReadNs?: number;
}

/** A trace object with its fields only, in contract order (a parsed one may carry others). */
export function traceFields(t: SnapshotTrace): SnapshotTrace {
  return t.cutToReadNs !== undefined ? { events: t.events, lostEvents: t.lostEvents, cutToReadNs: t.cutToReadNs } : { events: t.events, lostEvents: t.lostEvents };
}

export interface Snapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly host: string;
  readonly at: number; // epoch ms
  readonly intervalMs: number | null; // time since the previous sample; null for the first
  /** "exact": from the scheduler's trace events; "sampled" (also when absent): point samples. */
  readonly mode?: SnapshotMode;
  /** Exact mode, from the second sample on: trace events read and lost in the interval. */
  readonly trace?: SnapshotTrace;
  readonly topology: {
    readonly cpus: readonly SnapshotCpu[];
    readonly isolated: CpuList;
    readonly nohzFull: CpuList;
  };
  readonly vms: readonly SnapshotVm[];
  readonly violations: readonly Violation[];
  /** What this snapshot could not observe; absent when it observed everything (every agent frame). */
  readonly unobserved?: readonly Unobserved[];
}
