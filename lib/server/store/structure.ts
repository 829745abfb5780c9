// The static part of a snapshot ("structure"): topology, VMs, thread ids, names, roles, pins and
// affinities. It changes on hot-plug, VM start/stop or a re-pin, so it is stored once per change
// and every tick row refers to it; the rows hold only the volatile values (tick-codec.ts).
import type { CpuList, ThreadRole } from '../../model/types';
import { intern, type StructureBody } from '../../wire/structure-body';

export {
  extractStructure,
  sameStructure,
  structureHash,
  structureJson,
  type StaticCpu,
  type StaticThread,
  type StaticVcpu,
  type StaticVm,
  type StructureBody,
} from '../../wire/structure-body';

/** One row of the history thread table: every thread, plus vCPU entries without a thread. */
export interface PlacedThread {
  readonly key: string; // `${vm}:${pid}:${tid}`: stable across structures of the same host
  readonly vm: string;
  readonly pid: number;
  readonly tid: number;
  readonly role: ThreadRole;
  readonly vcpu: number | null;
  readonly name: string;
}

/**
 * A structure with the flat tables the codec walks. Threads are numbered in snapshot order (VM by
 * VM); "placed" entries are those threads followed by the vCPU entries that have no thread with
 * their tid (rare: a race between reading the task list and the libvirt status).
 */
export class Structure {
  readonly threadCount: number;
  readonly vcpuCount: number;
  readonly cpuCount: number;
  /** Per thread: the pCPU a row's value is compared with (its pin, else its first allowed CPU). */
  readonly basePcpu: Uint16Array;
  /** Per vCPU entry: index of the thread with the same tid in its VM, or -1. */
  readonly vcpuThread: Int32Array;
  /** Per vCPU entry: its placed index (a thread index, or threadCount + k for unlinked ones). */
  readonly vcpuPlaced: Int32Array;
  readonly placedCount: number;
  private placedCache: readonly PlacedThread[] | null = null;

  constructor(
    readonly id: number,
    readonly body: StructureBody,
  ) {
    let threads = 0;
    let vcpus = 0;
    for (const vm of body.vms) {
      threads += vm.threads.length;
      vcpus += vm.vcpus.length;
    }
    this.threadCount = threads;
    this.vcpuCount = vcpus;
    this.cpuCount = body.topology.cpus.length;
    this.basePcpu = new Uint16Array(threads);
    this.vcpuThread = new Int32Array(vcpus);
    this.vcpuPlaced = new Int32Array(vcpus);
    let t = 0;
    let v = 0;
    let unlinked = 0;
    for (const vm of body.vms) {
      const byTid = new Map<number, number>();
      for (const th of vm.threads) {
        this.basePcpu[t] = th.pin?.[0] ?? th.affinity[0] ?? 0;
        byTid.set(th.tid, t);
        t++;
      }
      for (const vc of vm.vcpus) {
        const linked = byTid.get(vc.tid);
        if (linked !== undefined) {
          this.vcpuThread[v] = linked;
          this.vcpuPlaced[v] = linked;
        } else {
          this.vcpuThread[v] = -1;
          this.vcpuPlaced[v] = threads + unlinked++;
        }
        v++;
      }
    }
    this.placedCount = threads + unlinked;
  }

  /** The placed threads' metadata; built on first use (history), not for every structure. */
  get placed(): readonly PlacedThread[] {
    if (this.placedCache) return this.placedCache;
    const placed: PlacedThread[] = [];
    const unlinked: PlacedThread[] = [];
    for (const vm of this.body.vms) {
      const tids = new Set<number>();
      for (const th of vm.threads) {
        tids.add(th.tid);
        placed.push({ key: threadKey(vm.name, vm.pid, th.tid), vm: vm.name, pid: vm.pid, tid: th.tid, role: th.role, vcpu: th.vcpu ?? null, name: th.name });
      }
      for (const vc of vm.vcpus) {
        if (tids.has(vc.tid)) continue;
        unlinked.push({ key: threadKey(vm.name, vm.pid, vc.tid), vm: vm.name, pid: vm.pid, tid: vc.tid, role: 'vcpu', vcpu: vc.index, name: `CPU ${vc.index}` });
      }
    }
    this.placedCache = placed.concat(unlinked);
    return this.placedCache;
  }
}

export function threadKey(vm: string, pid: number, tid: number): string {
  return `${vm}:${pid}:${tid}`;
}

/** Parses a stored structure body; throws with the id when the text is not what was written. */
export function parseStructure(id: number, json: string): Structure {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (err) {
    throw new Error(`store: structure ${id} is not valid JSON (database corrupted?): ${String(err)}`);
  }
  if (!isStructureBody(body)) {
    throw new Error(`store: structure ${id} does not have the expected shape (database written by another version?)`);
  }
  return new Structure(id, internLists(body));
}

/** The same body with equal CPU lists shared (JSON.parse makes one array per occurrence). */
function internLists(b: StructureBody): StructureBody {
  const lists = new Map<string, CpuList>();
  const L = (l: CpuList): CpuList => intern(lists, l);
  const LN = (l: CpuList | null): CpuList | null => (l === null ? null : intern(lists, l));
  return {
    host: b.host,
    topology: {
      cpus: b.topology.cpus.map((c) => ({ ...c, siblings: L(c.siblings) })),
      isolated: L(b.topology.isolated),
      nohzFull: L(b.topology.nohzFull),
    },
    vms: b.vms.map((vm) => ({
      ...vm,
      vcpus: vm.vcpus.map((v) => ({ ...v, affinity: L(v.affinity), pin: LN(v.pin) })),
      threads: vm.threads.map((t) => ({ ...t, affinity: L(t.affinity), pin: LN(t.pin) })),
    })),
  };
}

function isStructureBody(v: unknown): v is StructureBody {
  if (typeof v !== 'object' || v === null) return false;
  if (!('host' in v) || typeof v.host !== 'string') return false;
  if (!('vms' in v) || !Array.isArray(v.vms)) return false;
  if (!('topology' in v) || typeof v.topology !== 'object' || v.topology === null) return false;
  const topo = v.topology;
  if (!('cpus' in topo) || !Array.isArray(topo.cpus)) return false;
  return v.vms.every(
    (vm: unknown) =>
      typeof vm === 'object' &&
      vm !== null &&
      'threads' in vm &&
      Array.isArray(vm.threads) &&
      'vcpus' in vm &&
      Array.isArray(vm.vcpus) &&
      'name' in vm &&
      typeof vm.name === 'string',
  );
}
