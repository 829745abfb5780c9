import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm } from '../model/snapshot';
import { cgroup, flatTopology, host, intent, lastTick, mainThread, running, sample, vcpuThread, vm } from '../../test/support/model-fixtures';
import { hostFrames } from '../../test/support/snapshot-factory';
import { encodeTick, expandTick, type CompactTick } from './compact-tick';
import { extractStructure, sameStructure, structureHash, structureJson } from './structure-body';
import { structureIndex } from './structure-index';

const hashOf = (s: Snapshot): string => structureHash(structureJson(extractStructure(s)));

/** What the server gets: the tick as JSON, parsed again. */
function overTheWire(t: CompactTick): CompactTick {
  const parsed: unknown = JSON.parse(JSON.stringify(t));
  expect(parsed).toEqual(t);
  return t;
}

function withVm(s: Snapshot, change: (vm: SnapshotVm) => SnapshotVm): Snapshot {
  const [first, ...rest] = s.vms;
  if (!first) throw new Error('fixture has no VM');
  return { ...s, vms: [change(first), ...rest] };
}

describe('compact tick', () => {
  it('expands to the very snapshot it was encoded from, across a hot-plug and changing violations', () => {
    const frames = hostFrames({ host: 'hv-07', seed: 3, hotplugAt: 20 }, 60);
    let structures = 0;
    let prev: Snapshot | null = null;
    for (const f of frames) {
      if (!prev || !sameStructure(extractStructure(prev), f)) structures++;
      prev = f;
      const t = encodeTick(f, hashOf(f));
      if (!t) throw new Error('tick did not encode');
      const back = expandTick(extractStructure(f), overTheWire(t));
      expect(back).toEqual(f);
      expect(JSON.stringify(back)).toBe(JSON.stringify(f)); // key order too: the served JSON is the same
    }
    expect(structures).toBe(2);
    expect(frames.some((f) => f.violations.length > 0)).toBe(true);
  });

  it('carries the VM identity and cgroup and the thread policies of an agent snapshot, key order included', () => {
    const f = lastTick(2, (t) =>
      host(flatTopology(2), [
        vm('a', 100, [mainThread(100), vcpuThread(0, 101, { policy: 1, rtPriority: 5, ...running(t) }), sample(300, 'vhost-100')], {
          source: 'qemu',
          intent: intent({ vcpupin: { 0: '1' } }),
          cgroup: cgroup('/vm-a', '0-1'),
        }),
        vm('u', 200, [mainThread(200), sample(201, 'qemu-system-x86')], { source: 'qemu' }),
      ]),
    );
    expect(f.vms.map((v) => [v.identity, v.cgroup])).toEqual([
      ['thread-name', { path: '/vm-a', file: '/sys/fs/cgroup/cpuset/vm-a/cpuset.cpus', cpus: [0, 1] }],
      ['unknown', null],
    ]);
    expect(f.vms[0]?.threads.map((th) => [th.role, th.policy, th.priority])).toEqual([
      ['emulator', 'other', 0],
      ['vcpu', 'fifo', 5],
      ['vhost', 'other', 0],
    ]);
    const t = encodeTick(f, hashOf(f));
    if (!t) throw new Error('tick did not encode');
    const back = expandTick(extractStructure(f), overTheWire(t));
    expect(JSON.stringify(back)).toBe(JSON.stringify(f));
    // A policy change is a change of structure, as a re-pin is.
    const chrt = withVm(f, (v) => ({ ...v, threads: v.threads.map((th) => (th.tid === 101 ? { ...th, policy: 'other' as const, priority: 0 } : th)) }));
    expect(sameStructure(extractStructure(f), chrt)).toBe(false);
    expect(sameStructure(extractStructure(f), { ...f })).toBe(true);
  });

  it('is a tenth of the snapshot JSON or less', () => {
    const [f] = hostFrames({ host: 'hv-07', seed: 3 }, 1);
    if (!f) throw new Error('no frame');
    const t = encodeTick(f, hashOf(f));
    expect(JSON.stringify(t).length * 8).toBeLessThan(JSON.stringify(f).length);
  });

  it('carries vCPU entries that differ from their thread, or have none', () => {
    const [f] = hostFrames({ host: 'hv-07', seed: 5 }, 2).slice(1);
    if (!f) throw new Error('no frame');
    const odd = withVm(f, (vm) => {
      const [v0, v1, ...vs] = vm.vcpus;
      if (!v0 || !v1) throw new Error('fixture VM has < 2 vCPUs');
      // v0: the thread list was read before the vCPU moved; v1: a thread not in the task list.
      return { ...vm, vcpus: [{ ...v0, pcpu: v0.pcpu + 1, ran: !v0.ran, state: 'R' }, { ...v1, tid: 999_999 }, ...vs] };
    });
    const t = encodeTick(odd, hashOf(odd));
    if (!t) throw new Error('tick did not encode');
    expect(t.vcpus.map((x) => x[0])).toEqual([0, 1]);
    expect(expandTick(extractStructure(odd), overTheWire(t))).toEqual(odd);
  });

  it('declines a thread state that is not one character (the pusher sends the full snapshot)', () => {
    const [f] = hostFrames({ host: 'hv-07', seed: 5 }, 1);
    if (!f) throw new Error('no frame');
    const odd = withVm(f, (vm) => ({ ...vm, threads: vm.threads.map((t, i) => (i === 0 ? { ...t, state: 'Ss' } : t)) }));
    expect(encodeTick(odd, hashOf(odd))).toBeNull();
  });

  it('counts what the arrays are indexed by', () => {
    const [f] = hostFrames({ host: 'hv-07', seed: 5 }, 1);
    if (!f) throw new Error('no frame');
    const t = encodeTick(f, hashOf(f));
    const c = structureIndex(extractStructure(f));
    expect([t?.pcpu.length, t?.ran.length, t?.state.length, t?.runNs.length, t?.busy.length]).toEqual([c.threadCount, c.threadCount, c.threadCount, c.vcpuCount, c.cpuCount]);
  });
});

describe('compact tick in exact mode', () => {
  it('carries mode, trace, residency, migrations, wake-up latency, other tasks, IRQs and lost events, and expands to the very snapshot', () => {
    const frames = hostFrames({ host: 'hv-x', seed: 5, exact: true, hotplugAt: 10 }, 40);
    const f = frames[5];
    if (!f) throw new Error('no frame');
    expect(f.mode).toBe('exact');
    expect(f.vms[0]?.vcpus[0]?.residency).toBeDefined();
    expect(frames.some((x) => x.topology.cpus.some((c) => (c.others?.length ?? 0) > 0 && (c.irqs?.length ?? 0) > 0))).toBe(true);
    expect(frames.some((x) => x.topology.cpus.some((c) => c.lostEvents !== undefined))).toBe(true);
    for (const s of frames) {
      const t = encodeTick(s, hashOf(s));
      if (!t) throw new Error('tick did not encode');
      const back = expandTick(extractStructure(s), overTheWire(t));
      expect(JSON.stringify(back)).toBe(JSON.stringify(s));
    }
    // Exact figures are volatile: they never change the structure.
    const [a, b] = frames.slice(6, 8);
    if (!a || !b) throw new Error('no frames');
    expect(structureJson(extractStructure(a))).toBe(structureJson(extractStructure(b)));
    expect(structureJson(extractStructure(a))).not.toMatch(/residency|others|irqs|wakeLatency/);
  });
});
