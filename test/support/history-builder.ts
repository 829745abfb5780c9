// Builders for hand-made History values in the heatmap tests. Not used by production code.
import type { History, HistoryThread } from '../../lib/api/history';
import type { Violation } from '../../lib/model/snapshot';
import type { TopologyCpu } from '../../lib/heatmap/timeline-cells';

export const T0 = 1_700_000_000_000;
export const TICK_MS = 1000;

export interface ThreadSpec {
  readonly vm: string;
  readonly tid: number;
  readonly vcpu?: number | null; // default: a vCPU numbered by its order within the VM
  readonly role?: HistoryThread['role']; // default 'vcpu'
  readonly pid?: number; // default 1000
  /** One entry per tick: pCPU or null (thread absent). */
  readonly pcpu: readonly (number | null)[];
  /** One entry per tick; default: ran at every tick. */
  readonly ran?: readonly (0 | 1)[];
}

/** A full-resolution History: ticks T0, T0+TICK_MS, ...; tick count from the longest pcpu list. */
export function history(threads: readonly ThreadSpec[], violations: readonly Violation[] = []): History {
  const n = Math.max(0, ...threads.map((t) => t.pcpu.length));
  const perVm = new Map<string, number>();
  const hThreads: HistoryThread[] = threads.map((t) => {
    const role = t.role ?? 'vcpu';
    const next = perVm.get(t.vm) ?? 0;
    if (role === 'vcpu') perVm.set(t.vm, next + 1);
    const pid = t.pid ?? 1000;
    const vcpu = t.vcpu === undefined ? (role === 'vcpu' ? next : null) : t.vcpu;
    return { key: `${t.vm}:${pid}:${t.tid}`, vm: t.vm, pid, tid: t.tid, role, vcpu, name: vcpu === null ? 'qemu' : `CPU ${vcpu}/KVM` };
  });
  const ticks = Array.from({ length: n }, (_, i) => T0 + i * TICK_MS);
  return {
    host: 'h',
    from: T0,
    to: T0 + n * TICK_MS,
    stepMs: null,
    ticks,
    threads: hThreads,
    pcpu: ticks.map((_, i) => threads.map((t) => t.pcpu[i] ?? null)),
    ran: ticks.map((_, i) => threads.map((t) => t.ran?.[i] ?? 1)),
    share: null,
    violations: [...violations],
  };
}

/** Three ticks on 4 pCPUs: tick 0 sampled (no exact figures), ticks 1 and 2 exact with the same run times: a (vCPU) 600 ms and b (vCPU) 300 ms on pCPU 2, `yes` 200 ms there too. */
export function exactHistory(): History {
  const h = history([
    { vm: 'a', tid: 10, pcpu: [2, 2, 2] },
    { vm: 'b', tid: 20, pcpu: [3, 2, 2] },
    { vm: 'a', tid: 11, role: 'emulator', pcpu: [0, 0, 0] },
  ]);
  const MS = 1e6;
  const res = (pcpu: number, ns: number) => ({ pcpu, ns, switchIns: 1 });
  const others = {
    others: [
      { pid: 5000, tid: 5000, comm: 'yes', ns: 200 * MS, switchIns: 9, kernel: false },
      { pid: 2000, tid: 20, comm: 'CPU 0/KVM', ns: 300 * MS, switchIns: 3, kernel: false, vm: 'b' }, // b's vCPU: counted from its row
      { pid: null, tid: 26, comm: 'ksoftirqd/2', ns: 0.05 * MS, switchIns: 1, kernel: true },
    ],
    othersRest: { tasks: 2, ns: 0.01 * MS },
    irqs: [{ irq: '36', name: 'eth0', count: 5 }],
    lostEvents: 0,
  };
  const tick = [[res(2, 600 * MS)], [res(2, 300 * MS), res(3, 5 * MS)], [res(0, 2 * MS)]];
  return {
    ...h,
    residency: [[null, null, null], tick, tick],
    migrations: [[null, null, null], [0, 1, null], [0, 2, null]],
    wakeLatencyNs: [[null, null, null], [{ p50: 10_000, p99: 50_000, max: 90_000, count: 4 }, null, null], [{ p50: 12_000, p99: 70_000, max: 80_000, count: 6 }, null, null]],
    cpus: [2],
    cpuExact: [[null], [others], [others]],
  };
}

/** An off-pin violation of one thread, seen from tick `fromTick` to tick `toTick` (inclusive). */
export function offPin(vm: string, tid: number, fromTick: number, toTick: number, vcpu = 0): Violation {
  return {
    id: `off-pin:${vm}:${vcpu}`,
    kind: 'off-pin',
    severity: 'critical',
    vm,
    vms: [vm],
    vcpu,
    tid,
    pcpus: [],
    message: 'off pin',
    fix: null,
    since: T0 + fromTick * TICK_MS,
    lastSeen: T0 + toTick * TICK_MS,
  };
}

/** `sockets` x `coresPerSocket` x `smt` CPUs numbered like Linux: all first threads, then the siblings. One node per socket. */
export function topology(sockets: number, coresPerSocket: number, smt = 1): TopologyCpu[] {
  const cores = sockets * coresPerSocket;
  const out: TopologyCpu[] = [];
  for (let t = 0; t < smt; t++) {
    for (let c = 0; c < cores; c++) {
      const socket = Math.floor(c / coresPerSocket);
      out.push({ cpu: t * cores + c, socket, node: socket, core: c % coresPerSocket, siblings: Array.from({ length: smt }, (_, s) => s * cores + c) });
    }
  }
  return out;
}

/** A deterministic pseudo-random generator for synthetic data. */
export { mulberry32 as rng } from '../../lib/random/mulberry32';
