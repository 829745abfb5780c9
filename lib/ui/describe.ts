// Text for tooltips and accessible names: what runs where, against its pin and affinity. Pure.
import { formatCpuset } from '../cpuset';
import type { Snapshot, SnapshotThread, SnapshotVm } from '../model/snapshot';

export interface ThreadRef {
  readonly vm: SnapshotVm;
  readonly thread: SnapshotThread;
}

/** Index of a snapshot's threads by `${vm}:${pid}:${tid}`, the History thread key. */
export function threadIndex(s: Snapshot | null): Map<string, ThreadRef> {
  const out = new Map<string, ThreadRef>();
  for (const vm of s?.vms ?? []) for (const thread of vm.threads) out.set(`${vm.name}:${vm.pid}:${thread.tid}`, { vm, thread });
  return out;
}

// By the array itself: a pin or affinity comes from the host's structure, the same array in every
// live frame until it changes, and the topology grid writes one per thread on each frame.
const cpuTexts = new WeakMap<readonly number[], string>();

export function cpuText(cpus: readonly number[] | null): string {
  if (cpus === null) return 'none';
  if (cpus.length === 0) return 'empty';
  let text = cpuTexts.get(cpus);
  if (text === undefined) {
    text = formatCpuset(cpus);
    cpuTexts.set(cpus, text);
  }
  return text;
}

export function threadLabel(t: Pick<SnapshotThread, 'role' | 'vcpu' | 'iothread' | 'name'>): string {
  if (t.role === 'vcpu') return `vCPU ${t.vcpu ?? '?'}`;
  if (t.role === 'iothread') return `I/O thread ${t.iothread ?? t.name}`;
  return t.role === 'emulator' ? `emulator (${t.name})` : t.name;
}

/** What is on each pCPU now: vCPUs first (one that ran beats a stale one), then other threads that ran there. */
export function occupants(s: Snapshot): Map<number, ThreadRef[]> {
  const out = new Map<number, ThreadRef[]>();
  for (const vm of s.vms) {
    for (const thread of vm.threads) {
      if (thread.role !== 'vcpu' && !thread.ran) continue;
      const list = out.get(thread.pcpu) ?? [];
      list.push({ vm, thread });
      out.set(thread.pcpu, list);
    }
  }
  const rank = (r: ThreadRef) => (r.thread.role === 'vcpu' ? 0 : 2) + (r.thread.ran ? 0 : 1);
  for (const list of out.values()) list.sort((a, b) => rank(a) - rank(b));
  return out;
}

/** VMs whose vCPU pins include each pCPU. */
export function pinnedBy(s: Snapshot): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const vm of s.vms) {
    for (const v of vm.vcpus) {
      for (const p of v.pin ?? []) {
        const list = out.get(p) ?? [];
        if (!list.includes(vm.name)) list.push(vm.name);
        out.set(p, list);
      }
    }
  }
  return out;
}
