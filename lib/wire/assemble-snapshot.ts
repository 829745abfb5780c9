// A Snapshot put back together from a structure (its static part) and one tick's volatile values.
// The server expanding a compact tick (compact-tick.ts) and the store decoding a stored row
// (store/tick-codec.ts) both build it here, so they serve exactly the same Snapshot.
import { SNAPSHOT_VERSION, type Snapshot, type SnapshotThread, type SnapshotVcpu, type SnapshotVm, type Violation } from '../model/snapshot';
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
}

/**
 * The snapshot; CPU lists are shared with `body`, not copied. A vCPU entry takes the placement of
 * the thread with its tid in its VM unless it has its own; one with neither is an error naming
 * `where` (the caller's tick or row did not fit the structure).
 */
export function assembleSnapshot(body: StructureBody, v: TickValues, where: string): Snapshot {
  const index = structureIndex(body);
  const cpus = body.topology.cpus.map((c, i) => ({
    cpu: c.cpu,
    socket: c.socket,
    die: c.die,
    core: c.core,
    node: c.node,
    siblings: c.siblings,
    isolated: c.isolated,
    busy: v.busy[i] ?? null,
  }));
  let t = 0;
  let e = 0;
  const flat: SnapshotThread[] = [];
  const vms = body.vms.map((vm): SnapshotVm => {
    const threads = vm.threads.map((th): SnapshotThread => {
      const k = t++;
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
      };
      flat[k] = out;
      return out;
    });
    const vcpus = vm.vcpus.map((vc): SnapshotVcpu => {
      const k = e++;
      const linked = index.vcpuThread[k] ?? -1;
      const live = v.vcpuOwn(k) ?? (linked >= 0 ? flat[linked] : undefined);
      if (live === undefined) throw new Error(`${where}: vCPU entry ${k} has neither a thread nor a placement of its own`);
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
    topology: { cpus, isolated: body.topology.isolated, nohzFull: body.topology.nohzFull },
    vms,
    violations: v.violations,
  };
}
