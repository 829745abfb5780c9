// Builders for hand-made observations in the model's tests. Not used by production code.
import { fileURLToPath } from 'node:url';
import { parseCpuset } from '../../lib/cpuset';
import { readHostTopology } from '../../lib/sysfs/topology';
import { buildSnapshot } from '../../lib/model/build-snapshot';
import type { Snapshot, Violation, ViolationKind } from '../../lib/model/snapshot';
import type {
  CgroupCpuset,
  CpuList,
  HostObservation,
  HostTopology,
  IntentSource,
  IothreadIdentity,
  PcpuLoad,
  SchedIntent,
  ThreadSample,
  VcpuIdentity,
  VmIntent,
  VmObservation,
} from '../../lib/model/types';

/** Epoch ms of the first tick; ticks are TICK_MS apart. */
export const T0 = 1_700_000_000_000;
export const TICK_MS = 1000;

export function cpus(text: string): CpuList {
  return parseCpuset(text);
}

export interface ThreadOpts {
  readonly pcpu?: number;
  readonly affinity?: string; // cpuset text, e.g. "0-3"
  readonly state?: string;
  readonly utime?: number;
  readonly stime?: number;
  readonly runNs?: number | null;
  readonly waitNs?: number | null;
  readonly policy?: number | null; // stat field 41 (default 0, SCHED_OTHER; null: not read)
  readonly rtPriority?: number; // stat field 40
}

export function sample(tid: number, name: string, o: ThreadOpts = {}): ThreadSample {
  return {
    tid,
    name,
    state: o.state ?? 'S',
    pcpu: o.pcpu ?? 0,
    utime: o.utime ?? 0,
    stime: o.stime ?? 0,
    runNs: o.runNs === undefined ? 0 : o.runNs,
    waitNs: o.waitNs === undefined ? 0 : o.waitNs,
    timeslices: 0,
    affinity: cpus(o.affinity ?? '0'),
    policy: o.policy === undefined ? 0 : o.policy,
    rtPriority: o.rtPriority ?? 0,
  };
}

/** A vCPU thread named the way QEMU's debug-threads names it. */
export function vcpuThread(index: number, tid: number, o: ThreadOpts = {}): ThreadSample {
  return sample(tid, `CPU ${index}/KVM`, o);
}

/** Counters of a thread that runs 500 ms and waits `waitShare` of every tick, as of tick `tick`. */
export function running(tick: number, waitShare = 0): Pick<ThreadOpts, 'runNs' | 'waitNs'> {
  return { runNs: tick * 500e6, waitNs: tick * waitShare * TICK_MS * 1e6 };
}

export interface IntentOpts {
  readonly source?: IntentSource;
  readonly vcpupin?: Readonly<Record<number, string>>;
  readonly vcpuDefault?: string;
  readonly emulatorpin?: string;
  readonly iothreadpin?: Readonly<Record<number, string>>;
  readonly dedicated?: boolean;
  readonly memoryNodes?: string;
  readonly guestCells?: readonly string[];
  readonly vcpusched?: Readonly<Record<number, SchedIntent>>;
}

export function intent(o: IntentOpts = {}): VmIntent {
  const map = (r: Readonly<Record<number, string>> | undefined): ReadonlyMap<number, CpuList> =>
    new Map(Object.entries(r ?? {}).map(([k, v]) => [Number(k), cpus(v)]));
  return {
    source: o.source ?? 'libvirt',
    vcpupin: map(o.vcpupin),
    vcpuDefault: o.vcpuDefault === undefined ? null : cpus(o.vcpuDefault),
    emulatorpin: o.emulatorpin === undefined ? null : cpus(o.emulatorpin),
    iothreadpin: map(o.iothreadpin),
    dedicated: o.dedicated ?? false,
    memoryNodes: o.memoryNodes === undefined ? null : cpus(o.memoryNodes),
    guestCells: (o.guestCells ?? []).map(cpus),
    vcpusched: new Map(Object.entries(o.vcpusched ?? {}).map(([k, v]) => [Number(k), v])),
  };
}

export interface VmOpts {
  readonly intent?: VmIntent | null;
  readonly vcpus?: readonly VcpuIdentity[];
  readonly iothreads?: readonly IothreadIdentity[];
  readonly source?: 'qemu' | 'libvirt';
  readonly uuid?: string | null;
  readonly maxVcpus?: number | null;
  readonly namesThreads?: boolean;
  readonly identityCovers?: ReadonlySet<number> | null;
  readonly cgroup?: CgroupCpuset | null;
  readonly threadCgroups?: ReadonlyMap<number, CgroupCpuset>;
}

export function vm(name: string, pid: number, threads: readonly ThreadSample[], o: VmOpts = {}): VmObservation {
  return {
    name,
    uuid: o.uuid === undefined ? null : o.uuid,
    pid,
    source: o.source ?? 'libvirt',
    threads,
    vcpus: o.vcpus ?? [],
    iothreads: o.iothreads ?? [],
    intent: o.intent === undefined ? null : o.intent,
    maxVcpus: o.maxVcpus === undefined ? null : o.maxVcpus,
    ...(o.namesThreads !== undefined ? { namesThreads: o.namesThreads } : {}),
    ...(o.identityCovers !== undefined ? { identityCovers: o.identityCovers } : {}),
    ...(o.cgroup !== undefined ? { cgroup: o.cgroup } : {}),
    ...(o.threadCgroups !== undefined ? { threadCgroups: o.threadCgroups } : {}),
  };
}

/** A cpuset cgroup as the agent reads it (v1 unless told). */
export function cgroup(path: string, cpuset: string, o: { readonly tasks?: number; readonly version?: 1 | 2 } = {}): CgroupCpuset {
  const version = o.version ?? 1;
  const dir = version === 1 ? `/sys/fs/cgroup/cpuset${path}` : `/sys/fs/cgroup${path}`;
  return {
    path,
    version,
    file: `${dir}/${version === 1 ? 'cpuset.cpus' : 'cpuset.cpus.effective'}`,
    writeFile: `${dir}/cpuset.cpus`,
    cpus: cpus(cpuset),
    tasks: o.tasks ?? 1,
  };
}

/** The QEMU main thread (tid = pid), an emulator thread. */
export function mainThread(pid: number, o: ThreadOpts = {}): ThreadSample {
  return sample(pid, 'qemu-system-x86', o);
}

export interface HostOpts {
  readonly tick?: number;
  readonly busy?: Readonly<Record<number, number>>; // cpu -> 0..1
}

export function host(topology: HostTopology, vms: readonly VmObservation[], o: HostOpts = {}): HostObservation {
  const pcpus: PcpuLoad[] = Object.entries(o.busy ?? {}).map(([cpu, busy]) => ({ cpu: Number(cpu), busy }));
  return { host: 'hv1', at: T0 + (o.tick ?? 0) * TICK_MS, topology, vms, pcpus };
}

/** `n` CPUs on one socket and node, no SMT. */
export function flatTopology(n: number, isolated = ''): HostTopology {
  return {
    cpus: Array.from({ length: n }, (_, cpu) => ({ cpu, socket: 0, die: 0, core: cpu, node: 0, siblings: [cpu] })),
    isolated: cpus(isolated),
    nohzFull: [],
  };
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** 16 CPUs, 2 sockets = 2 nodes, cpuN's SMT sibling is cpuN+8, isolated 2-3,10-11 (sysfs fixture). */
export function twoSocketSmt(): Promise<HostTopology> {
  return readHostTopology(`${FIXTURES}sysfs/two-socket-smt`);
}

/** The 2-CPU, one-node host the libvirt probe fixtures were recorded on (sysfs fixture). */
export function singleNode(): Promise<HostTopology> {
  return readHostTopology(`${FIXTURES}sysfs/single-node`);
}

/** Snapshots of successive ticks, each built on the previous one like the agent does. */
export function run(observations: readonly HostObservation[]): readonly Snapshot[] {
  const out: Snapshot[] = [];
  let prev: { obs: HostObservation; snapshot: Snapshot } | null = null;
  for (const obs of observations) {
    const snapshot = buildSnapshot(obs, prev);
    out.push(snapshot);
    prev = { obs, snapshot };
  }
  return out;
}

/**
 * The last of `ticks` snapshots where `make(tick)` gives the observation of tick 0, 1, ...; each
 * observation is stamped TICK_MS after the previous one.
 */
export function lastTick(ticks: number, make: (tick: number) => HostObservation): Snapshot {
  const snaps = run(Array.from({ length: ticks }, (_, i) => ({ ...make(i), at: T0 + i * TICK_MS })));
  const last = snaps[snaps.length - 1];
  if (last === undefined) throw new Error('lastTick needs at least one tick');
  return last;
}

export function ofKind(s: Snapshot, kind: ViolationKind): readonly Violation[] {
  return s.violations.filter((v) => v.kind === kind);
}
