// off-pin, affinity-drift, unpinned-vcpu, fix commands and `since` bookkeeping.
import { describe, expect, it } from 'vitest';
import {
  T0,
  TICK_MS,
  flatTopology,
  host,
  intent,
  lastTick,
  mainThread,
  ofKind,
  run,
  running,
  sample,
  vcpuThread,
  vm,
} from '../../test/support/model-fixtures';
import type { Snapshot } from './snapshot';
import type { HostObservation } from './types';

const topo = flatTopology(8);

/**
 * VM "a" with vCPU 0 pinned to pCPU 2: where it ran at each tick, or null = halted. Its kernel
 * affinity is 2 while it runs on 2, and 0-7 (a taskset widened it) when it runs elsewhere: the
 * kernel never runs a thread outside its mask.
 */
function offPinScenario(where: readonly (number | null)[], name = 'a', source: 'qemu' | 'libvirt' = 'libvirt') {
  let runNs = 0;
  let pcpu = 2;
  const obs: HostObservation[] = where.map((cpu, tick) => {
    if (cpu !== null) {
      runNs += 1e6;
      pcpu = cpu;
    }
    const threads = [mainThread(100, { affinity: '0-1' }), vcpuThread(0, 101, { pcpu, affinity: pcpu === 2 ? '2' : '0-7', runNs })];
    return host(topo, [vm(name, 100, threads, { source, intent: intent({ vcpupin: { 0: '2' }, emulatorpin: '0-1' }) })], { tick });
  });
  return run(obs);
}

describe('off-pin', () => {
  it('reports a vCPU that ran outside its pin', () => {
    const s = offPinScenario([2, 5]).at(-1);
    expect(s === undefined ? [] : ofKind(s, 'off-pin')).toEqual([
      {
        id: 'off-pin:a:vcpu0',
        kind: 'off-pin',
        severity: 'critical',
        vm: 'a',
        vms: ['a'],
        vcpu: 0,
        tid: 101,
        pcpus: [5],
        message: expect.stringMatching(/"a" vCPU 0 \(TID 101\) ran on pCPU 5, outside its pin 2 \(kernel affinity 0-7\).*taskset/),
        fix: 'virsh vcpupin a 0 2 --live',
        since: T0 + TICK_MS,
        lastSeen: T0 + TICK_MS,
      },
    ]);
  });

  it('does not report a vCPU that ran inside its pin', () => {
    expect(offPinScenario([2, 2]).at(-1)?.violations).toEqual([]);
  });

  it('does not judge a last CPU outside the current mask: the vCPU ran there before a re-pin', () => {
    // virsh vcpupin a 0 3 --live in the interval: it ran on 2 under the old mask, then slept;
    // the mask and the status XML now say 3. Nothing ran outside the pin as it stands.
    const s = lastTick(2, (tick) =>
      host(topo, [
        vm('a', 100, [vcpuThread(0, 101, { pcpu: 2, affinity: tick === 0 ? '2' : '3', runNs: (tick + 1) * 1e6 })], {
          intent: intent({ vcpupin: { 0: tick === 0 ? '2' : '3' } }),
        }),
      ]),
    );
    expect(s.vms[0]?.vcpus[0]?.ran).toBe(true);
    expect(s.violations).toEqual([]);
  });

  it('does not judge a stale pcpu: first sample, or a vCPU that did not run', () => {
    // Last seen on pCPU 5 (outside the pin) and halted since: the pcpu is stale on every tick.
    const stale = offPinScenario([5, null, null]);
    expect(stale.map((s) => s.vms[0]?.vcpus[0]?.pcpu)).toEqual([5, 5, 5]);
    expect(stale.map((s) => s.vms[0]?.vcpus[0]?.ran)).toEqual([false, false, false]);
    expect(stale.map((s) => ofKind(s, 'off-pin').length)).toEqual([0, 0, 0]);
    // The first tick alone has no previous sample: ran is unknown, so never judged.
    const first = run([
      host(topo, [vm('a', 100, [vcpuThread(0, 101, { pcpu: 5, affinity: '2', runNs: 9e9 })], { intent: intent({ vcpupin: { 0: '2' } }) })]),
    ]);
    expect(first[0]?.vms[0]?.vcpus[0]?.ran).toBe(false);
    expect(first[0]?.violations).toEqual([]);
  });

  it('keeps one id and its since while the vCPU hops between wrong pCPUs', () => {
    const snaps = offPinScenario([2, 5, 6, 7]);
    const v = snaps.slice(1).map((s) => ofKind(s, 'off-pin')[0]);
    expect(v.map((x) => x?.id)).toEqual(['off-pin:a:vcpu0', 'off-pin:a:vcpu0', 'off-pin:a:vcpu0']);
    expect(v.map((x) => x?.pcpus)).toEqual([[5], [6], [7]]);
    expect(v.map((x) => x?.since)).toEqual([T0 + TICK_MS, T0 + TICK_MS, T0 + TICK_MS]);
    expect(v.map((x) => x?.lastSeen)).toEqual([T0 + TICK_MS, T0 + 2 * TICK_MS, T0 + 3 * TICK_MS]);
  });

  it('restarts since when the violation went away and came back', () => {
    const snaps = offPinScenario([2, 5, 2, 5]);
    expect(snaps.map((s) => ofKind(s, 'off-pin')[0]?.since ?? null)).toEqual([null, T0 + TICK_MS, null, T0 + 3 * TICK_MS]);
  });

  it('a halted tick between two off-pin runs drops the violation (stale is not judged)', () => {
    const snaps = offPinScenario([2, 5, null, 5]);
    expect(snaps.map((s) => ofKind(s, 'off-pin')[0]?.since ?? null)).toEqual([null, T0 + TICK_MS, null, T0 + 3 * TICK_MS]);
  });

  it('quotes hostile domain names in the fix', () => {
    const offPin = (s: Snapshot | undefined) => (s === undefined ? undefined : ofKind(s, 'off-pin')[0]);
    const xss = offPin(offPinScenario([2, 5], '<img src=x onerror=alert(1)>').at(-1));
    expect(xss?.fix).toBe(`virsh vcpupin '<img src=x onerror=alert(1)>' 0 2 --live`);
    expect(xss?.vm).toBe('<img src=x onerror=alert(1)>');
    const quote = offPin(offPinScenario([2, 5], "it's").at(-1));
    expect(quote?.fix).toBe(`virsh vcpupin 'it'\\''s' 0 2 --live`);
    expect(quote?.id).toBe("off-pin:it's:vcpu0");
  });

  it('uses taskset on the thread for plain QEMU', () => {
    const s = offPinScenario([2, 5], "it's", 'qemu').at(-1);
    expect(s === undefined ? undefined : ofKind(s, 'off-pin')[0]?.fix).toBe('taskset -pc 2 101');
  });
});

describe('affinity-drift', () => {
  const drifted = (source: 'qemu' | 'libvirt' = 'libvirt') =>
    lastTick(1, () =>
      host(topo, [
        vm(
          'a',
          100,
          [
            mainThread(100, { affinity: '0-7' }),
            vcpuThread(0, 101, { affinity: '0-7' }),
            vcpuThread(1, 102, { affinity: '3' }),
            sample(103, 'IO mon_iothread', { affinity: '0-1' }),
            sample(104, 'worker', { affinity: '0-7' }),
            sample(105, 'IO iothread1', { affinity: '0-1' }),
            sample(106, 'kvm-nx-lpage-re', { affinity: '2' }),
          ],
          { source, intent: intent({ vcpupin: { 0: '2', 1: '3' }, emulatorpin: '0-1', iothreadpin: { 1: '6' } }) },
        ),
      ]),
    );

  it('reports vCPU (critical), emulator threads (one per VM) and iothreads (one each)', () => {
    const d = ofKind(drifted(), 'affinity-drift');
    expect(d.map((v) => [v.id, v.severity, v.vcpu, v.tid, v.tids, v.pcpus, v.fix])).toEqual([
      ['affinity-drift:a:vcpu0', 'critical', 0, 101, undefined, [0, 1, 3, 4, 5, 6, 7], 'virsh vcpupin a 0 2 --live'],
      ['affinity-drift:a:emulator', 'warning', undefined, undefined, [100, 104], [2, 3, 4, 5, 6, 7], 'virsh emulatorpin a 0-1 --live'],
      ['affinity-drift:a:iothread:iothread1', 'warning', undefined, 105, undefined, [0, 1, 6], 'virsh iothreadpin a 1 6 --live'],
    ]);
    expect(d[0]?.message).toMatch(/vCPU 0 \(TID 101\) may run on 0-7 but is pinned to 2/);
  });

  it('uses taskset per tid for plain QEMU', () => {
    const d = ofKind(drifted('qemu'), 'affinity-drift');
    expect(d.map((v) => v.fix)).toEqual(['taskset -pc 2 101', 'taskset -pc 0-1 100 && taskset -pc 0-1 104', 'taskset -pc 6 105']);
  });

  it('is quiet when the kernel agrees with the intent, and never judges kernel helpers', () => {
    const s = lastTick(1, () =>
      host(topo, [
        vm(
          'a',
          100,
          [
            mainThread(100, { affinity: '0-1' }),
            vcpuThread(0, 101, { affinity: '2' }),
            sample(105, 'IO iothread1', { affinity: '0-1' }), // no iothreadpin: follows emulatorpin
            sample(106, 'kvm-nx-lpage-re', { affinity: '2' }), // follows vcpu0's cgroup
          ],
          { intent: intent({ vcpupin: { 0: '2' }, emulatorpin: '0-1' }) },
        ),
      ]),
    );
    expect(s.violations).toEqual([]);
  });

  it('compares on online CPUs: pinned CPUs the host does not have are not drift', () => {
    const s = lastTick(1, () =>
      host(topo, [vm('a', 100, [vcpuThread(0, 101, { affinity: '4-7' })], { intent: intent({ vcpupin: { 0: '4-15' } }) })]),
    );
    expect(s.violations).toEqual([]);
  });

  it('judges nothing without an intent', () => {
    const s = lastTick(1, () => host(topo, [vm('a', 100, [mainThread(100, { affinity: '5' }), vcpuThread(0, 101, { affinity: '7' })])]));
    expect(s.vms[0]?.intent).toBe('none');
    expect(s.violations).toEqual([]);
  });
});

describe('unpinned-vcpu', () => {
  it('reports a present vCPU without a pin in a VM with pins', () => {
    const s = lastTick(1, () =>
      host(topo, [
        vm('a', 100, [vcpuThread(0, 101, { affinity: '2' }), vcpuThread(1, 102, { affinity: '0-7' })], {
          intent: intent({ vcpupin: { 0: '2' } }),
        }),
      ]),
    );
    expect(s.violations.map((v) => [v.kind, v.severity, v.vcpu, v.tid, v.fix])).toEqual([['unpinned-vcpu', 'warning', 1, 102, null]]);
    expect(s.violations[0]?.message).toMatch(/hot-plug/);
  });

  it('is quiet for a VM without any vcpupin, or when a default cpuset covers the vCPU', () => {
    const mk = (i: ReturnType<typeof intent>) =>
      lastTick(1, () => host(topo, [vm('a', 100, [vcpuThread(0, 101, { affinity: '0-7' }), vcpuThread(1, 102, { affinity: '0-7' })], { intent: i })]));
    expect(mk(intent({})).violations).toEqual([]);
    expect(mk(intent({ vcpupin: { 0: '0-7' }, vcpuDefault: '0-7' })).violations).toEqual([]);
  });
});

describe('ordering', () => {
  it('sorts by severity, then kind, then VM, then vCPU', () => {
    const s = lastTick(2, (tick) =>
      host(topo, [
        vm('b', 200, [vcpuThread(0, 201, { affinity: '0-7' }), vcpuThread(1, 202, { affinity: '0-7' })], {
          intent: intent({ vcpupin: { 1: '4' } }),
        }),
        vm(
          'a',
          100,
          [vcpuThread(1, 102, { affinity: '0-7', pcpu: 6, ...running(tick) }), vcpuThread(0, 101, { affinity: '0-7' })],
          { intent: intent({ vcpupin: { 0: '2', 1: '3' } }) },
        ),
      ]),
    );
    expect(s.violations.map((v) => `${v.severity} ${v.kind} ${v.vm} ${v.vcpu ?? ''}`)).toEqual([
      'critical off-pin a 1',
      'critical affinity-drift a 0',
      'critical affinity-drift a 1',
      'critical affinity-drift b 1',
      'warning unpinned-vcpu b 0',
    ]);
  });
});

describe('affinity-drift with an unknown affinity', () => {
  it('is not reported for threads whose affinity is empty (pasted ps output carries none)', () => {
    const snap = lastTick(1, () =>
      host(topo, [
        vm('a', 100, [mainThread(100, { affinity: '' }), vcpuThread(0, 101, { affinity: '' })], {
          intent: intent({ vcpupin: { 0: '2' }, emulatorpin: '0-1' }),
        }),
      ]),
    );
    expect(ofKind(snap, 'affinity-drift')).toEqual([]);
  });
});
