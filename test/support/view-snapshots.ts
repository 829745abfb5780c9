// Hand-made Snapshots for the view tests. Not used by production code.
import type { Snapshot, SnapshotVm } from '../../lib/model/snapshot';

export interface VcpuSpec {
  readonly pcpu: number;
  readonly ran: boolean;
  readonly pin?: readonly number[] | null;
}

/** A VM whose vCPU i has thread id pid + 1 + i, plus one emulator thread (the main thread). */
export function vm(name: string, pid: number, vcpus: readonly VcpuSpec[]): SnapshotVm {
  const vs = vcpus.map((v, i) => ({
    index: i,
    tid: pid + 1 + i,
    pcpu: v.pcpu,
    affinity: [v.pcpu],
    pin: v.pin ?? null,
    ran: v.ran,
    state: v.ran ? 'R' : 'S',
    runNs: v.ran ? 1_000_000 : 0,
    waitNs: 0,
    identity: 'qmp' as const,
  }));
  return {
    name,
    uuid: null,
    pid,
    source: 'qemu',
    intent: 'none',
    dedicated: false,
    maxVcpus: null,
    vcpus: vs,
    threads: [
      { tid: pid, role: 'emulator', name: 'qemu-system-x86', pcpu: 0, affinity: [0], pin: null, ran: false, state: 'S' },
      ...vs.map((v) => ({ tid: v.tid, role: 'vcpu' as const, name: `CPU ${v.index}/KVM`, pcpu: v.pcpu, affinity: v.affinity, pin: v.pin, ran: v.ran, state: v.state, vcpu: v.index })),
    ],
  };
}

/** A host of `ncpu` pCPUs, one socket and node, no SMT. */
export function snapshot(host: string, at: number, ncpu: number, vms: readonly SnapshotVm[]): Snapshot {
  return {
    version: 1,
    host,
    at,
    intervalMs: 1000,
    topology: {
      cpus: Array.from({ length: ncpu }, (_, cpu) => ({ cpu, socket: 0, die: 0, core: cpu, node: 0, siblings: [cpu], isolated: false, busy: 0 })),
      isolated: [],
      nohzFull: [],
    },
    vms,
    violations: [],
  };
}
