import { describe, expect, it } from 'vitest';
import { snapshotValidator } from '../wire/validate';
import type { ExactObservation, ExactOtherTask, ExactThread } from './exact';
import { snapshotJson } from './snapshot-json';
import type { Snapshot } from './snapshot';
import { T0, TICK_MS, flatTopology, host, intent, mainThread, ofKind, run, running, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { HostObservation } from './types';

const MS = 1e6;
const topo = flatTopology(4);

interface ExactOpts {
  readonly threads?: Readonly<Record<number, ExactThread>>;
  readonly others?: Readonly<Record<number, readonly ExactOtherTask[]>>;
  readonly irqs?: Readonly<Record<number, readonly { irq: string; name: string; count: number }[]>>;
  readonly covered?: readonly number[];
  readonly blind?: readonly number[];
  readonly cutToReadNs?: number;
}

function exact(o: ExactOpts = {}): ExactObservation {
  const rec = <T>(r: Readonly<Record<number, T>> | undefined): Map<number, T> => new Map(Object.entries(r ?? {}).map(([k, v]) => [Number(k), v]));
  return {
    intervalNs: TICK_MS * MS,
    cutToReadNs: o.cutToReadNs ?? 40_000,
    events: 1234,
    lostEvents: 0,
    lostByCpu: new Map(),
    covered: new Set(o.covered ?? [1000, 1001, 1002]),
    threads: rec(o.threads),
    watched: [2, 3],
    others: rec(o.others),
    othersRest: new Map(),
    irqs: rec(o.irqs),
    blindCpus: o.blind ?? [],
  };
}

const kernel = (tid: number, comm: string, ns: number): ExactOtherTask => ({ pid: tid, tid, comm, ns, switchIns: 3, kernel: true, vm: null });

/**
 * web-1: vCPU 0 (1001) pinned to 2, vCPU 1 (1002) pinned to 3, dedicated; emulator on 0-1. With
 * `vcpu0Pcpu` vCPU 0's kernel affinity also allows that pCPU (a last CPU outside the affinity is
 * never judged, exact or not: it is from before a re-pin).
 */
function web(tick: number, o: { vcpu0Pcpu?: number; dedicated?: boolean; busy?: boolean } = {}) {
  const counters = o.busy === false ? {} : running(tick);
  return vm(
    'web-1',
    1000,
    [
      mainThread(1000, { affinity: '0-1', pcpu: 0 }),
      vcpuThread(0, 1001, { affinity: o.vcpu0Pcpu === undefined ? '2' : [2, o.vcpu0Pcpu].sort().join(','), pcpu: o.vcpu0Pcpu ?? 2, ...counters }),
      vcpuThread(1, 1002, { affinity: '3', pcpu: 3 }),
    ],
    { intent: intent({ source: 'pins-file', vcpupin: { 0: '2', 1: '3' }, emulatorpin: '0-1', dedicated: o.dedicated ?? true }) },
  );
}

/** Two ticks; the second carries `ex` (exact mode from the start). */
function twoTicks(ex: ExactObservation | null, o: Parameters<typeof web>[1] = {}): Snapshot {
  const obs = (tick: number): HostObservation => ({ ...host(topo, [web(tick, o)], { tick }), mode: 'exact', exact: tick === 0 ? null : ex });
  const snaps = run([obs(0), obs(1)]);
  const last = snaps[1];
  if (!last) throw new Error('no snapshot');
  return last;
}

describe('exact off-pin', () => {
  it('is raised from run time outside the pin, with how long and how many times, though the last CPU is on the pin', () => {
    const s = twoTicks(
      exact({
        threads: {
          1001: {
            residency: [
              { pcpu: 1, ns: 48.2 * MS, switchIns: 3 },
              { pcpu: 2, ns: 440 * MS, switchIns: 40 },
            ],
            migrations: 6,
            wakeLatencyNs: { p50: 20_000, p99: 90_000, max: 120_000, count: 40 },
          },
        },
      }),
    );
    const [v] = ofKind(s, 'off-pin');
    expect(v).toMatchObject({ vcpu: 0, tid: 1001, pcpus: [1], fix: 'virsh vcpupin web-1 0 2 --live' });
    expect(v?.message).toContain('ran 48.2 ms of the last 1.00 s on pCPU 1, 3 times, outside its pin 2');
    // The sampled view (last CPU 2, on the pin) would have said nothing.
    expect(ofKind(twoTicks(null), 'off-pin')).toEqual([]);
  });

  it('is not raised from a stale last CPU when the run time stayed on the pin', () => {
    const onPin: ExactThread = { residency: [{ pcpu: 2, ns: 500 * MS, switchIns: 9 }], migrations: 0, wakeLatencyNs: null };
    expect(ofKind(twoTicks(exact({ threads: { 1001: onPin } }), { vcpu0Pcpu: 1 }), 'off-pin')).toEqual([]);
    // Sampling judges the last CPU, outside the pin, of a thread that ran.
    expect(ofKind(twoTicks(null, { vcpu0Pcpu: 1 }), 'off-pin')).toHaveLength(1);
  });

  it('does not count run time on the pin in force before a live re-pin in the interval', () => {
    // vCPU 0 pinned to 2, re-pinned to 1 (virsh vcpupin --live) during the second interval: it ran
    // on 2, then on 1. Then a third pCPU outside both pins is still an off-pin.
    const repinned = (tick: number, residency: ExactThread['residency']) => {
      const pin = tick === 0 ? '2' : '1';
      const web1 = vm('web-1', 1000, [mainThread(1000, { affinity: '0', pcpu: 0 }), vcpuThread(0, 1001, { affinity: pin, pcpu: Number(pin), ...running(tick) })], {
        intent: intent({ source: 'libvirt', vcpupin: { 0: pin }, emulatorpin: '0' }),
      });
      const ex = exact({ covered: [1000, 1001], threads: { 1001: { residency, migrations: 1, wakeLatencyNs: null } } });
      return { ...host(topo, [web1], { tick }), mode: 'exact' as const, exact: tick === 0 ? null : ex };
    };
    const clean = run([repinned(0, []), repinned(1, [{ pcpu: 1, ns: 300 * MS, switchIns: 4 }, { pcpu: 2, ns: 200 * MS, switchIns: 3 }])])[1];
    expect(clean === undefined ? null : ofKind(clean, 'off-pin')).toEqual([]);
    const strayed = run([repinned(0, []), repinned(1, [{ pcpu: 1, ns: 480 * MS, switchIns: 4 }, { pcpu: 3, ns: 20 * MS, switchIns: 1 }])])[1];
    expect(strayed === undefined ? null : ofKind(strayed, 'off-pin').map((v) => v.pcpus)).toEqual([[3]]);
    // The mask may follow the intent a few ms after the tick that saw the intent change: the next
    // interval forgives run time on the old pin too, the one after does not.
    const later = run([
      repinned(0, []),
      repinned(1, [{ pcpu: 1, ns: 500 * MS, switchIns: 4 }]),
      repinned(2, [{ pcpu: 2, ns: 2 * MS, switchIns: 1 }, { pcpu: 1, ns: 498 * MS, switchIns: 4 }]),
      repinned(3, [{ pcpu: 2, ns: 2 * MS, switchIns: 1 }, { pcpu: 1, ns: 498 * MS, switchIns: 4 }]),
    ]);
    expect(later.map((snap) => ofKind(snap, 'off-pin').map((v) => v.pcpus))).toEqual([[], [], [], [[2]]]);
  });

  it('leaves the residency unknown where the trace placed much less run time than schedstat counts, and judges the last CPU', () => {
    // schedstat: 500 ms this interval. The trace placed 300 ms on the pin and 50 ms on pCPU 1:
    // 150 ms ran somewhere it did not see (a switch-in the kernel did not report).
    const partial = (vcpu0Pcpu?: number) =>
      twoTicks(exact({ threads: { 1001: { residency: [{ pcpu: 2, ns: 300 * MS, switchIns: 2 }, { pcpu: 1, ns: 50 * MS, switchIns: 1 }], migrations: 2, wakeLatencyNs: null } } }), { vcpu0Pcpu });
    const onPin = partial();
    expect(onPin.vms[0]?.vcpus[0]?.residency).toBeUndefined();
    expect(onPin.vms[0]?.threads.find((t) => t.tid === 1001)?.residency).toBeUndefined();
    expect(ofKind(onPin, 'off-pin')).toEqual([]);
    // Sampling's judgment stands: its last CPU outside the pin is an off-pin.
    expect(ofKind(partial(1), 'off-pin').map((v) => v.pcpus)).toEqual([[1]]);
    // Nothing at all in the trace for a vCPU that ran 500 ms: unknown, not "did not run".
    expect(twoTicks(exact()).vms[0]?.vcpus[0]?.residency).toBeUndefined();
    // Within what the cut and the read apart explain, the trace's figures are the vCPU's.
    const close = twoTicks(exact({ threads: { 1001: { residency: [{ pcpu: 2, ns: 460 * MS, switchIns: 2 }, { pcpu: 1, ns: 10 * MS, switchIns: 1 }], migrations: 2, wakeLatencyNs: null } } }));
    expect(close.vms[0]?.vcpus[0]?.residency).toEqual([{ pcpu: 2, ns: 460 * MS, switchIns: 2 }, { pcpu: 1, ns: 10 * MS, switchIns: 1 }]);
    expect(ofKind(close, 'off-pin').map((v) => v.pcpus)).toEqual([[1]]);
    // The agent was held up 150 ms between the cut and the read: the 150 ms the trace did not
    // place ran after the cut (the next interval's trace has it), so these figures are whole.
    const late = twoTicks(exact({ cutToReadNs: 150 * MS, threads: { 1001: { residency: [{ pcpu: 2, ns: 300 * MS, switchIns: 2 }, { pcpu: 1, ns: 50 * MS, switchIns: 1 }], migrations: 2, wakeLatencyNs: null } } }));
    expect(late.vms[0]?.vcpus[0]?.residency).toEqual([{ pcpu: 2, ns: 300 * MS, switchIns: 2 }, { pcpu: 1, ns: 50 * MS, switchIns: 1 }]);
    expect(late.trace?.cutToReadNs).toBe(150 * MS);
  });

  it('falls back to the last CPU for a vCPU the trace did not follow all interval', () => {
    const s = twoTicks(exact({ covered: [1000, 1002] }), { vcpu0Pcpu: 1 });
    expect(s.vms[0]?.vcpus[0]?.residency).toBeUndefined();
    expect(ofKind(s, 'off-pin')).toHaveLength(1);
  });

  it('leaves a vCPU that ran on a blind pCPU without exact figures (unknown, not idle)', () => {
    const s = twoTicks(exact({ blind: [2] }));
    expect(s.vms[0]?.vcpus[0]?.residency).toBeUndefined();
    expect(s.vms[0]?.vcpus[1]?.residency).toEqual([]); // did not run: nothing to miss
  });
});

describe('intruder', () => {
  it('names a task that ran on a dedicated pCPU: comm, PID and share, and how to move it', () => {
    const yes: ExactOtherTask = { pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false, vm: null };
    const s = twoTicks(exact({ others: { 2: [yes, kernel(30, 'ksoftirqd/2', 40_000)] } }));
    const [v] = ofKind(s, 'intruder');
    expect(v).toMatchObject({ severity: 'critical', vm: 'web-1', pcpus: [2], tids: [5000], fix: 'taskset -apc 0-1 5000' });
    expect(v?.message).toContain('pCPU 2, dedicated to VM "web-1", also ran "yes" (PID 5000) for 48.0% of');
    expect(s.topology.cpus[2]?.others?.[0]).toEqual({ pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false });
  });

  it('stays quiet on a clean idle host: per-CPU kernel threads and the VM\'s own threads are not intruders', () => {
    // What an idle pinned pCPU runs in a second on this kind of machine.
    const idle = [kernel(25, 'migration/2', 9_000), kernel(26, 'ksoftirqd/2', 35_000), kernel(81, 'kworker/2:1', 410_000), kernel(16, 'rcu_preempt', 60_000), kernel(27, 'cpuhp/2', 2_000)];
    const emulatorOnDedicated: ExactThread = { residency: [{ pcpu: 2, ns: 3 * MS, switchIns: 5 }], migrations: 1, wakeLatencyNs: null };
    const s = twoTicks(exact({ others: { 2: idle, 3: idle.map((k) => ({ ...k, tid: k.tid + 100 })) }, threads: { 1000: emulatorOnDedicated } }), { busy: false });
    expect(ofKind(s, 'intruder')).toEqual([]);
    // They are all still shown as who else ran there, the VM's emulator thread with its VM.
    expect(s.topology.cpus[2]?.others?.map((o) => o.comm)).toEqual(['qemu-system-x86', 'kworker/2:1', 'rcu_preempt', 'ksoftirqd/2', 'migration/2', 'cpuhp/2']);
    expect(s.topology.cpus[2]?.others?.[0]).toMatchObject({ pid: 1000, tid: 1000, vm: 'web-1', kernel: false });
  });

  it('counts another VM\'s thread as an intruder, and a kernel thread without a fix', () => {
    const other: ExactOtherTask = { pid: 7000, tid: 7003, comm: 'CPU 3/KVM', ns: 60 * MS, switchIns: 2, kernel: false, vm: 'db-1' };
    const kw: ExactOtherTask = kernel(90, 'kworker/3:2', 200 * MS);
    const s = twoTicks(exact({ others: { 3: [kw, other] } }));
    const [v] = ofKind(s, 'intruder');
    expect(v).toMatchObject({ pcpus: [3], vms: ['web-1', 'db-1'], tids: [90, 7003], fix: null, severity: 'critical' });
    expect(v?.message).toContain('"kworker/3:2" (PID 90, a kernel thread) for 20.0% and "CPU 3/KVM" (PID 7000, TID 7003 of VM "db-1") for 6.0% of the last 1.00 s');
  });

  it('guards the isolated pCPUs of a VM that is not dedicated, and nothing of one that has neither', () => {
    const yes: ExactOtherTask = { pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false, vm: null };
    expect(ofKind(twoTicks(exact({ others: { 2: [yes] } }), { dedicated: false }), 'intruder')).toEqual([]);
    const iso = flatTopology(4, '2');
    const obs = (tick: number): HostObservation => ({ ...host(iso, [web(tick, { dedicated: false })], { tick }), mode: 'exact', exact: tick === 0 ? null : exact({ others: { 2: [yes] } }) });
    const [v] = ofKind(run([obs(0), obs(1)])[1] ?? twoTicks(null), 'intruder');
    expect(v?.message).toContain('pCPU 2, isolated and pinned to VM "web-1"');
  });
});

describe('irq-on-dedicated', () => {
  it('names the device IRQ delivered on a dedicated pCPU and the smp_affinity_list that moves it; per-CPU interrupts are not judged', () => {
    const s = twoTicks(
      exact({
        irqs: {
          2: [
            { irq: 'LOC', name: 'Local timer interrupts', count: 1000 },
            { irq: '36', name: 'PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0', count: 420 },
          ],
          3: [{ irq: '36', name: 'PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0', count: 2 }],
        },
      }),
    );
    const v = ofKind(s, 'irq-on-dedicated');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ id: 'irq-on-dedicated:web-1:irq36', pcpus: [2, 3], fix: 'echo 0-1 > /proc/irq/36/smp_affinity_list', severity: 'warning' });
    expect(v[0]?.message).toContain('IRQ 36 (PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0) was delivered 422 times in the last 1.00 s on pCPUs 2-3, dedicated to VM "web-1"');
    expect(s.topology.cpus[2]?.irqs).toHaveLength(2);
  });
});

describe('the exact snapshot', () => {
  const ex = exact({
    threads: { 1001: { residency: [{ pcpu: 2, ns: 500 * MS, switchIns: 9 }], migrations: 2, wakeLatencyNs: { p50: 1, p99: 2, max: 3, count: 4 } } },
    others: { 2: [kernel(26, 'ksoftirqd/2', 35_000)] },
    irqs: { 2: [{ irq: 'RES', name: 'Rescheduling interrupts', count: 5 }] },
  });

  it('carries mode, trace, per-vCPU and per-pCPU figures, as JSON byte for byte and through the ingest schema', () => {
    const s = twoTicks(ex);
    expect(s.mode).toBe('exact');
    expect(s.trace).toEqual({ events: 1234, lostEvents: 0, cutToReadNs: 40_000 });
    expect(s.vms[0]?.vcpus[0]).toMatchObject({ residency: [{ pcpu: 2, ns: 500 * MS, switchIns: 9 }], migrations: 2, wakeLatencyNs: { p50: 1, p99: 2, max: 3, count: 4 } });
    expect(s.vms[0]?.vcpus[1]).toMatchObject({ residency: [], migrations: 0, wakeLatencyNs: null });
    expect(s.vms[0]?.threads.find((t) => t.tid === 1001)?.residency).toEqual([{ pcpu: 2, ns: 500 * MS, switchIns: 9 }]);
    expect(s.topology.cpus[0]?.others).toBeUndefined(); // not watched
    expect(s.topology.cpus[2]).toMatchObject({ others: [{ comm: 'ksoftirqd/2', kernel: true }], irqs: [{ irq: 'RES', count: 5 }] });
    expect(snapshotJson(s)).toBe(JSON.stringify(s));
    expect(snapshotValidator.parse(JSON.parse(JSON.stringify(s)), '')).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it('keeps every thread field (policy and priority too) beside the residency', () => {
    const sampled = twoTicks(null, { busy: false });
    const s = twoTicks(exact(), { busy: false });
    const strip = (t: Snapshot['vms'][number]['threads'][number]): object => {
      const { residency: _r, ...rest } = t;
      return rest;
    };
    expect(s.vms[0]?.threads.map((t) => t.residency)).toEqual([[], [], []]);
    expect(s.vms[0]?.threads.map(strip)).toEqual(sampled.vms[0]?.threads);
    expect(s.vms[0]?.threads.map((t) => t.policy)).toEqual(['other', 'other', 'other']);
  });

  it('keeps sampled frames as they were (mode "sampled", no exact fields) and valid', () => {
    const s = twoTicks(null);
    expect(s.mode).toBe('exact'); // the agent is in exact mode, this tick had no figures
    expect(s.trace).toBeUndefined();
    const sampled = run([host(topo, [web(0)], { tick: 0 }), host(topo, [web(1)], { tick: 1 })])[1];
    expect(sampled?.mode).toBe('sampled');
    expect(JSON.stringify(sampled)).not.toMatch(/residency|others|irqs/);
    const { mode: _mode, ...old } = sampled ?? twoTicks(null); // a frame from an older agent has no mode
    expect(snapshotValidator.check(JSON.parse(JSON.stringify(old)))).toBe(true);
  });

  it('keeps an idle VM the same object tick after tick, so its JSON and findings are reused', () => {
    const quiet = exact();
    const idleVm = web(0, { busy: false }); // an idle VM's samples are the same objects tick after tick
    const obs = (tick: number): HostObservation => ({ ...host(topo, [idleVm], { tick }), at: T0 + tick * TICK_MS, mode: 'exact', exact: tick === 0 ? null : quiet });
    const snaps = run([obs(0), obs(1), obs(2), obs(3)]);
    expect(snaps[2]?.vms[0]?.vcpus[0]?.residency).toEqual([]);
    expect(snaps[3]?.vms[0]).toBe(snaps[2]?.vms[0]);
  });
});
