// A synthetic fleet for end-to-end tests and benchmarks: N hosts of P pCPUs, each with pinned
// VMs, in a chosen state (clean, critical, warning, stale), as the Snapshots an agent would send.
// Deterministic: the same spec gives the same fleet. A critical host has an off-pin vCPU (and the
// drifted affinity behind it), a warning host two VMs on SMT siblings; a stale host is one the
// caller stops sending frames for. `churn` is the share of hosts whose floating VM moves each frame
// (a tile that changes). Names vary in length, some long, as real fleets' do.
import type { Snapshot, SnapshotCpu, SnapshotThread, SnapshotVcpu, SnapshotVm, Violation } from '../../lib/model/snapshot';
import { mulberry32 } from '../../lib/random/mulberry32';

export type HostState = 'clean' | 'critical' | 'warning' | 'stale';

export interface FleetSpec {
  readonly hosts: number;
  readonly critical?: number; // hosts with a critical violation (the first ones)
  readonly warning?: number; // then hosts with a warning only
  readonly stale?: number; // then hosts that stop reporting (the caller decides when)
  readonly pcpus?: number; // per host, a multiple of 4 (2 sockets with SMT, one NUMA node each); default 16
  readonly vms?: number; // pinned VMs per host, default 3, plus one floating VM
  readonly churn?: number; // 0..1, default 0.05
  readonly intervalMs?: number; // the interval the frames say (how often the caller sends them), default 1000
  readonly prefix?: string; // host name prefix, default "hv"
  readonly seed?: number;
}

export interface FleetHost {
  readonly name: string;
  state: HostState;
}

export class SyntheticFleet {
  readonly hosts: FleetHost[] = [];
  private readonly rand: () => number;
  private readonly pcpus: number;
  private readonly vms: number;
  private readonly churn: number;
  private readonly intervalMs: number;
  private readonly floating = new Map<string, number>(); // host -> pCPU of the floating VM's vCPU 0

  constructor(spec: FleetSpec) {
    this.rand = mulberry32(spec.seed ?? 7);
    this.pcpus = spec.pcpus ?? 16;
    this.vms = spec.vms ?? 3;
    this.churn = spec.churn ?? 0.05;
    this.intervalMs = spec.intervalMs ?? 1000;
    if (this.pcpus % 4 !== 0 || this.pcpus < 8) throw new Error(`synthetic fleet: pcpus must be a multiple of 4 and at least 8, got ${this.pcpus}`);
    const prefix = spec.prefix ?? 'hv';
    const critical = spec.critical ?? 0;
    const warning = spec.warning ?? 0;
    const stale = spec.stale ?? 0;
    for (let i = 0; i < spec.hosts; i++) {
      const rack = String(Math.floor(i / 40)).padStart(2, '0');
      const n = String(i).padStart(4, '0');
      // One name in seven is long: "hv-r03-compute-large-0123".
      const name = i % 7 === 3 ? `${prefix}-r${rack}-compute-large-${n}` : `${prefix}-r${rack}-${n}`;
      const state: HostState = i < critical ? 'critical' : i < critical + warning ? 'warning' : i < critical + warning + stale ? 'stale' : 'clean';
      this.hosts.push({ name, state });
    }
  }

  names(state?: HostState): string[] {
    return this.hosts.filter((h) => state === undefined || h.state === state).map((h) => h.name);
  }

  /** The frames at `at` of every host that reports (not stale); `first` for a host's first frame. */
  frames(at: number, first = false): Snapshot[] {
    return this.hosts.filter((h) => h.state !== 'stale').map((h) => this.frame(h, at, first));
  }

  frame(h: FleetHost, at: number, first = false): Snapshot {
    const half = this.pcpus / 2;
    const quarter = half / 2;
    const cpus: SnapshotCpu[] = Array.from({ length: this.pcpus }, (_, cpu) => {
      // Two sockets (one NUMA node each); SMT pairs within a socket: core c is cpus c and c + quarter.
      const socket = cpu < half ? 0 : 1;
      const base = socket * half;
      const core = (cpu - base) % quarter;
      return { cpu, socket, die: 0, core, node: socket, siblings: [base + core, base + core + quarter], isolated: false, busy: first ? null : Math.round(this.rand() * 100) / 100 };
    });
    const per = Math.max(1, Math.floor((this.pcpus - 2) / (this.vms + 1)));
    const vms: SnapshotVm[] = [];
    const violations: Violation[] = [];
    for (let k = 0; k <= this.vms; k++) {
      const floating = k === this.vms;
      const name = floating ? `batch-${h.name.slice(-4)}` : `vm-${k}-${h.name.slice(-4)}`;
      const pid = 1000 + k * 100;
      const vcpus: SnapshotVcpu[] = [];
      const threads: SnapshotThread[] = [{ tid: pid, role: 'emulator', name: 'qemu-system-x86', pcpu: 0, affinity: [0, 1], pin: [0, 1], ran: false, state: 'S' }];
      for (let v = 0; v < per; v++) {
        const tid = pid + 1 + v;
        const home = 2 + k * per + v;
        let pin: number[] | null = floating ? null : [home];
        let affinity = floating ? cpus.map((c) => c.cpu) : [home];
        let pcpu = home;
        if (floating && v === 0) {
          let p = this.floating.get(h.name) ?? home;
          if (this.rand() < this.churn) p = Math.floor(this.rand() * this.pcpus);
          this.floating.set(h.name, p);
          pcpu = p;
        }
        if (h.state === 'critical' && k === 0 && v === 0) {
          // Re-pinned by hand to the next pCPU, and it ran there.
          pcpu = home + 1;
          affinity = [home + 1];
          pin = [home];
          violations.push(
            violation('affinity-drift', 'critical', name, v, tid, [home + 1], at, `vCPU ${v} of ${name} may run on ${home + 1}, its pin is ${home}.`),
            violation('off-pin', 'critical', name, v, tid, [home + 1], at, `vCPU ${v} of ${name} ran on pCPU ${home + 1}, outside its pin ${home}.`),
          );
        }
        vcpus.push({ index: v, tid, pcpu, affinity, pin, ran: true, state: 'R', runNs: first ? null : 900_000, waitNs: first ? null : 1000, identity: 'qmp' });
        threads.push({ tid, role: 'vcpu', vcpu: v, name: `CPU ${v}/KVM`, pcpu, affinity, pin, ran: true, state: 'R' });
      }
      vms.push({ name, uuid: null, pid, source: 'qemu', intent: floating ? 'none' : 'pins-file', dedicated: false, maxVcpus: per, vcpus, threads });
    }
    if (h.state === 'warning') {
      const a = vms[0]?.name ?? '';
      const b = vms[1]?.name ?? '';
      violations.push({ ...violation('smt-sibling-shared', 'warning', a, undefined, undefined, [2, 3], at, `${a} and ${b} run on SMT siblings of one core.`), vms: [a, b] });
    }
    return { version: 1, host: h.name, at, intervalMs: first ? null : this.intervalMs, topology: { cpus, isolated: [], nohzFull: [] }, vms, violations };
  }
}

function violation(kind: Violation['kind'], severity: Violation['severity'], vm: string, vcpu: number | undefined, tid: number | undefined, pcpus: number[], at: number, message: string): Violation {
  return {
    id: `${kind}|${vm}|${vcpu === undefined ? 'vm' : `vcpu:${vcpu}`}`,
    kind,
    severity,
    vm,
    vms: [vm],
    ...(vcpu !== undefined ? { vcpu } : {}),
    ...(tid !== undefined ? { tid } : {}),
    pcpus,
    message,
    fix: null,
    since: at - 60_000,
    lastSeen: at,
  };
}
