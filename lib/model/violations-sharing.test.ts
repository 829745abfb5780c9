// shared-dedicated, emulator-overlap and overcommit: several VMs on the same pCPUs.
import { describe, expect, it } from 'vitest';
import { flatTopology, host, intent, lastTick, mainThread, ofKind, running, sample, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { VmObservation } from './types';

const topo = flatTopology(8);

/** Dedicated VM "a": vCPUs 0,1 on pCPUs 2,3, emulator on 0-1. */
function dedicatedA(tick: number, o: { emulatorpin?: string; mainAffinity?: string } = {}): VmObservation {
  return vm(
    'a',
    100,
    [
      mainThread(100, { affinity: o.mainAffinity ?? o.emulatorpin ?? '0-1' }),
      vcpuThread(0, 101, { affinity: '2', pcpu: 2, ...running(tick) }),
      vcpuThread(1, 102, { affinity: '3', pcpu: 3, ...running(tick) }),
    ],
    { intent: intent({ vcpupin: { 0: '2', 1: '3' }, emulatorpin: o.emulatorpin ?? '0-1', dedicated: true }) },
  );
}

describe('shared-dedicated', () => {
  it('reports another VM pinned onto the dedicated pCPUs', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        dedicatedA(t),
        vm('b', 200, [mainThread(200, { affinity: '0-1' }), vcpuThread(0, 201, { affinity: '3-4', pcpu: 4, ...running(t) })], {
          intent: intent({ vcpupin: { 0: '3-4' }, emulatorpin: '0-1' }),
        }),
      ]),
    );
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.vms, v.pcpus, v.fix])).toEqual([
      ['shared-dedicated', 'critical', 'a', ['a', 'b'], [3], null],
    ]);
    expect(s.violations[0]?.id).toBe('shared-dedicated:a+b');
    expect(s.violations[0]?.message).toMatch(/"b" \(vCPU 0\) is pinned to pCPU 3 reserved for dedicated VM "a"/);
  });

  it('reports another VM whose vCPU ran on a dedicated pCPU', () => {
    const s = lastTick(2, (t) =>
      host(topo, [dedicatedA(t), vm('b', 200, [vcpuThread(0, 201, { affinity: '0-7', pcpu: 2, ...running(t) })])]),
    );
    expect(ofKind(s, 'shared-dedicated').map((v) => [v.vms, v.pcpus])).toEqual([[['a', 'b'], [2]]]);
  });

  it('is quiet when the other VM stays away, or was only last seen there (stale)', () => {
    const away = lastTick(2, (t) =>
      host(topo, [
        dedicatedA(t),
        vm('b', 200, [vcpuThread(0, 201, { affinity: '4-5', pcpu: 4, ...running(t) })], { intent: intent({ vcpupin: { 0: '4-5' } }) }),
      ]),
    );
    expect(away.violations).toEqual([]);
    const stale = lastTick(2, (t) => host(topo, [dedicatedA(t), vm('b', 200, [vcpuThread(0, 201, { affinity: '0-7', pcpu: 2 })])]));
    expect(ofKind(stale, 'shared-dedicated')).toEqual([]);
  });

  it('does not apply to VMs that are not dedicated', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        vm('a', 100, [vcpuThread(0, 101, { affinity: '2', pcpu: 2 })], { intent: intent({ vcpupin: { 0: '2' } }) }),
        vm('b', 200, [vcpuThread(0, 201, { affinity: '2', pcpu: 2, ...running(t) })], { intent: intent({ vcpupin: { 0: '2' } }) }),
      ]),
    );
    expect(ofKind(s, 'shared-dedicated')).toEqual([]);
  });
});

describe('emulator-overlap', () => {
  it("reports the dedicated VM's own emulator threads allowed on its vCPU pCPUs", () => {
    const s = lastTick(1, () =>
      host(topo, [
        vm('a', 100, [mainThread(100, { affinity: '0-7' }), sample(103, 'worker', { affinity: '0-7' }), vcpuThread(0, 101, { affinity: '2' })], {
          intent: intent({ vcpupin: { 0: '2' }, dedicated: true }),
        }),
      ]),
    );
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.vms, v.tids, v.pcpus, v.fix])).toEqual([
      ['emulator-overlap', 'warning', 'a', ['a'], [100, 103], [2], null],
    ]);
  });

  it("reports another VM's emulator or iothread pinned onto them", () => {
    const s = lastTick(1, () =>
      host(topo, [
        dedicatedA(0),
        vm('b', 200, [mainThread(200, { affinity: '3-4' }), sample(205, 'IO iothread1', { affinity: '6' }), vcpuThread(0, 201, { affinity: '5' })], {
          intent: intent({ vcpupin: { 0: '5' }, emulatorpin: '3-4', iothreadpin: { 1: '6' } }),
        }),
      ]),
    );
    expect(ofKind(s, 'emulator-overlap').map((v) => [v.vm, v.vms, v.tids, v.pcpus, v.fix])).toEqual([
      ['b', ['b', 'a'], [200], [3], null],
    ]);
  });

  it('reports a thread that ran there although its pin is clear, with the restoring command', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        dedicatedA(t),
        vm('b', 200, [mainThread(200, { affinity: '0-7', pcpu: 2, ...running(t) }), vcpuThread(0, 201, { affinity: '5' })], {
          intent: intent({ vcpupin: { 0: '5' }, emulatorpin: '0-1' }),
        }),
      ]),
    );
    expect(ofKind(s, 'emulator-overlap').map((v) => [v.vm, v.tids, v.pcpus, v.fix])).toEqual([
      ['b', [200], [2], 'virsh emulatorpin b 0-1 --live'],
    ]);
  });

  it('is quiet when emulator threads stay off the dedicated pCPUs or are only stale there', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        dedicatedA(t),
        vm('b', 200, [mainThread(200, { affinity: '0-1', pcpu: 2 }), vcpuThread(0, 201, { affinity: '5' })], {
          intent: intent({ vcpupin: { 0: '5' }, emulatorpin: '0-1' }),
        }),
      ]),
    );
    expect(s.violations).toEqual([]);
  });
});

describe('overcommit', () => {
  function crowded(waitShare: number, pinsB: Readonly<Record<number, string>> = { 0: '2' }) {
    return lastTick(2, (t) =>
      host(topo, [
        vm(
          'a',
          100,
          [vcpuThread(0, 101, { affinity: '2-3', pcpu: 2, ...running(t, waitShare) }), vcpuThread(1, 102, { affinity: '2-3', pcpu: 3, ...running(t) })],
          { intent: intent({ vcpupin: { 0: '2-3', 1: '2-3' } }) },
        ),
        vm(
          'b',
          200,
          Object.keys(pinsB).map((k) => vcpuThread(Number(k), 201 + Number(k), { affinity: pinsB[Number(k)], pcpu: 2, ...running(t) })),
          { intent: intent({ vcpupin: pinsB }) },
        ),
      ]),
    );
  }

  it('reports more vCPUs than pCPUs in a pin set when they wait on the run queue', () => {
    const s = crowded(0.1);
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.vms, v.pcpus, v.tids, v.fix])).toEqual([
      ['overcommit', 'warning', 'a', ['a', 'b'], [2, 3], [101, 102, 201], null],
    ]);
    expect(s.violations[0]?.message).toMatch(/^3 vCPUs of VMs "a", "b" are pinned within pCPUs 2-3 \(capacity 2\) and one waited 100\.0 ms \(10% of the 1000 ms interval\)/);
  });

  it('is quiet without run-queue wait', () => {
    expect(crowded(0.01).violations).toEqual([]);
  });

  it('is quiet when the vCPUs fit', () => {
    expect(lastTick(2, (t) =>
      host(topo, [
        vm('a', 100, [vcpuThread(0, 101, { affinity: '2-3', pcpu: 2, ...running(t, 0.5) }), vcpuThread(1, 102, { affinity: '2-3', pcpu: 3, ...running(t, 0.5) })], {
          intent: intent({ vcpupin: { 0: '2-3', 1: '2-3' } }),
        }),
      ]),
    ).violations).toEqual([]);
  });

  it('ignores pins equal to every online CPU and the first sample', () => {
    expect(crowded(0.5, { 0: '0-7', 1: '0-7', 2: '0-7' }).violations).toEqual([]);
    expect(lastTick(1, (t) => host(topo, [vm('a', 100, [1, 2, 3].map((i) => vcpuThread(i, 100 + i, { affinity: '2', pcpu: 2, ...running(t, 0.5) })), {
      intent: intent({ vcpupin: { 1: '2', 2: '2', 3: '2' } }),
    })])).violations).toEqual([]);
  });

  it('counts only the wait of vCPUs last seen on the pin set, not wait queued elsewhere', () => {
    // Issue 9's case: vCPUs 0 and 1 pinned to pCPU 1; vCPU 0 moved by taskset to pCPU 0, where it
    // spins and waits. Nothing contends on pCPU 1.
    const moved = (waitOn1: number) =>
      lastTick(2, (t) =>
        host(topo, [
          vm(
            'a',
            100,
            [
              vcpuThread(0, 101, { affinity: '0', pcpu: 0, ...running(t, 0.54) }),
              vcpuThread(1, 102, { affinity: '1', pcpu: 1, ...running(t, waitOn1) }),
            ],
            { intent: intent({ vcpupin: { 0: '1', 1: '1' } }) },
          ),
        ]),
      );
    expect(ofKind(moved(0), 'overcommit')).toEqual([]);
    // vCPU 1, still on pCPU 1, waiting there is contention on the set.
    const contended = ofKind(moved(0.2), 'overcommit');
    expect(contended.map((v) => [v.pcpus, v.tids])).toEqual([[[1], [101, 102]]]);
    expect(contended[0]?.message).toMatch(/one waited 200\.0 ms \(20% of the 1000 ms interval\) on the run queue there/);
  });
});
