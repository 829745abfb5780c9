// The static part of a snapshot ("structure"): topology, VMs, thread ids, names, roles, pins and
// affinities, in one canonical form shared by the agent and the server. Its JSON and sha256 are
// the same on both sides: the agent names a structure by its hash in compact ticks
// (compact-tick.ts), and the server stores it once per host under that hash.
import { createHash } from 'node:crypto';
import type { SnapshotCgroup, SnapshotCpu, SnapshotThread, SnapshotVcpu, SnapshotVm } from '../model/snapshot';
import type { CpuList } from '../model/types';

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

/**
 * The static part of a snapshot, keys in contract order, optional keys only when present. CPU
 * lists are interned: every floating thread has the same 64-entry affinity, and a structure lives
 * in the live window for as long as the host does not change.
 */
export function extractStructure(s: StructureBody): StructureBody {
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
      ...(vm.identity !== undefined ? { identity: vm.identity } : {}),
      ...(vm.cgroup !== undefined ? { cgroup: vm.cgroup === null ? null : { path: vm.cgroup.path, file: vm.cgroup.file, cpus: L(vm.cgroup.cpus) } } : {}),
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
        ...(t.policy !== undefined ? { policy: t.policy } : {}),
        ...(t.priority !== undefined ? { priority: t.priority } : {}),
        ...(t.vcpu !== undefined ? { vcpu: t.vcpu } : {}),
        ...(t.iothread !== undefined ? { iothread: t.iothread } : {}),
      })),
    })),
  };
}

export function intern(lists: Map<string, CpuList>, l: CpuList): CpuList {
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
export function sameStructure(st: StructureBody, s: StructureBody): boolean {
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

function sameVm(x: StaticVm, y: StaticVm): boolean {
  if (
    x.name !== y.name ||
    x.uuid !== y.uuid ||
    x.pid !== y.pid ||
    x.source !== y.source ||
    x.intent !== y.intent ||
    x.dedicated !== y.dedicated ||
    x.maxVcpus !== y.maxVcpus ||
    x.identity !== y.identity ||
    !sameCgroup(x.cgroup, y.cgroup) ||
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
      a.policy !== b.policy ||
      a.priority !== b.priority ||
      !sameList(a.affinity, b.affinity) ||
      !sameNullableList(a.pin, b.pin)
    ) {
      return false;
    }
  }
  return true;
}

function sameCgroup(a: SnapshotCgroup | null | undefined, b: SnapshotCgroup | null | undefined): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return a === b;
  return a.path === b.path && a.file === b.file && sameList(a.cpus, b.cpus);
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
