// A Snapshot put back together from a structure (its static part) and one tick's volatile values.
// The server expanding a compact tick (compact-tick.ts) and the store decoding a stored row
// (store/tick-codec.ts) both build it here, so they serve exactly the same Snapshot.
import { SNAPSHOT_VERSION, type Snapshot, type SnapshotResidency, type SnapshotThread, type SnapshotVcpu, type SnapshotVm, type SnapshotWakeLatency, type Violation } from '../model/snapshot';
import type { TickExact, VcpuExact } from './compact-tick';
import type { StructureBody } from './structure-body';
import { structureIndex } from './structure-index';

/** A vCPU entry's own placement, when it differs from its thread's (or it has no thread). */
export interface OwnPlacement {
  readonly pcpu: number;
  readonly ran: boolean;
  readonly state: string;
}

/** One tick's volatile values; thread k and vCPU entry k count flat, VM by VM, in structure order (structure-index.ts). */
export interface TickValues {
  readonly host: string;
  readonly at: number; // epoch ms
  readonly intervalMs: number | null;
  readonly threadPcpu: (k: number) => number;
  readonly threadRan: (k: number) => boolean;
  readonly threadState: (k: number) => string;
  readonly vcpuOwn: (k: number) => OwnPlacement | undefined;
  readonly runNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly waitNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly busy: readonly (number | null)[]; // per pCPU of the topology
  readonly violations: readonly Violation[];
  /** Exact mode's values (sparse, by thread, vCPU entry and pCPU index), when the tick has them. */
  readonly exact?: TickExact;
}

/**
 * The snapshot; CPU lists are shared with `body`, not copied. A vCPU entry takes the placement of
 * the thread with its tid in its VM unless it has its own; one with neither is an error naming
 * `where` (the caller's tick or row did not fit the structure).
 */
export function assembleSnapshot(body: StructureBody, v: TickValues, where: string): Snapshot {
  const index = structureIndex(body);
  const x = v.exact;
  const cpuExact = new Map((x?.cpuExact ?? []).map((c) => [c.index, c]));
  const threadResidency = new Map((x?.residency ?? []).map((r) => [r[0] ?? -1, r]));
  const vcpuExact = new Map((x?.vcpuExact ?? []).map((e) => [e.entry, e]));
  const cpus = body.topology.cpus.map((c, i) => {
    const ce = cpuExact.get(i);
    const base = {
    cpu: c.cpu,
    socket: c.socket,
    die: c.die,
    core: c.core,
    node: c.node,
    siblings: c.siblings,
    isolated: c.isolated,
    busy: v.busy[i] ?? null,
    };
    if (ce === undefined) return base;
    return {
      ...base,
      ...(ce.others !== undefined ? { others: ce.others } : {}),
      ...(ce.othersRest !== undefined ? { othersRest: ce.othersRest } : {}),
      ...(ce.irqs !== undefined ? { irqs: ce.irqs } : {}),
      ...(ce.lostEvents !== undefined ? { lostEvents: ce.lostEvents } : {}),
    };
  });
  let t = 0;
  let e = 0;
  const flat: SnapshotThread[] = [];
  const vms = body.vms.map((vm): SnapshotVm => {
    const threads = vm.threads.map((th): SnapshotThread => {
      const k = t++;
      const res = threadResidency.get(k);
      const out: SnapshotThread = {
        tid: th.tid,
        role: th.role,
        name: th.name,
        pcpu: v.threadPcpu(k),
        affinity: th.affinity,
        pin: th.pin,
        ran: v.threadRan(k),
        state: v.threadState(k),
        ...(th.policy !== undefined ? { policy: th.policy } : {}),
        ...(th.priority !== undefined ? { priority: th.priority } : {}),
        ...(th.vcpu !== undefined ? { vcpu: th.vcpu } : {}),
        ...(th.iothread !== undefined ? { iothread: th.iothread } : {}),
        ...(res !== undefined ? { residency: residencyOf(res, 1) } : {}),
      };
      flat[k] = out;
      return out;
    });
    const vcpus = vm.vcpus.map((vc): SnapshotVcpu => {
      const k = e++;
      const linked = index.vcpuThread[k] ?? -1;
      const live = v.vcpuOwn(k) ?? (linked >= 0 ? flat[linked] : undefined);
      if (live === undefined) throw new Error(`${where}: vCPU entry ${k} has neither a thread nor a placement of its own`);
      const ve = vcpuExact.get(k);
      const wake = wakeLatencyOf(ve?.wakeLatencyNs);
      return {
        index: vc.index,
        tid: vc.tid,
        pcpu: live.pcpu,
        affinity: vc.affinity,
        pin: vc.pin,
        ran: live.ran,
        state: live.state,
        runNs: v.runNs[k] ?? null,
        waitNs: v.waitNs[k] ?? null,
        identity: vc.identity,
        ...(vc.props !== undefined ? { props: vc.props } : {}),
        ...(ve?.residency !== undefined ? { residency: residencyOf(ve.residency) } : {}),
        ...(ve?.migrations !== undefined ? { migrations: ve.migrations } : {}),
        ...(wake !== undefined ? { wakeLatencyNs: wake } : {}),
      };
    });
    return {
      name: vm.name,
      uuid: vm.uuid,
      pid: vm.pid,
      source: vm.source,
      intent: vm.intent,
      dedicated: vm.dedicated,
      maxVcpus: vm.maxVcpus,
      ...(vm.identity !== undefined ? { identity: vm.identity } : {}),
      ...(vm.cgroup !== undefined ? { cgroup: vm.cgroup } : {}),
      vcpus,
      threads,
    };
  });
  return {
    version: SNAPSHOT_VERSION,
    host: v.host,
    at: v.at,
    intervalMs: v.intervalMs,
    ...(x?.mode !== undefined ? { mode: x.mode } : {}),
    ...(x?.trace !== undefined ? { trace: x.trace } : {}),
    topology: { cpus, isolated: body.topology.isolated, nohzFull: body.topology.nohzFull },
    vms,
    violations: v.violations,
  };
}

/** Residency triples (from `from` on) as the snapshot's objects. */
export function residencyOf(flat: readonly number[], from = 0): SnapshotResidency[] {
  const out: SnapshotResidency[] = [];
  for (let i = from; i + 2 < flat.length; i += 3) out.push({ pcpu: flat[i] ?? 0, ns: flat[i + 1] ?? 0, switchIns: flat[i + 2] ?? 0 });
  return out;
}

/** The wake-up latency of a tick's vCPU entry as the snapshot's object. */
export function wakeLatencyOf(w: VcpuExact['wakeLatencyNs']): SnapshotWakeLatency | null | undefined {
  if (w === undefined || w === null) return w;
  return { p50: w[0], p99: w[1], max: w[2], count: w[3] };
}
