// The static part of a snapshot ("structure"): topology, VMs, thread ids, names, roles, pins and
// affinities. It changes on hot-plug, VM start/stop or a re-pin, so it is stored once per change
// and every tick row refers to it; the rows hold only the volatile values (tick-codec.ts).
import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotCpu, SnapshotThread, SnapshotVcpu, SnapshotVm } from '../../model/snapshot';
import type { CpuList, ThreadRole } from '../../model/types';

export type StaticCpu = Omit<SnapshotCpu, 'busy'>;
export type StaticVcpu = Omit<SnapshotVcpu, 'pcpu' | 'ran' | 'state' | 'runNs' | 'waitNs'>;
export type StaticThread = Omit<SnapshotThread, 'pcpu' | 'ran' | 'state'>;
export interface StaticVm extends Omit<SnapshotVm, 'vcpus' | 'threads'> {
  readonly vcpus: readonly StaticVcpu[];
  readonly threads: readonly StaticThread[];
}

/** What is stored (as JSON text, key order preserved) in the structures table. */
export interface StructureBody {
  readonly host: string;
  readonly topology: { readonly cpus: readonly StaticCpu[]; readonly isolated: CpuList; readonly nohzFull: CpuList };
  readonly vms: readonly StaticVm[];
}

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

/**
 * The static part of a snapshot, keys in contract order, optional keys only when present. CPU
 * lists are interned: every floating thread has the same 64-entry affinity, and a structure lives
 * in the live window for as long as the host does not change.
 */
export function extractStructure(s: Snapshot): StructureBody {
  const lists = new Map<string, CpuList>();
  const L = (l: CpuList): CpuList => intern(lists, l);
  const LN = (l: CpuList | null): CpuList | null => (l === null ? null : intern(lists, l));
  return {
    host: s.host,
    topology: {
      cpus: s.topology.cpus.map((c) => ({
        cpu: c.cpu,
        socket: c.socket,
        die: c.die,
        core: c.core,
        node: c.node,
        siblings: L(c.siblings),
        isolated: c.isolated,
      })),
      isolated: L(s.topology.isolated),
      nohzFull: L(s.topology.nohzFull),
    },
    vms: s.vms.map((vm) => ({
      name: vm.name,
      uuid: vm.uuid,
      pid: vm.pid,
      source: vm.source,
      intent: vm.intent,
      dedicated: vm.dedicated,
      maxVcpus: vm.maxVcpus,
      vcpus: vm.vcpus.map((v) => ({
        index: v.index,
        tid: v.tid,
        affinity: L(v.affinity),
        pin: LN(v.pin),
        identity: v.identity,
        ...(v.props !== undefined ? { props: v.props } : {}),
      })),
      threads: vm.threads.map((t) => ({
        tid: t.tid,
        role: t.role,
        name: t.name,
        affinity: L(t.affinity),
        pin: LN(t.pin),
        ...(t.vcpu !== undefined ? { vcpu: t.vcpu } : {}),
        ...(t.iothread !== undefined ? { iothread: t.iothread } : {}),
      })),
    })),
  };
}

function intern(lists: Map<string, CpuList>, l: CpuList): CpuList {
  const key = l.join(',');
  const hit = lists.get(key);
  if (hit) return hit;
  const copy = l.slice();
  lists.set(key, copy);
  return copy;
}

export function structureJson(body: StructureBody): string {
  return JSON.stringify(body);
}

/** sha256 of the JSON text: the dedup key of the structures table (per host). */
export function structureHash(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/**
 * True when the snapshot's static part equals the structure's, compared field by field without
 * building the JSON: the common case on ingest (nothing changed since the previous tick).
 */
export function sameStructure(st: StructureBody, s: Snapshot): boolean {
  if (st.host !== s.host) return false;
  const a = st.topology;
  const b = s.topology;
  if (!sameList(a.isolated, b.isolated) || !sameList(a.nohzFull, b.nohzFull)) return false;
  if (a.cpus.length !== b.cpus.length || st.vms.length !== s.vms.length) return false;
  for (let i = 0; i < a.cpus.length; i++) {
    const x = a.cpus[i];
    const y = b.cpus[i];
    if (x === undefined || y === undefined) return false;
    if (
      x.cpu !== y.cpu ||
      x.socket !== y.socket ||
      x.die !== y.die ||
      x.core !== y.core ||
      x.node !== y.node ||
      x.isolated !== y.isolated ||
      !sameList(x.siblings, y.siblings)
    ) {
      return false;
    }
  }
  for (let i = 0; i < st.vms.length; i++) {
    const x = st.vms[i];
    const y = s.vms[i];
    if (x === undefined || y === undefined || !sameVm(x, y)) return false;
  }
  return true;
}

function sameVm(x: StaticVm, y: SnapshotVm): boolean {
  if (
    x.name !== y.name ||
    x.uuid !== y.uuid ||
    x.pid !== y.pid ||
    x.source !== y.source ||
    x.intent !== y.intent ||
    x.dedicated !== y.dedicated ||
    x.maxVcpus !== y.maxVcpus ||
    x.vcpus.length !== y.vcpus.length ||
    x.threads.length !== y.threads.length
  ) {
    return false;
  }
  for (let i = 0; i < x.vcpus.length; i++) {
    const a = x.vcpus[i];
    const b = y.vcpus[i];
    if (a === undefined || b === undefined) return false;
    if (
      a.index !== b.index ||
      a.tid !== b.tid ||
      a.identity !== b.identity ||
      !sameList(a.affinity, b.affinity) ||
      !sameNullableList(a.pin, b.pin) ||
      !sameProps(a.props, b.props)
    ) {
      return false;
    }
  }
  for (let i = 0; i < x.threads.length; i++) {
    const a = x.threads[i];
    const b = y.threads[i];
    if (a === undefined || b === undefined) return false;
    if (
      a.tid !== b.tid ||
      a.role !== b.role ||
      a.name !== b.name ||
      a.vcpu !== b.vcpu ||
      a.iothread !== b.iothread ||
      !sameList(a.affinity, b.affinity) ||
      !sameNullableList(a.pin, b.pin)
    ) {
      return false;
    }
  }
  return true;
}

function sameList(a: CpuList, b: CpuList): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameNullableList(a: CpuList | null, b: CpuList | null): boolean {
  if (a === null || b === null) return a === b;
  return sameList(a, b);
}

// Key order matters: the structure is reconstructed with the props object it was stored with.
function sameProps(a: Readonly<Record<string, number>> | undefined, b: Readonly<Record<string, number>> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (k === undefined || k !== kb[i] || a[k] !== b[k]) return false;
  }
  return true;
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
