// Realistic host snapshots for the store's tests and measurements: several VMs (pinned and
// floating, idle and busy), vCPUs moving between pCPUs, stale observations, violations appearing
// and disappearing, hot-plug. Deterministic: the same seed gives the same frames.
import { SNAPSHOT_VERSION, type Snapshot, type SnapshotCpu, type SnapshotOtherTask, type SnapshotResidency, type SnapshotThread, type SnapshotVcpu, type SnapshotVm, type Violation } from '../../lib/model/snapshot';

export interface VmSpec {
  readonly name: string;
  readonly vcpus: number;
  /** First pCPU of a 1:1 vCPU pin, or null for a floating VM. */
  readonly pinBase: number | null;
  /** Share of the interval a vCPU is on a CPU: ~0.9 busy, ~0.0005 idle. */
  readonly load: number;
  readonly iothread?: boolean;
  readonly dedicated?: boolean;
}

export interface HostSimOptions {
  readonly host: string;
  readonly seed?: number;
  readonly start?: number; // epoch ms of the first frame
  readonly intervalMs?: number;
  readonly sockets?: number;
  readonly coresPerSocket?: number;
  readonly vms?: readonly VmSpec[];
  /** Tick at which the first VM gets one more vCPU (hot-plug: a structure change). */
  readonly hotplugAt?: number;
  /** Frames as an agent in exact mode sends them (docs/api.md "Exact mode"), keys in its order. */
  readonly exact?: boolean;
}

/** 64 vCPUs in 7 VMs, 72 threads, on 2 sockets x 16 cores x 2 SMT threads = 64 pCPUs. */
export const DEFAULT_VMS: readonly VmSpec[] = [
  { name: 'db-primary', vcpus: 16, pinBase: 0, load: 0.6, iothread: true, dedicated: true },
  { name: 'web-1', vcpus: 8, pinBase: 16, load: 0.002 },
  { name: 'web-2', vcpus: 8, pinBase: 24, load: 0.002 },
  { name: 'batch', vcpus: 8, pinBase: null, load: 0.9 },
  { name: 'tenant "a"/b', vcpus: 8, pinBase: 40, load: 0.0005 },
  { name: 'ci-runner', vcpus: 8, pinBase: null, load: 0.05 },
  { name: 'idle-vm', vcpus: 8, pinBase: 56, load: 0.0005 },
];

interface VmState {
  readonly spec: VmSpec;
  readonly pid: number;
  vcpus: number;
  readonly pcpu: number[]; // per vCPU: where it last ran
  emulatorPcpu: number;
  readonly offPinSince: Map<number, number>; // vCPU -> epoch ms
}

export class HostSimulator {
  private readonly rand: () => number;
  private readonly cpus: SnapshotCpu[];
  private readonly vms: VmState[];
  private tick = 0;
  private readonly start: number;
  private readonly intervalMs: number;
  private readonly nCpus: number;
  private readonly numaSince: number;
  private smtSince: number | null = null;

  constructor(private readonly opts: HostSimOptions) {
    this.rand = mulberry32(opts.seed ?? 1);
    this.start = opts.start ?? 1_764_000_000_000;
    this.intervalMs = opts.intervalMs ?? 1000;
    const sockets = opts.sockets ?? 2;
    const cores = opts.coresPerSocket ?? 16;
    const perSmt = sockets * cores;
    this.nCpus = perSmt * 2;
    this.cpus = [];
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      const phys = cpu % perSmt;
      this.cpus.push({
        cpu,
        socket: Math.floor(phys / cores),
        die: 0,
        core: phys % cores,
        node: Math.floor(phys / cores),
        siblings: [phys, phys + perSmt],
        isolated: false,
        busy: null,
      });
    }
    this.vms = (opts.vms ?? DEFAULT_VMS).map((spec, i) => ({
      spec,
      pid: 10_000 + i * 1000,
      vcpus: spec.vcpus,
      pcpu: Array.from({ length: spec.vcpus }, (_, k) => (spec.pinBase !== null ? (spec.pinBase + k) % this.nCpus : k % this.nCpus)),
      emulatorPcpu: 0,
      offPinSince: new Map(),
    }));
    this.numaSince = this.start - 3_600_000;
  }

  /** The next frame, one interval after the previous one. */
  next(): Snapshot {
    const k = this.tick++;
    const at = this.start + k * this.intervalMs + Math.floor(this.rand() * 3);
    if (this.opts.hotplugAt === k) {
      const vm = this.vms[0];
      if (vm) {
        vm.vcpus++;
        vm.pcpu.push(vm.spec.pinBase !== null ? (vm.spec.pinBase + vm.vcpus - 1) % this.nCpus : 0);
      }
    }
    const load = new Float64Array(this.nCpus);
    const violations: Violation[] = [];
    const vms = this.vms.map((vm) => this.vmFrame(vm, at, load, violations));
    if (k % 300 >= 120 && k % 300 < 150) {
      this.smtSince ??= at;
      violations.push({
        id: 'smt-sibling-shared|batch|ci-runner',
        kind: 'smt-sibling-shared',
        severity: 'warning',
        vm: 'batch',
        vms: ['batch', 'ci-runner'],
        tids: [this.vms[3]?.pid ?? 1, this.vms[5]?.pid ?? 1],
        pcpus: [33, 1],
        message: 'vCPUs of batch and ci-runner ran on the SMT siblings of core 1: they share its execution units.',
        fix: null,
        since: this.smtSince,
        lastSeen: at,
      });
    } else {
      this.smtSince = null;
    }
    violations.push({
      id: 'numa-split|db-primary',
      kind: 'numa-split',
      severity: 'warning',
      vm: 'db-primary',
      vms: ['db-primary'],
      pcpus: [0, 16],
      message: 'The vCPU pins of db-primary span NUMA nodes 0 and 1: memory accesses of half its vCPUs are remote.',
      fix: null,
      since: this.numaSince,
      lastSeen: at,
    });
    const cpus = this.cpus.map((c) => {
      if (k === 0) return c;
      const total = 100 + Math.floor(this.rand() * 3) - 1; // jiffies of 1/100 s in the interval
      const busy = Math.min(total, Math.round(Math.min(1, (load[c.cpu] ?? 0) + this.rand() * 0.03) * total));
      return { ...c, busy: busy / total };
    });
    const intervalMs = k === 0 ? null : this.intervalMs - 1 + Math.floor(this.rand() * 3);
    if (this.opts.exact === true) return this.exactFrame(at, intervalMs, cpus, vms, violations);
    return {
      version: SNAPSHOT_VERSION,
      host: this.opts.host,
      at,
      intervalMs,
      topology: { cpus, isolated: [], nohzFull: [] },
      vms,
      violations,
    };
  }

  /**
   * The frame with exact mode's figures (none without an interval): per thread its residency
   * (a roaming vCPU split over two pCPUs), per vCPU migrations and wake-up latency, on pinned
   * pCPUs the other tasks and interrupts, now and then lost events.
   */
  private exactFrame(at: number, intervalMs: number | null, cpus: SnapshotCpu[], vms: SnapshotVm[], violations: Violation[]): Snapshot {
    const head = { version: SNAPSHOT_VERSION as typeof SNAPSHOT_VERSION, host: this.opts.host, at, intervalMs, mode: 'exact' as const };
    if (intervalMs === null) return { ...head, topology: { cpus, isolated: [], nohzFull: [] }, vms, violations };
    const residencyOf = (t: { readonly pcpu: number; readonly ran: boolean }, runNs: number): SnapshotResidency[] => {
      if (!t.ran || runNs <= 0) return [];
      const switchIns = 1 + Math.floor(this.rand() * 40);
      if (this.rand() < 0.8) return [{ pcpu: t.pcpu, ns: runNs, switchIns }];
      const other = (t.pcpu + 1) % this.nCpus;
      const part = Math.floor(runNs * this.rand() * 0.2);
      const two = [
        { pcpu: t.pcpu, ns: runNs - part, switchIns },
        { pcpu: other, ns: part, switchIns: 1 },
      ];
      return two.sort((a, b) => a.pcpu - b.pcpu);
    };
    const pinned = new Set<number>();
    const exactVms = vms.map((vm): SnapshotVm => {
      const byTid = new Map<number, SnapshotResidency[]>();
      const vcpus = vm.vcpus.map((v): SnapshotVcpu => {
        for (const c of v.pin ?? []) pinned.add(c);
        const residency = residencyOf(v, v.runNs ?? 0);
        byTid.set(v.tid, residency);
        const woken = v.ran && this.rand() < 0.9;
        const p50 = 2000 + Math.floor(this.rand() * 40_000);
        return {
          ...v,
          residency,
          migrations: residency.length > 1 ? 1 + Math.floor(this.rand() * 3) : 0,
          wakeLatencyNs: woken ? { p50, p99: p50 * 3, max: p50 * 4 + 17, count: 1 + Math.floor(this.rand() * 200) } : null,
        };
      });
      const threads = vm.threads.map((t): SnapshotThread => ({ ...t, residency: byTid.get(t.tid) ?? residencyOf(t, t.ran ? 10_000 + Math.floor(this.rand() * 1e6) : 0) }));
      return { ...vm, vcpus, threads };
    });
    const exactCpus = cpus.map((c): SnapshotCpu => {
      const lost = this.rand() < 0.01 ? { lostEvents: 1 + Math.floor(this.rand() * 500) } : {};
      if (!pinned.has(c.cpu)) return { ...c, ...lost };
      const others: SnapshotOtherTask[] = [{ pid: null, tid: 100 + c.cpu, comm: `ksoftirqd/${c.cpu}`, ns: 1000 + Math.floor(this.rand() * 5000), switchIns: 1, kernel: true }];
      if (this.rand() < 0.05) others.unshift({ pid: 4242, tid: 4242, comm: 'yes', ns: Math.floor(this.rand() * 5e8), switchIns: 3, kernel: false });
      if (this.rand() < 0.1) others.push({ pid: 10_000, tid: 10_000, comm: 'qemu-system-x86', ns: 500, switchIns: 1, kernel: false, vm: 'db-primary' });
      others.sort((a, b) => b.ns - a.ns || a.tid - b.tid);
      const irqs = [{ irq: 'LOC', name: 'Local timer interrupts', count: 200 + Math.floor(this.rand() * 100) }];
      if (this.rand() < 0.05) irqs.unshift({ irq: '36', name: 'PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0', count: 1000 });
      return { ...c, others, ...(this.rand() < 0.1 ? { othersRest: { tasks: 2, ns: 700 } } : {}), irqs, ...lost };
    });
    const events = 1000 + Math.floor(this.rand() * 60_000);
    const lostEvents = exactCpus.reduce((n, c) => n + (c.lostEvents ?? 0), 0);
    // From the events, not the random stream (the frames after stay as they were): one in ten as
    // an agent from before cutToReadNs sends it.
    const trace = events % 10 === 0 ? { events, lostEvents } : { events, lostEvents, cutToReadNs: 20_000 + (events % 97) * 1000 };
    return { ...head, trace, topology: { cpus: exactCpus, isolated: [], nohzFull: [] }, vms: exactVms, violations };
  }

  private vmFrame(vm: VmState, at: number, load: Float64Array, violations: Violation[]): SnapshotVm {
    const spec = vm.spec;
    const all = this.cpus.map((c) => c.cpu);
    const emulatorPin = spec.pinBase !== null ? [0, 1] : null;
    const vcpus: SnapshotVcpu[] = [];
    const threads: SnapshotThread[] = [];
    const emulatorRan = this.rand() < 0.15;
    if (emulatorRan) vm.emulatorPcpu = emulatorPin ? (emulatorPin[Math.floor(this.rand() * 2)] ?? 0) : Math.floor(this.rand() * this.nCpus);
    threads.push({
      tid: vm.pid,
      role: 'emulator',
      name: 'qemu-system-x86',
      pcpu: vm.emulatorPcpu,
      affinity: emulatorPin ?? all,
      pin: emulatorPin,
      ran: emulatorRan,
      state: 'S',
    });
    for (let i = 0; i < vm.vcpus; i++) {
      const tid = vm.pid + 10 + i;
      const pin = spec.pinBase !== null ? [(spec.pinBase + i) % this.nCpus] : null;
      const busy = spec.load > 0.1;
      const ran = busy || this.rand() < 0.8;
      if (ran) {
        if (pin) {
          // A pinned vCPU strays now and then (someone ran taskset): an off-pin violation.
          const stray = vm.offPinSince.has(i) ? this.rand() < 0.9 : this.rand() < 0.0005;
          vm.pcpu[i] = stray ? ((pin[0] ?? 0) + 7) % this.nCpus : (pin[0] ?? 0);
        } else if (this.rand() < 0.3) {
          vm.pcpu[i] = (i * 4 + Math.floor(this.rand() * 6)) % this.nCpus;
        }
      }
      const pcpu = vm.pcpu[i] ?? 0;
      if (pin && pcpu !== pin[0]) {
        if (!vm.offPinSince.has(i)) vm.offPinSince.set(i, at);
        violations.push({
          id: `off-pin|${spec.name}|vcpu:${i}`,
          kind: 'off-pin',
          severity: 'critical',
          vm: spec.name,
          vms: [spec.name],
          vcpu: i,
          tid,
          pcpus: [pcpu],
          message: `vCPU ${i} of ${spec.name} (TID ${tid}) ran on pCPU ${pcpu}, outside its pin ${pin[0]}: an affinity was changed behind libvirt's back.`,
          fix: `virsh vcpupin ${spec.name} ${i} ${pin[0]} --live`,
          since: vm.offPinSince.get(i) ?? at,
          lastSeen: at,
        });
      } else {
        vm.offPinSince.delete(i);
      }
      const runNs = ran ? Math.floor(busy ? spec.load * 1e9 * (0.7 + this.rand() * 0.3) : 2e4 + this.rand() * spec.load * 2e9) : 0;
      // Run-queue wait: what pinning is for. A pinned vCPU rarely queues; floating busy ones do.
      const waitNs = ran ? Math.floor(busy && !pin ? this.rand() * 3e6 : this.rand() * 2e4) : 0;
      load[pcpu] = (load[pcpu] ?? 0) + runNs / 1e9;
      const state = busy && this.rand() < 0.5 ? 'R' : 'S';
      vcpus.push({
        index: i,
        tid,
        pcpu,
        affinity: pin ?? all,
        pin,
        ran,
        state,
        runNs,
        waitNs,
        identity: spec.pinBase !== null ? 'libvirt' : 'qmp',
        ...(spec.pinBase === null ? { props: { 'socket-id': 0, 'core-id': i, 'thread-id': 0 } } : {}),
      });
      threads.push({ tid, role: 'vcpu', name: `CPU ${i}/KVM`, pcpu, affinity: pin ?? all, pin, ran, state, vcpu: i });
    }
    if (spec.iothread === true) {
      threads.push({
        tid: vm.pid + 5,
        role: 'iothread',
        name: 'IO iothread1',
        pcpu: 1,
        affinity: [0, 1],
        pin: [0, 1],
        ran: this.rand() < 0.5,
        state: 'S',
        iothread: 'iothread1',
      });
    }
    return {
      name: spec.name,
      uuid: spec.pinBase !== null ? `00000000-0000-4000-8000-${String(vm.pid).padStart(12, '0')}` : null,
      pid: vm.pid,
      source: spec.pinBase !== null ? 'libvirt' : 'qemu',
      intent: spec.pinBase !== null ? 'libvirt' : 'none',
      dedicated: spec.dedicated === true,
      maxVcpus: spec.pinBase !== null ? 32 : null,
      vcpus,
      threads,
    };
  }
}

import { mulberry32 } from '../../lib/random/mulberry32';

export { mulberry32 };

/** `n` consecutive frames of one simulated host. */
export function hostFrames(opts: HostSimOptions, n: number): Snapshot[] {
  const sim = new HostSimulator(opts);
  return Array.from({ length: n }, () => sim.next());
}
