// Joins one tick's observation with the previous one into the host snapshot: thread roles, pins,
// whether each thread ran in the interval, and the violations. Pure: no clock, no I/O.
import { exactCpus, exactVm } from './exact-snapshot';
import { schedPolicyName } from './sched-policy';
import {
  SNAPSHOT_VERSION,
  type Snapshot,
  type SnapshotCgroup,
  type SnapshotCpu,
  type SnapshotThread,
  type SnapshotVcpu,
  type SnapshotVm,
} from './snapshot';
import { threadActivity, type ThreadActivity } from './thread-activity';
import { assignThreads } from './thread-roles';
import type { CgroupCpuset, CpuList, HostObservation, ThreadRole, ThreadSample, VmObservation } from './types';
import { detectViolations, type JudgedVm } from './violations';
import { byName } from './violations/context';
import { sameCpus } from '../cpuset';

export interface PreviousTick {
  readonly obs: HostObservation;
  readonly snapshot: Snapshot;
}

/**
 * A previous sample older than this (a suspended agent) or from the future (the clock stepped back)
 * is not compared with: its counters say nothing about "the last interval". 24 h, in ms, the
 * snapshot contract's bound on intervalMs.
 */
const MAX_INTERVAL_MS = 86_400_000;

export function buildSnapshot(obs: HostObservation, prev: PreviousTick | null): Snapshot {
  const gap = prev === null ? null : obs.at - prev.obs.at;
  const comparable = gap !== null && gap >= 0 && gap <= MAX_INTERVAL_MS;
  const intervalMs = comparable ? gap : null;
  // Exact figures describe the interval: none without one.
  const exact = intervalMs !== null ? (obs.exact ?? null) : null;
  // Counters are compared per VM process; a pid that is new (or reused by another VM) has no past.
  const prevVms = new Map<number, VmObservation>();
  const prevBuilt = new Map<number, SnapshotVm>();
  if (comparable && prev !== null) {
    for (const vm of prev.obs.vms) prevVms.set(vm.pid, vm);
    for (const vm of prev.snapshot.vms) prevBuilt.set(vm.pid, vm);
  }
  // Exact mode: the vCPUs re-pinned on this tick (tid -> pin before), forgiven on the next too.
  const repinned = new Map<number, CpuList>();
  const judged: JudgedVm[] = withoutStarters(
    obs.vms.map((vm) => {
      const before = prevVms.get(vm.pid) ?? null;
      const built = prevBuilt.get(vm.pid);
      const reuse = before !== null && built !== undefined && idleAndUnchanged(vm, before, built);
      const sampled = reuse ? built : buildVm(vm, before);
      const judgedVm = exact ? exactVm(sampled, exact) : sampled;
      const pinsBefore = exact ? repinsOf(judgedVm, built, prev === null ? undefined : REPINS.get(prev.snapshot), repinned) : undefined;
      return { vm: judgedVm, intent: vm.intent, cgroups: vm.threadCgroups ?? NO_CGROUPS, ...(pinsBefore !== undefined ? { pinsBefore } : {}) };
    }),
  ).sort((a, b) => byName(a.vm.name, b.vm.name) || a.vm.pid - b.vm.pid);
  const topology = exact ? withExactCpus(buildTopology(obs), judged, exact) : buildTopology(obs);
  const before = comparable && prev !== null ? prev : null;
  const vmsUnchanged =
    before !== null &&
    obs.topology === before.obs.topology &&
    judged.length === before.snapshot.vms.length &&
    judged.every((j, i) => j.vm === before.snapshot.vms[i]);
  const violations = detectViolations(
    { at: obs.at, intervalMs, topology, vms: judged },
    // `since` is carried even across a gap: the problem was there before and is still there.
    prev?.snapshot.violations ?? [],
    vmsUnchanged,
  );
  const mode = obs.mode ?? 'sampled';
  const vms = judged.map((j) => j.vm);
  if (exact) {
    const trace = { events: exact.events, lostEvents: exact.lostEvents, cutToReadNs: exact.cutToReadNs };
    const snapshot: Snapshot = { version: SNAPSHOT_VERSION, host: obs.host, at: obs.at, intervalMs, mode, trace, topology, vms, violations };
    REPINS.set(snapshot, repinned);
    return snapshot;
  }
  return { version: SNAPSHOT_VERSION, host: obs.host, at: obs.at, intervalMs, mode, topology, vms, violations };
}

function withExactCpus(topology: Snapshot['topology'], judged: readonly JudgedVm[], exact: NonNullable<HostObservation['exact']>): Snapshot['topology'] {
  return { cpus: exactCpus(topology.cpus, judged.map((j) => j.vm), exact), isolated: topology.isolated, nohzFull: topology.nohzFull };
}

const NO_CGROUPS: ReadonlyMap<number, CgroupCpuset> = new Map();

/** Per exact snapshot: the vCPUs re-pinned on its tick (tid -> pin before), for the next tick. */
const REPINS = new WeakMap<Snapshot, ReadonlyMap<number, CpuList>>();

/**
 * The vCPUs of `vm` whose pin changed since `built` (the previous snapshot's VM), with the pin
 * before (`fresh`, added to `seen` for the next tick), and with them those re-pinned on the tick
 * before (`earlier`).
 */
function repinsOf(vm: SnapshotVm, built: SnapshotVm | undefined, earlier: ReadonlyMap<number, CpuList> | undefined, seen: Map<number, CpuList>): ReadonlyMap<number, CpuList> | undefined {
  let out: Map<number, CpuList> | undefined;
  for (const [i, v] of vm.vcpus.entries()) {
    if (v.pin === null) continue;
    // The vCPUs of a VM keep their order from tick to tick: the same index first, a search only when it moved.
    const same = built?.vcpus[i];
    const was = (same?.tid === v.tid ? same : built?.vcpus.find((p) => p.tid === v.tid))?.pin ?? null;
    const before = was !== null && !sameCpus(was, v.pin) ? was : earlier?.get(v.tid);
    if (before === undefined) continue;
    (out ??= new Map()).set(v.tid, before);
    if (before === was) seen.set(v.tid, was);
  }
  return out;
}


/**
 * A QEMU process with no vCPU thread yet (its identity known, so "no vCPU" is a fact) that shares
 * its name with one that has vCPU threads is not a VM of its own: the short-lived parent of a
 * daemonizing QEMU, or a process still starting. Two VMs of one name would make names in URLs and
 * violation ids ambiguous.
 */
function withoutStarters(vms: readonly JudgedVm[]): JudgedVm[] {
  const running = new Set<string>();
  for (const j of vms) if (j.vm.vcpus.length > 0) running.add(j.vm.name);
  return vms.filter((j) => j.vm.vcpus.length > 0 || j.vm.identity === 'unknown' || !running.has(j.vm.name));
}

/**
 * True when building `vm` again would give exactly `built`, the previous tick's result: the same
 * sample objects (the agent reuses a thread's sample when it has not run), the same identity and
 * intent, and nothing ran in the previous interval either, so every `ran` is false and every
 * delta 0 both times. On a host of idle VMs this skips most of the per-tick work.
 */
function idleAndUnchanged(vm: VmObservation, before: VmObservation, built: SnapshotVm): boolean {
  if (
    vm.threads.length !== before.threads.length ||
    vm.vcpus !== before.vcpus ||
    vm.iothreads !== before.iothreads ||
    vm.intent !== before.intent ||
    vm.name !== before.name ||
    vm.uuid !== before.uuid ||
    vm.source !== before.source ||
    vm.maxVcpus !== before.maxVcpus ||
    vm.namesThreads !== before.namesThreads ||
    vm.identityCovers !== before.identityCovers ||
    vm.cgroup !== before.cgroup
  ) {
    return false;
  }
  for (let i = 0; i < vm.threads.length; i++) if (vm.threads[i] !== before.threads[i]) return false;
  for (const t of built.threads) if (t.ran) return false;
  for (const v of built.vcpus) if (v.runNs !== 0 || v.waitNs !== 0) return false;
  return true;
}

function buildTopology(obs: HostObservation): Snapshot['topology'] {
  const isolated = new Set(obs.topology.isolated);
  const busy = new Map(obs.pcpus.map((p) => [p.cpu, p.busy]));
  const cpus: SnapshotCpu[] = obs.topology.cpus.map((c) => ({
    cpu: c.cpu,
    socket: c.socket,
    die: c.die,
    core: c.core,
    node: c.node,
    siblings: c.siblings,
    isolated: isolated.has(c.cpu),
    busy: busy.get(c.cpu) ?? null,
  }));
  return { cpus, isolated: obs.topology.isolated, nohzFull: obs.topology.nohzFull };
}

// Hot path (every tick, every thread): literal objects and plain loops, no spreads, because
// object spread and arrays of [key, value] pairs cost more here than everything else.
function buildVm(vm: VmObservation, prev: VmObservation | null): SnapshotVm {
  const prevThreads = new Map<number, ThreadSample>();
  if (prev !== null) for (const t of prev.threads) prevThreads.set(t.tid, t);
  const vcpus: SnapshotVcpu[] = [];
  const threads: SnapshotThread[] = [];
  const assigned = assignThreads(vm);
  for (const { sample, role, pin } of assigned.threads) {
    const activity = threadActivity(sample, prevThreads.get(sample.tid) ?? null);
    switch (role.kind) {
      case 'vcpu': {
        threads.push(threadOf(sample, 'vcpu', pin, activity, role.index, undefined));
        vcpus.push(vcpuOf(sample, role.index, role.source, role.props, pin, activity));
        break;
      }
      case 'iothread':
        threads.push(threadOf(sample, 'iothread', pin, activity, undefined, role.id));
        break;
      case 'emulator':
      case 'vhost':
      case 'other':
      case 'unknown':
        threads.push(threadOf(sample, role.kind, pin, activity, undefined, undefined));
        break;
    }
  }
  return {
    name: vm.name,
    uuid: vm.uuid,
    pid: vm.pid,
    source: vm.source,
    intent: vm.intent?.source ?? 'none',
    dedicated: vm.intent?.dedicated ?? false,
    maxVcpus: vm.maxVcpus,
    identity: assigned.identity,
    cgroup: vm.cgroup === undefined || vm.cgroup === null ? null : cgroupOf(vm.cgroup),
    vcpus: vcpus.sort((a, b) => a.index - b.index),
    threads: threads.sort((a, b) => a.tid - b.tid),
  };
}

const cgroupCache = new WeakMap<CgroupCpuset, SnapshotCgroup>();

/** One snapshot object per cgroup read, so that an unchanged VM keeps the same object. */
function cgroupOf(c: CgroupCpuset): SnapshotCgroup {
  let out = cgroupCache.get(c);
  if (out === undefined) {
    out = { path: c.path, file: c.file, cpus: c.cpus };
    cgroupCache.set(c, out);
  }
  return out;
}

/**
 * A thread of the snapshot; keys in contract order, optional ones only when known. Literals, not
 * spreads: this runs for every thread of every VM that changed, each tick.
 */
function threadOf(
  sample: ThreadSample,
  role: ThreadRole,
  pin: SnapshotThread['pin'],
  activity: ThreadActivity,
  vcpu: number | undefined,
  iothread: string | undefined,
): SnapshotThread {
  const { tid, name, pcpu, affinity, state } = sample;
  const ran = activity.ran;
  const policy = sample.policy === undefined || sample.policy === null ? null : schedPolicyName(sample.policy);
  if (policy === null) {
    if (vcpu !== undefined) return { tid, role, name, pcpu, affinity, pin, ran, state, vcpu };
    if (iothread !== undefined) return { tid, role, name, pcpu, affinity, pin, ran, state, iothread };
    return { tid, role, name, pcpu, affinity, pin, ran, state };
  }
  const priority = sample.rtPriority ?? 0;
  if (vcpu !== undefined) return { tid, role, name, pcpu, affinity, pin, ran, state, policy, priority, vcpu };
  if (iothread !== undefined) return { tid, role, name, pcpu, affinity, pin, ran, state, policy, priority, iothread };
  return { tid, role, name, pcpu, affinity, pin, ran, state, policy, priority };
}

function vcpuOf(
  sample: ThreadSample,
  index: number,
  identity: SnapshotVcpu['identity'],
  props: SnapshotVcpu['props'],
  pin: SnapshotVcpu['pin'],
  activity: ThreadActivity,
): SnapshotVcpu {
  const base = {
    index,
    tid: sample.tid,
    pcpu: sample.pcpu,
    affinity: sample.affinity,
    pin,
    ran: activity.ran,
    state: sample.state,
    runNs: activity.runNs,
    waitNs: activity.waitNs,
    identity,
  };
  if (props === undefined) return base;
  return {
    index,
    tid: sample.tid,
    pcpu: sample.pcpu,
    affinity: sample.affinity,
    pin,
    ran: activity.ran,
    state: sample.state,
    runNs: activity.runNs,
    waitNs: activity.waitNs,
    identity,
    props,
  };
}
