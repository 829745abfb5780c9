// Domain types shared by the agent, the server and the UI. Plain types: the boundary modules
// (procfs, sysfs, QMP, libvirt XML, pins file, agent frames) convert into these and validate there.
import type { ExactObservation } from './exact';

/** A sorted, duplicate-free list of CPU ids. */
export type CpuList = readonly number[];

export interface CpuTopo {
  readonly cpu: number;
  readonly socket: number; // physical_package_id
  readonly die: number; // die_id, 0 when the kernel does not report dies
  readonly core: number; // core_id (unique only within a socket)
  readonly node: number; // NUMA node, 0 when the host has no NUMA information
  readonly siblings: CpuList; // thread_siblings_list, including the CPU itself
}

export interface HostTopology {
  readonly cpus: readonly CpuTopo[]; // online CPUs only, ascending by cpu
  readonly isolated: CpuList; // /sys/devices/system/cpu/isolated
  readonly nohzFull: CpuList; // /sys/devices/system/cpu/nohz_full
}

/** Where the pinning intent of a VM came from, highest priority first. */
export type IntentSource = 'pins-file' | 'libvirt' | 'none';

export interface VmIntent {
  readonly source: IntentSource;
  /** vCPU index -> cpus it may run on. */
  readonly vcpupin: ReadonlyMap<number, CpuList>;
  /** Default for vCPUs without an entry in vcpupin (libvirt `<vcpu cpuset=...>`), or null. */
  readonly vcpuDefault: CpuList | null;
  /** All non-vCPU threads of the process (libvirt `<emulatorpin>`), or null. */
  readonly emulatorpin: CpuList | null;
  /** IOThread id (libvirt numbering, 1-based) -> cpus. */
  readonly iothreadpin: ReadonlyMap<number, CpuList>;
  /** No other VM may use this VM's vCPU pCPUs. */
  readonly dedicated: boolean;
  /** `<numatune><memory nodeset>`: host NUMA nodes the guest memory lives on, or null. */
  readonly memoryNodes: CpuList | null;
  /** Guest NUMA cells (`<cpu><numa><cell cpus>`): each cell's vCPU indexes. Empty when none. */
  readonly guestCells: readonly CpuList[];
  /** vCPU index -> intended scheduling policy (libvirt `<vcpusched>`); vCPUs not listed are not judged. */
  readonly vcpusched: ReadonlyMap<number, SchedIntent>;
}

/** Scheduling policies, as the kernel numbers them in stat field 41 (see schedPolicyName). */
export type SchedPolicy = 'other' | 'fifo' | 'rr' | 'batch' | 'idle' | 'deadline' | 'ext';

/** An intended scheduling policy: libvirt's `<vcpusched scheduler priority>` names. */
export interface SchedIntent {
  readonly policy: 'fifo' | 'rr' | 'batch' | 'idle';
  readonly priority: number; // 1-99 for fifo and rr, 0 for batch and idle
}

/**
 * vcpu, emulator, iothread, other (kernel helpers in the process), vhost (`vhost-<pid>` workers of
 * the VM's virtio devices, placed with the emulator), unknown (a thread that cannot be told from a
 * vCPU: the VM's vCPUs cannot be identified, or the thread is newer than the last QMP answer).
 */
export type ThreadRole = 'vcpu' | 'emulator' | 'iothread' | 'vhost' | 'other' | 'unknown';

/** One read of one thread of a QEMU process. Counters are cumulative since the thread started. */
export interface ThreadSample {
  readonly tid: number;
  readonly name: string; // comm, e.g. "CPU 0/KVM"
  readonly state: string; // one letter from stat field 3: R, S, D, T, Z, ...
  readonly pcpu: number; // stat field 39: CPU the thread last ran on
  readonly utime: number; // ticks of 1/USER_HZ
  readonly stime: number; // ticks of 1/USER_HZ
  readonly runNs: number | null; // schedstat field 1: ns on CPU; null when unavailable
  readonly waitNs: number | null; // schedstat field 2: ns waiting on a run queue
  readonly timeslices: number | null; // schedstat field 3
  readonly affinity: CpuList; // Cpus_allowed_list
  readonly policy?: number | null; // stat field 41; absent or null when not read (pasted ps)
  readonly rtPriority?: number | null; // stat field 40
}

/** How a vCPU index was tied to a host thread. */
export type VcpuIdentitySource = 'qmp' | 'libvirt' | 'thread-name';

/** How a VM's vCPU threads were tied to vCPU indexes; "unknown" when they could not be. */
export type VmIdentity = VcpuIdentitySource | 'unknown';

/** A cgroup's cpuset as read from the cgroup file system. */
export interface CgroupCpuset {
  readonly path: string; // the cgroup, e.g. "/machine/qemu-1-web.libvirt-qemu/vcpu0"
  readonly version: 1 | 2;
  readonly file: string; // the file read: v2 cpuset.cpus.effective, v1 cpuset.cpus (absolute)
  readonly writeFile: string; // the file that sets it: cpuset.cpus in the same directory
  readonly cpus: CpuList;
  readonly tasks: number; // threads in the cgroup (of any process)
}

export interface VcpuIdentity {
  readonly index: number; // QMP cpu-index / libvirt vcpu id
  readonly tid: number;
  readonly source: VcpuIdentitySource;
  readonly props?: Readonly<Record<string, number>>; // socket-id, core-id, ... from QMP
  readonly qomPath?: string;
}

export interface IothreadIdentity {
  readonly id: string; // QMP id, e.g. "iothread1"
  readonly tid: number;
}

export interface VmObservation {
  readonly name: string;
  readonly uuid: string | null;
  readonly pid: number;
  readonly source: 'qemu' | 'libvirt';
  readonly threads: readonly ThreadSample[];
  /** vCPU identities known from QMP or libvirt; threads named `CPU n/...` fill the gaps. */
  readonly vcpus: readonly VcpuIdentity[];
  readonly iothreads: readonly IothreadIdentity[];
  readonly intent: VmIntent | null;
  readonly maxVcpus: number | null;
  /**
   * QEMU names its vCPU threads (`-name ...,debug-threads=on`), also before they exist. Absent:
   * only the names seen tell.
   */
  readonly namesThreads?: boolean;
  /**
   * The threads `vcpus` was asked for (the last QMP answer): a thread outside it is younger than
   * the answer and may be a hot-plugged vCPU, so it is not taken for an emulator thread. Absent or
   * null: `vcpus` covers every thread.
   */
  readonly identityCovers?: ReadonlySet<number> | null;
  /** The deepest cgroup (cpuset controller) holding every thread of the VM; null when unknown. */
  readonly cgroup?: CgroupCpuset | null;
  /** Each thread's own cgroup, by tid, as read on discovery and when a mask changed. */
  readonly threadCgroups?: ReadonlyMap<number, CgroupCpuset>;
}

export interface PcpuLoad {
  readonly cpu: number;
  readonly busy: number; // 0..1 share of the interval not idle/iowait
}

/** Everything the agent read in one tick. */
export interface HostObservation {
  readonly host: string;
  readonly at: number; // epoch ms
  readonly topology: HostTopology;
  readonly vms: readonly VmObservation[];
  readonly pcpus: readonly PcpuLoad[];
  /** Exact mode: the agent reads the scheduler's trace (absent: sampled). */
  readonly mode?: 'exact' | 'sampled';
  /** Exact mode, from the second sample on: what the trace showed in the interval. */
  readonly exact?: ExactObservation | null;
}
