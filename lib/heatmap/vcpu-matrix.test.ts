import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVcpu, SnapshotVm } from '../model/snapshot';
import { history } from '../../test/support/history-builder';
import { vcpuMatrix } from './vcpu-matrix';

function vcpu(index: number, tid: number, pin: readonly number[] | null): SnapshotVcpu {
  return { index, tid, pcpu: 0, affinity: [], pin, ran: true, state: 'R', runNs: null, waitNs: null, identity: 'qmp' };
}

function snapshot(vms: readonly Pick<SnapshotVm, 'name' | 'pid' | 'vcpus'>[]): Snapshot {
  return {
    version: 1,
    host: 'h',
    at: 0,
    intervalMs: null,
    topology: { cpus: [], isolated: [], nohzFull: [] },
    vms: vms.map((v) => ({ ...v, uuid: null, source: 'qemu', intent: 'none', dedicated: false, maxVcpus: null, threads: [] })),
    violations: [],
  };
}

const h = history([
  { vm: 'a', tid: 10, pcpu: [0, 0, 1, 1], ran: [1, 1, 0, 1] },
  { vm: 'a', tid: 11, pcpu: [null, 3, 3, 3] },
  { vm: 'a', tid: 12, role: 'emulator', pcpu: [5, 5, 5, 5] },
  { vm: 'b', tid: 20, pcpu: [2, 2, 2, 0] },
]);

describe('vcpuMatrix', () => {
  it('gives each vCPU the share of its observed ticks per pCPU', () => {
    const m = vcpuMatrix(h);
    expect(m.rows).toBe(3);
    expect(m.colCpus).toEqual([0, 1, 2, 3]);
    expect(m.rowLabels.map((r) => [r.vm, r.vcpu, r.tid, r.thread])).toEqual([
      ['a', 0, 10, 0],
      ['a', 1, 11, 1],
      ['b', 0, 20, 3],
    ]);
    expect(Array.from(m.share)).toEqual([0.5, 0.5, 0, 0, 0, 0, 0, 1, 0.25, 0, 0.75, 0]);
    expect(Array.from(m.ticks)).toEqual([4, 3, 4]);
    expect(m.pinned).toBeNull();
  });

  it('restricts to a window, can leave out stale ticks, and keeps the given column order', () => {
    const m = vcpuMatrix(h, { x0: 1, x1: 3, includeStale: false, cols: [3, 2, 1, 0] });
    expect(m.colCpus).toEqual([3, 2, 1, 0]);
    expect(Array.from(m.ticks)).toEqual([1, 2, 2]);
    expect(Array.from(m.share)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('marks pinned cells from the snapshot and adds columns for pinned pCPUs', () => {
    const s = snapshot([
      { name: 'a', pid: 1000, vcpus: [vcpu(0, 10, [0, 1]), vcpu(1, 11, null)] },
      { name: 'b', pid: 999, vcpus: [vcpu(0, 20, [2])] }, // other pid: another process, not matched
      { name: 'c', pid: 1000, vcpus: [vcpu(0, 10, [7])] }, // same tid, other VM: not matched
    ]);
    const m = vcpuMatrix(h, { snapshot: s });
    expect(m.colCpus).toEqual([0, 1, 2, 3]);
    expect(Array.from(m.pinned ?? [])).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const s2 = snapshot([{ name: 'b', pid: 1000, vcpus: [vcpu(0, 20, [6])] }]);
    const m2 = vcpuMatrix(h, { snapshot: s2 });
    expect(m2.colCpus).toEqual([0, 1, 2, 3, 6]);
    expect(m2.pinned?.[2 * 5 + 4]).toBe(1);
    expect(m2.share[2 * 5 + 4]).toBe(0);
  });

  it('is empty for an empty history and rejects bad ranges', () => {
    const m = vcpuMatrix(history([]));
    expect([m.rows, m.cols, m.share.length]).toEqual([0, 0, 0]);
    expect(() => vcpuMatrix(h, { x0: -1 })).toThrow(/tick indexes/);
  });
});
