// smt-sibling-shared, numa-split and isolation-mismatch on the two-socket SMT sysfs fixture:
// cpu0-3 + siblings 8-11 on socket 0 / node 0, cpu4-7 + siblings 12-15 on socket 1 / node 1,
// cpuN's sibling is cpuN+8, isolated 2-3,10-11.
import { describe, expect, it } from 'vitest';
import { host, intent, lastTick, mainThread, ofKind, running, sample, twoSocketSmt, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { VmIntent, VmObservation } from './types';

const topo = await twoSocketSmt();

it('reads the fixture topology the tests rely on', () => {
  expect(topo.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  expect(topo.cpus[0]).toMatchObject({ socket: 0, node: 0, siblings: [0, 8] });
  expect(topo.cpus[12]).toMatchObject({ socket: 1, node: 1, siblings: [4, 12] });
  expect(topo.isolated).toEqual([2, 3, 10, 11]);
});

/** A VM with one vCPU per entry of `pins` (vCPU i -> pins[i]), emulator on 0-1 (not isolated). */
function pinned(name: string, pid: number, pins: readonly string[], tick: number, o: Partial<VmIntent> & { ranOn?: readonly number[] } = {}): VmObservation {
  const vcpupin = Object.fromEntries(pins.map((p, i) => [i, p]));
  return vm(
    name,
    pid,
    [
      mainThread(pid, { affinity: '0-1' }),
      ...pins.map((p, i) => {
        const ran = o.ranOn?.[i];
        return vcpuThread(i, pid + 1 + i, { affinity: p, pcpu: ran ?? Number(p.split(/[-,]/)[0]), ...(ran === undefined ? {} : running(tick)) });
      }),
    ],
    { intent: { ...intent({ vcpupin, emulatorpin: '0-1' }), ...o } },
  );
}

describe('smt-sibling-shared', () => {
  it('reports vCPUs of two VMs pinned to the two siblings of one core', () => {
    const s = lastTick(1, (t) => host(topo, [pinned('b', 200, ['8'], t), pinned('a', 100, ['0'], t)]));
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.vms, v.pcpus, v.tids, v.fix])).toEqual([
      ['smt-sibling-shared', 'warning', 'a', ['a', 'b'], [0, 8], [101, 201], null],
    ]);
    expect(s.violations[0]?.id).toBe('smt-sibling-shared:a+b:core0.0.0');
    expect(s.violations[0]?.message).toMatch(/"a" \(vCPU 0\) and "b" \(vCPU 0\) are pinned to SMT siblings pCPUs 0,8 of one core \(socket 0 core 0\)/);
  });

  it('reports both running on siblings while one of them is pinned there', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        pinned('a', 100, ['4'], t, { ranOn: [4] }),
        vm('b', 200, [vcpuThread(0, 201, { affinity: '0-15', pcpu: 12, ...running(t) })]),
      ]),
    );
    expect(ofKind(s, 'smt-sibling-shared').map((v) => [v.vms, v.pcpus, v.id])).toEqual([[['a', 'b'], [4, 12], 'smt-sibling-shared:a+b:core1.0.0']]);
  });

  it('is quiet for different cores, one VM on both siblings, unpinned or all-CPU pins, and stale samples', () => {
    const differentCores = lastTick(1, (t) => host(topo, [pinned('a', 100, ['0'], t), pinned('b', 200, ['9'], t)]));
    expect(differentCores.violations).toEqual([]);
    const sameVm = lastTick(1, (t) => host(topo, [pinned('a', 100, ['0', '8'], t)]));
    expect(sameVm.violations).toEqual([]);
    // A pin of every online CPU is no pin: b is not "pinned to" sibling 8 of a's core.
    const allCpus = lastTick(2, (t) => host(topo, [pinned('a', 100, ['0'], t), pinned('b', 200, ['0-15'], t, { ranOn: [8] })]));
    expect(allCpus.violations).toEqual([]);
    const bothUnpinnedRunning = lastTick(2, (t) =>
      host(topo, [
        vm('a', 100, [vcpuThread(0, 101, { affinity: '0-15', pcpu: 5, ...running(t) })]),
        vm('b', 200, [vcpuThread(0, 201, { affinity: '0-15', pcpu: 13, ...running(t) })]),
      ]),
    );
    expect(bothUnpinnedRunning.violations).toEqual([]);
    const stale = lastTick(2, (t) =>
      host(topo, [pinned('a', 100, ['5'], t), vm('b', 200, [vcpuThread(0, 201, { affinity: '0-15', pcpu: 13 })])]),
    );
    expect(stale.violations).toEqual([]);
  });
});

describe('numa-split', () => {
  it("reports a VM whose vCPU pins span host nodes", () => {
    const s = lastTick(1, (t) => host(topo, [pinned('a', 100, ['0', '4'], t)]));
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.pcpus, v.fix])).toEqual([['numa-split', 'warning', 'a', [0, 4], null]]);
    expect(s.violations[0]?.message).toMatch(/span host NUMA nodes 0, 1/);
  });

  it('judges per guest NUMA cell: cells on different nodes are fine, one cell across nodes is not', () => {
    const perCell = lastTick(1, (t) => host(topo, [pinned('a', 100, ['0', '1', '4', '5'], t, { guestCells: [[0, 1], [2, 3]] })]));
    expect(perCell.violations).toEqual([]);
    const split = lastTick(1, (t) => host(topo, [pinned('a', 100, ['0', '4', '5', '6'], t, { guestCells: [[0, 1], [2, 3]] })]));
    expect(split.violations.map((v) => [v.kind, v.pcpus])).toEqual([['numa-split', [0, 4]]]);
    expect(split.violations[0]?.message).toMatch(/guest NUMA cell 0 span host NUMA nodes 0, 1/);
  });

  it('reports pins away from the memory nodes', () => {
    const s = lastTick(1, (t) => host(topo, [pinned('a', 100, ['4', '5'], t, { memoryNodes: [0] })]));
    expect(s.violations.map((v) => [v.kind, v.pcpus])).toEqual([['numa-split', [4, 5]]]);
    expect(s.violations[0]?.message).toMatch(/on node 1 while its memory is bound to node 0/);
  });

  it('is quiet for a VM on one node next to its memory, or pinned to every CPU', () => {
    expect(lastTick(1, (t) => host(topo, [pinned('a', 100, ['0', '1', '8'], t, { memoryNodes: [0] })])).violations).toEqual([]);
    expect(lastTick(1, (t) => host(topo, [pinned('a', 100, ['0-15', '0-15'], t)])).violations).toEqual([]);
  });
});

describe('isolation-mismatch', () => {
  it('reports vCPU pins that mix isolated and non-isolated CPUs', () => {
    const s = lastTick(1, (t) => host(topo, [pinned('a', 100, ['2', '1'], t)]));
    expect(s.violations.map((v) => [v.kind, v.severity, v.vm, v.pcpus, v.id])).toEqual([
      ['isolation-mismatch', 'warning', 'a', [1, 2], 'isolation-mismatch:a:vcpu-pins'],
    ]);
    expect(s.violations[0]?.message).toMatch(/mix isolated pCPU 2 with non-isolated pCPU 1/);
  });

  it('reports a dedicated VM on non-isolated CPUs while isolated ones exist', () => {
    const s = lastTick(1, (t) => host(topo, [pinned('a', 100, ['5', '6'], t, { dedicated: true })]));
    expect(ofKind(s, 'isolation-mismatch').map((v) => [v.vm, v.pcpus])).toEqual([['a', [5, 6]]]);
  });

  it('is quiet for a dedicated VM on isolated CPUs and a shared VM off them', () => {
    const s = lastTick(1, (t) => host(topo, [pinned('a', 100, ['2', '3'], t, { dedicated: true }), pinned('b', 200, ['5', '6'], t)]));
    expect(s.violations).toEqual([]);
  });

  it('reports emulator and kernel helper threads that ran on an isolated CPU', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        vm(
          'a',
          100,
          [
            mainThread(100, { affinity: '0-15', pcpu: 10, ...running(t) }),
            sample(104, 'worker', { affinity: '0-15', pcpu: 3 }), // stale there: not judged
            sample(107, 'kvm-nx-lpage-re', { affinity: '2', pcpu: 2, ...running(t) }),
            vcpuThread(0, 101, { affinity: '2', pcpu: 2, ...running(t) }),
          ],
          { intent: intent({ vcpupin: { 0: '2' } }) },
        ),
      ]),
    );
    expect(ofKind(s, 'isolation-mismatch').map((v) => [v.vm, v.vms, v.tids, v.pcpus, v.fix])).toEqual([['a', ['a'], [100, 107], [2, 10], null]]);
  });

  it('offers emulatorpin when the emulator drifted onto an isolated CPU', () => {
    const s = lastTick(2, (t) =>
      host(topo, [
        vm('a', 100, [mainThread(100, { affinity: '0-15', pcpu: 10, ...running(t) }), vcpuThread(0, 101, { affinity: '2', pcpu: 2 })], {
          intent: intent({ vcpupin: { 0: '2' }, emulatorpin: '0-1' }),
        }),
      ]),
    );
    expect(ofKind(s, 'isolation-mismatch').map((v) => v.fix)).toEqual(['virsh emulatorpin a 0-1 --live']);
  });

  it('reports an isolated pCPU busy with host work where no vCPU ran', () => {
    const s = lastTick(2, (t) =>
      host(topo, [pinned('a', 100, ['2'], t, { ranOn: [2] })], { busy: { 2: 0.9, 3: 0.5, 11: 0.1, 5: 0.9 } }),
    );
    expect(s.violations.map((v) => [v.kind, v.vm, v.vms, v.pcpus, v.fix])).toEqual([['isolation-mismatch', '(host)', [], [3], null]]);
    expect(s.violations[0]?.message).toMatch(/^Isolated pCPU 3 was up to 50% busy/);
    expect(s.topology.cpus.filter((c) => c.isolated).map((c) => c.cpu)).toEqual([2, 3, 10, 11]);
  });

  it('never applies on a host without isolated CPUs', () => {
    const flat = { ...topo, isolated: [] };
    const s = lastTick(2, (t) => host(flat, [pinned('a', 100, ['2', '1'], t, { dedicated: true })], { busy: { 3: 0.9 } }));
    expect(ofKind(s, 'isolation-mismatch')).toEqual([]);
  });
});
