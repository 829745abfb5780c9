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
  | 'sched-policy-drift';

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

export interface Snapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly host: string;
  readonly at: number; // epoch ms
  readonly intervalMs: number | null; // time since the previous sample; null for the first
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
