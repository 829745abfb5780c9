// Replayable frames of a big host for bench:ui: 256 pCPUs (2 sockets x 64 cores x SMT 2, 4 NUMA
// nodes), 64 VMs x 8 vCPUs = 512 vCPUs, each VM with an emulator and two worker threads. Half the
// VMs are pinned (vCPU n of VM k on one pCPU, two VMs sharing each core's SMT siblings); the others
// roam inside a NUMA node. Deterministic: the same seed gives the same frames.
import type { Snapshot, SnapshotCpu, SnapshotThread, SnapshotVcpu, SnapshotVm, Violation } from '../../lib/model/snapshot';
import { mulberry32 } from '../../lib/random/mulberry32';

export const SOCKETS = 2;
export const CORES_PER_SOCKET = 64;
export const SMT = 2;
export const NODES = 4;
export const VMS = 64;
export const VCPUS_PER_VM = 8;

const NCPU = SOCKETS * CORES_PER_SOCKET * SMT; // 256
const CORES = SOCKETS * CORES_PER_SOCKET;

function topology(): SnapshotCpu[] {
  const out: SnapshotCpu[] = [];
  for (let t = 0; t < SMT; t++) {
    for (let c = 0; c < CORES; c++) {
      const cpu = t * CORES + c;
      const socket = Math.floor(c / CORES_PER_SOCKET);
      const node = Math.floor(c / (CORES / NODES));
      out.push({ cpu, socket, die: 0, core: c % CORES_PER_SOCKET, node, siblings: [c, CORES + c], isolated: false, busy: 0 });
    }
  }
  return out.sort((a, b) => a.cpu - b.cpu);
}

interface VmPlan {
  readonly name: string;
  readonly pid: number;
  readonly pinned: boolean;
  readonly pins: readonly number[]; // per vCPU, for pinned VMs
  readonly node: number; // where unpinned VMs roam
}

export class SyntheticHost {
  private readonly rand: () => number;
  private readonly cpus = topology();
  private readonly plans: VmPlan[] = [];
  private readonly pcpu = new Map<number, number>(); // tid -> current pCPU
  private readonly nodeCpus: number[][] = Array.from({ length: NODES }, () => []);

  constructor(
    readonly host: string,
    seed = 42,
  ) {
    this.rand = mulberry32(seed);
    for (const c of this.cpus) this.nodeCpus[c.node]?.push(c.cpu);
    for (let k = 0; k < VMS; k++) {
      const pinned = k % 2 === 0;
      const base = (k / 2) * VCPUS_PER_VM; // pinned VMs: 32 of them x 8 vCPUs over 256 pCPUs
      const pins = Array.from({ length: VCPUS_PER_VM }, (_, i) => (base + i) % NCPU);
      this.plans.push({ name: `vm-${String(k).padStart(2, '0')}`, pid: 10_000 + k * 100, pinned, pins, node: k % NODES });
    }
  }

  /** The frame at `at`; `i` counts frames (the first has no interval). */
  frame(at: number, i: number): Snapshot {
    const vms: SnapshotVm[] = [];
    const violations: Violation[] = [];
    for (const plan of this.plans) {
      const vcpus: SnapshotVcpu[] = [];
      const threads: SnapshotThread[] = [];
      for (let v = 0; v < VCPUS_PER_VM; v++) {
        const tid = plan.pid + 1 + v;
        const ran = this.rand() < 0.7;
        const pin = plan.pinned ? [plan.pins[v] ?? 0] : null;
        let p = this.pcpu.get(tid) ?? (plan.pinned ? (plan.pins[v] ?? 0) : (this.nodeCpus[plan.node]?.[v] ?? 0));
        if (ran) {
          if (plan.pinned) p = this.rand() < 0.002 ? Math.floor(this.rand() * NCPU) : (plan.pins[v] ?? 0);
          else if (this.rand() < 0.2) {
            const node = this.nodeCpus[plan.node] ?? [0];
            p = node[Math.floor(this.rand() * node.length)] ?? 0;
          }
        }
        this.pcpu.set(tid, p);
        const affinity = pin ?? this.nodeCpus[plan.node] ?? [];
        if (pin !== null && ran && !pin.includes(p)) {
          violations.push({
            id: `off-pin:${plan.name}:${v}`,
            kind: 'off-pin',
            severity: 'critical',
            vm: plan.name,
            vms: [plan.name],
            vcpu: v,
            tid,
            pcpus: [p],
            message: `VM "${plan.name}" vCPU ${v} ran on pCPU ${p}, outside its pin ${pin[0]}.`,
            fix: `taskset -pc ${pin[0]} ${tid}`,
            since: at,
            lastSeen: at,
          });
        }
        const state = ran ? 'R' : 'S';
        const runNs = i === 0 ? null : ran ? Math.floor(this.rand() * 9e8) : 0;
        const waitNs = i === 0 ? null : Math.floor(this.rand() * 5e7);
        vcpus.push({ index: v, tid, pcpu: p, affinity, pin, ran, state, runNs, waitNs, identity: 'qmp' });
        threads.push({ tid, role: 'vcpu', name: `CPU ${v}/KVM`, pcpu: p, affinity, pin, ran, state, vcpu: v });
      }
      const emuCpus = this.nodeCpus[plan.node] ?? [0];
      for (const [j, name] of ['qemu-system-x86', 'call_rcu', 'worker'].entries()) {
        const tid = j === 0 ? plan.pid : plan.pid + 50 + j;
        threads.push({ tid, role: 'emulator', name, pcpu: emuCpus[j] ?? 0, affinity: emuCpus, pin: null, ran: this.rand() < 0.1, state: 'S' });
      }
      vms.push({ name: plan.name, uuid: null, pid: plan.pid, source: 'libvirt', intent: plan.pinned ? 'libvirt' : 'none', dedicated: false, maxVcpus: VCPUS_PER_VM, vcpus, threads });
    }
    return {
      version: 1,
      host: this.host,
      at,
      intervalMs: i === 0 ? null : 1000,
      topology: { cpus: this.cpus.map((c) => ({ ...c, busy: i === 0 ? null : Math.round(this.rand() * 100) / 100 })), isolated: [], nohzFull: [] },
      vms,
      violations,
    };
  }
}
