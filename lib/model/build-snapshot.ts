// Joins one tick's observation with the previous one into the host snapshot: thread roles, pins,
// whether each thread ran in the interval, and the violations. Pure: no clock, no I/O.
import { exactCpus, exactVm } from './exact-snapshot';
import { SNAPSHOT_VERSION, type Snapshot, type SnapshotCpu, type SnapshotThread, type SnapshotVcpu, type SnapshotVm } from './snapshot';
import { threadActivity, type ThreadActivity } from './thread-activity';
import { assignThreads } from './thread-roles';
import type { HostObservation, ThreadSample, VmObservation } from './types';
import { detectViolations, type JudgedVm } from './violations';
import { byName } from './violations/context';

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
  const judged: JudgedVm[] = obs.vms
    .map((vm) => {
      const before = prevVms.get(vm.pid) ?? null;
      const built = prevBuilt.get(vm.pid);
      const reuse = before !== null && built !== undefined && idleAndUnchanged(vm, before, built);
      const sampled = reuse ? built : buildVm(vm, before);
      return { vm: exact ? exactVm(sampled, exact) : sampled, intent: vm.intent };
    })
    .sort((a, b) => byName(a.vm.name, b.vm.name) || a.vm.pid - b.vm.pid);
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
    const trace = { events: exact.events, lostEvents: exact.lostEvents };
    return { version: SNAPSHOT_VERSION, host: obs.host, at: obs.at, intervalMs, mode, trace, topology, vms, violations };
  }
  return { version: SNAPSHOT_VERSION, host: obs.host, at: obs.at, intervalMs, mode, topology, vms, violations };
}

function withExactCpus(topology: Snapshot['topology'], judged: readonly JudgedVm[], exact: NonNullable<HostObservation['exact']>): Snapshot['topology'] {
  return { cpus: exactCpus(topology.cpus, judged.map((j) => j.vm), exact), isolated: topology.isolated, nohzFull: topology.nohzFull };
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
    vm.maxVcpus !== before.maxVcpus
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
  for (const { sample, role, pin } of assignThreads(vm)) {
    const activity = threadActivity(sample, prevThreads.get(sample.tid) ?? null);
    switch (role.kind) {
      case 'vcpu': {
        threads.push({
          tid: sample.tid,
          role: 'vcpu',
          name: sample.name,
          pcpu: sample.pcpu,
          affinity: sample.affinity,
          pin,
          ran: activity.ran,
          state: sample.state,
          vcpu: role.index,
        });
        vcpus.push(vcpuOf(sample, role.index, role.source, role.props, pin, activity));
        break;
      }
      case 'iothread':
        threads.push({
          tid: sample.tid,
          role: 'iothread',
          name: sample.name,
          pcpu: sample.pcpu,
          affinity: sample.affinity,
          pin,
          ran: activity.ran,
          state: sample.state,
          iothread: role.id,
        });
        break;
      case 'emulator':
      case 'other':
        threads.push({
          tid: sample.tid,
          role: role.kind,
          name: sample.name,
          pcpu: sample.pcpu,
          affinity: sample.affinity,
          pin,
          ran: activity.ran,
          state: sample.state,
        });
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
    vcpus: vcpus.sort((a, b) => a.index - b.index),
    threads: threads.sort((a, b) => a.tid - b.tid),
  };
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
