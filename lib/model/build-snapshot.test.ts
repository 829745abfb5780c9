import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot';
import { SNAPSHOT_VERSION } from './snapshot';
import { T0, flatTopology, host, intent, mainThread, run, sample, vcpuThread, vm } from '../../test/support/model-fixtures';

const topo = flatTopology(4, '3');

describe('buildSnapshot', () => {
  it('describes the first sample without judging where threads ran', () => {
    const obs = host(
      topo,
      [
        vm('b', 300, [mainThread(300)]),
        vm('a', 200, [mainThread(200)]),
        vm(
          'a',
          100,
          [
            sample(104, 'IO iothread1', { affinity: '0-1' }),
            vcpuThread(1, 102, { pcpu: 3, affinity: '3', runNs: 7e9 }),
            mainThread(100, { affinity: '0-1' }),
            vcpuThread(0, 101, { pcpu: 2, affinity: '2' }),
            sample(105, 'kvm-nx-lpage-re', { affinity: '2' }),
          ],
          {
            uuid: 'u-a',
            maxVcpus: 4,
            vcpus: [{ index: 1, tid: 102, source: 'qmp', props: { 'core-id': 1 } }],
            intent: intent({ source: 'pins-file', vcpupin: { 0: '2', 1: '3' }, emulatorpin: '0-1', dedicated: true }),
          },
        ),
      ],
      { busy: { 0: 0.5 } },
    );
    const s = buildSnapshot(obs, null);
    expect(s.version).toBe(SNAPSHOT_VERSION);
    expect(s.host).toBe('hv1');
    expect(s.at).toBe(T0);
    expect(s.intervalMs).toBeNull();
    expect(s.topology.isolated).toEqual([3]);
    expect(s.topology.cpus.map((c) => [c.cpu, c.isolated, c.busy])).toEqual([
      [0, false, 0.5],
      [1, false, null],
      [2, false, null],
      [3, true, null],
    ]);
    expect(s.vms.map((v) => [v.name, v.pid])).toEqual([
      ['a', 100],
      ['a', 200],
      ['b', 300],
    ]);
    const a = s.vms[0];
    expect(a).toMatchObject({ uuid: 'u-a', source: 'libvirt', intent: 'pins-file', dedicated: true, maxVcpus: 4 });
    expect(a?.vcpus).toEqual([
      { index: 0, tid: 101, pcpu: 2, affinity: [2], pin: [2], ran: false, state: 'S', runNs: null, waitNs: null, identity: 'thread-name' },
      {
        index: 1,
        tid: 102,
        pcpu: 3,
        affinity: [3],
        pin: [3],
        ran: false,
        state: 'S',
        runNs: null,
        waitNs: null,
        identity: 'qmp',
        props: { 'core-id': 1 },
      },
    ]);
    expect(a?.threads.map((t) => [t.tid, t.role, t.vcpu, t.iothread, t.pin])).toEqual([
      [100, 'emulator', undefined, undefined, [0, 1]],
      [101, 'vcpu', 0, undefined, [2]],
      [102, 'vcpu', 1, undefined, [3]],
      [104, 'iothread', undefined, 'iothread1', [0, 1]],
      [105, 'other', undefined, undefined, null],
    ]);
    expect(s.vms[2]).toMatchObject({ intent: 'none', dedicated: false, uuid: null, maxVcpus: null });
    expect(s.vms[2]?.threads[0]?.pin).toBeNull();
  });

  it('gives interval deltas and ran from the previous sample of the same VM process', () => {
    const make = (tick: number) =>
      host(
        topo,
        [
          vm('a', 100, [
            vcpuThread(0, 101, { pcpu: 2, runNs: 1e9 + tick * 3e8, waitNs: 5e6 + tick * 2e6 }),
            vcpuThread(1, 102, { pcpu: 1, runNs: 4e9 }), // halted
            sample(103, 'worker', { runNs: null, waitNs: null, utime: 10 + tick, stime: 2 }),
          ]),
        ],
        { tick, busy: { 0: 0.25 } },
      );
    const [first, second] = run([make(0), make(1)]);
    expect(first?.vms[0]?.vcpus.map((v) => v.ran)).toEqual([false, false]);
    expect(second?.intervalMs).toBe(1000);
    expect(second?.vms[0]?.vcpus.map((v) => [v.ran, v.runNs, v.waitNs])).toEqual([
      [true, 3e8, 2e6],
      [false, 0, 0],
    ]);
    expect(second?.vms[0]?.threads.find((t) => t.tid === 103)?.ran).toBe(true);
  });

  it('does not compare threads of a restarted VM (new pid) with the old process', () => {
    const [, second] = run([
      host(topo, [vm('a', 100, [vcpuThread(0, 101, { runNs: 1 })])]),
      host(topo, [vm('a', 150, [vcpuThread(0, 101, { runNs: 9e9 })])], { tick: 1 }),
    ]);
    expect(second?.vms[0]?.vcpus[0]).toMatchObject({ ran: false, runNs: null, waitNs: null });
  });

  it('a thread that appears between two samples starts as not ran', () => {
    const [, second] = run([
      host(topo, [vm('a', 100, [vcpuThread(0, 101, { runNs: 1 })])]),
      host(topo, [vm('a', 100, [vcpuThread(0, 101, { runNs: 1 }), vcpuThread(1, 102, { runNs: 5e9 })])], { tick: 1 }),
    ]);
    expect(second?.vms[0]?.vcpus.map((v) => [v.index, v.ran, v.runNs])).toEqual([
      [0, false, 0],
      [1, false, null],
    ]);
  });

  it('does not compare across a clock step back or a gap over a day, but keeps since', () => {
    const pinned = { intent: intent({ vcpupin: { 0: '2' } }) };
    const first = host(topo, [vm('a', 100, [vcpuThread(0, 101, { affinity: '0-3', runNs: 1 })], pinned)]);
    const later = (at: number) => ({
      ...host(topo, [vm('a', 100, [vcpuThread(0, 101, { affinity: '0-3', pcpu: 1, runNs: 9e9 })], pinned)]),
      at,
    });
    for (const at of [T0 - 1, T0 + 86_400_001]) {
      const [s0, s1] = run([first, later(at)]);
      expect(s1?.intervalMs).toBeNull();
      expect(s1?.vms[0]?.vcpus[0]).toMatchObject({ ran: false, runNs: null });
      expect(s1?.violations.map((v) => [v.kind, v.since])).toEqual([['affinity-drift', s0?.at]]);
    }
  });
});
