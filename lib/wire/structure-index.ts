// The flat index of a structure: what every reader of a tick needs to walk it. A tick's per-thread
// arrays count threads flat (VM by VM, each VM's `threads` in order), its per-vCPU arrays count
// vCPU entries flat the same way, and each vCPU entry takes the placement of the thread with its
// tid in its VM unless it has one of its own. History rows are the "placed" entries: every
// thread, then the vCPU entries that have no such thread (a race between reading the task list
// and libvirt's status). Built once per structure body and cached; pure, safe in the browser.
import type { ThreadRole } from '../model/types';
import type { StructureBody } from './structure-body';

/** The key of a thread in history: stable across structures of the same host. */
export function threadKey(vm: string, pid: number, tid: number): string {
  return `${vm}:${pid}:${tid}`;
}

/** One row of history: a thread, or a vCPU entry without a thread. */
export interface PlacedThread {
  readonly key: string; // threadKey(vm, pid, tid)
  readonly vm: string;
  readonly pid: number;
  readonly tid: number;
  readonly role: ThreadRole;
  readonly vcpu: number | null;
  readonly name: string;
}

export interface StructureIndex {
  readonly threadCount: number;
  readonly vcpuCount: number;
  readonly cpuCount: number;
  /** Per VM: index of its first thread and of its first vCPU entry, plus one past the last VM. */
  readonly vmThreadStart: Int32Array;
  readonly vmVcpuStart: Int32Array;
  /** Per vCPU entry: the flat index of the thread with its tid in its VM, or -1. */
  readonly vcpuThread: Int32Array;
  /** Per vCPU entry: its placed index (its thread's, or threadCount + k for the k-th unlinked one). */
  readonly vcpuPlaced: Int32Array;
  /** vCPU entries without a thread, ascending: a tick must give their placement itself. */
  readonly unlinked: readonly number[];
  readonly placedCount: number;
  /** Per placed entry: the vCPU entry whose runNs/waitNs it carries, or -1 (not a vCPU). */
  readonly placedVcpu: Int32Array;
  /** The placed entries' metadata (history rows), in placed order. */
  readonly placed: readonly PlacedThread[];
}

const cache = new WeakMap<StructureBody, StructureIndex>();

export function structureIndex(body: StructureBody): StructureIndex {
  const hit = cache.get(body);
  if (hit) return hit;
  const vms = body.vms.length;
  const vmThreadStart = new Int32Array(vms + 1);
  const vmVcpuStart = new Int32Array(vms + 1);
  let threads = 0;
  let vcpus = 0;
  body.vms.forEach((vm, i) => {
    vmThreadStart[i] = threads;
    vmVcpuStart[i] = vcpus;
    threads += vm.threads.length;
    vcpus += vm.vcpus.length;
  });
  vmThreadStart[vms] = threads;
  vmVcpuStart[vms] = vcpus;
  const vcpuThread = new Int32Array(vcpus);
  const vcpuPlaced = new Int32Array(vcpus);
  const unlinked: number[] = [];
  const placed: PlacedThread[] = [];
  const extra: PlacedThread[] = [];
  const threadVcpu = new Int32Array(threads).fill(-1);
  let t = 0;
  let v = 0;
  for (const vm of body.vms) {
    const byTid = new Map<number, number>();
    for (const th of vm.threads) {
      byTid.set(th.tid, t); // a repeated tid: the last thread wins, as it always has
      placed.push({ key: threadKey(vm.name, vm.pid, th.tid), vm: vm.name, pid: vm.pid, tid: th.tid, role: th.role, vcpu: th.vcpu ?? null, name: th.name });
      t++;
    }
    for (const vc of vm.vcpus) {
      const linked = byTid.get(vc.tid);
      if (linked !== undefined) {
        vcpuThread[v] = linked;
        vcpuPlaced[v] = linked;
        if (threadVcpu[linked] === -1) threadVcpu[linked] = v;
      } else {
        vcpuThread[v] = -1;
        vcpuPlaced[v] = threads + unlinked.length;
        unlinked.push(v);
        extra.push({ key: threadKey(vm.name, vm.pid, vc.tid), vm: vm.name, pid: vm.pid, tid: vc.tid, role: 'vcpu', vcpu: vc.index, name: `CPU ${vc.index}` });
      }
      v++;
    }
  }
  const placedCount = threads + unlinked.length;
  const placedVcpu = new Int32Array(placedCount);
  placedVcpu.set(threadVcpu);
  unlinked.forEach((e, k) => {
    placedVcpu[threads + k] = e;
  });
  const index: StructureIndex = {
    threadCount: threads,
    vcpuCount: vcpus,
    cpuCount: body.topology.cpus.length,
    vmThreadStart,
    vmVcpuStart,
    vcpuThread,
    vcpuPlaced,
    unlinked,
    placedCount,
    placedVcpu,
    placed: placed.concat(extra),
  };
  cache.set(body, index);
  return index;
}
