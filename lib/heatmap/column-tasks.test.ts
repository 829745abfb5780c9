import { describe, expect, it } from 'vitest';
import { CellState } from './cell-colors';
import { columnNs, columnTasks } from './column-tasks';
import { exactHistory as shared, topology } from '../../test/support/history-builder';
import { CellFlag, NO_THREAD, timelineCells } from './timeline-cells';

const MS = 1e6;
const colorOf = (vm: string): number => ({ a: 1, b: 2 })[vm] ?? 0;

describe('columnTasks', () => {
  it('lists every task on each pCPU of an exact column, from rows and others, each task once, most run time first', () => {
    const h = shared();
    expect(columnTasks(h, 0)).toBeNull();
    const t = columnTasks(h, 1);
    expect(t?.get(2)?.map((x) => [x.comm, x.vm, x.thread, x.ns])).toEqual([
      ['vCPU 0 (CPU 0/KVM)', 'a', 0, 600 * MS],
      ['vCPU 0 (CPU 0/KVM)', 'b', 1, 300 * MS],
      ['yes', null, -1, 200 * MS],
      ['ksoftirqd/2', null, -1, 0.05 * MS],
    ]);
    expect(t?.get(3)?.map((x) => x.ns)).toEqual([5 * MS]);
    expect(t?.get(0)?.map((x) => [x.comm, x.vcpu])).toEqual([['qemu', false]]);
  });

  it('gives a column its length: the gap to the previous tick, or the bucket', () => {
    const h = shared();
    expect(columnNs(h, 1)).toBe(1000 * MS);
    expect(columnNs(h, 0)).toBe(1000 * MS);
    expect(columnNs({ ...h, stepMs: 10_000 }, 0)).toBe(10_000 * MS);
  });
});

describe('timelineCells on exact ticks', () => {
  const cpus = topology(1, 4);
  const vp = { width: 20, height: 40, x0: 0, x1: 2 }; // the sampled tick and the first exact one

  it('splits a cell that several tasks shared by run time, top down; a sampled tick keeps one cell per pCPU', () => {
    const cells = timelineCells(shared(), cpus, vp, colorOf, { hostColor: 7 });
    const all = Array.from({ length: cells.count }, (_, i) => [cells.tick[i], cells.row[i], cells.color[i], cells.y[i], cells.h[i], cells.flags[i], cells.thread[i]]);
    expect(all).toEqual([
      // tick 0, sampled: a on pCPU 2, b on pCPU 3
      [0, 2, 1, 20, 10, 0, 0],
      [0, 3, 2, 30, 10, 0, 1],
      // tick 1, exact: pCPU 2 split a 600 : b 300 : host 200 (ksoftirqd under 1%: no part); b's 5 ms on pCPU 3 is 0.5%: no cell
      [1, 2, 1, 20, 6, CellFlag.SHARED, 0],
      [1, 2, 2, 25, 4, CellFlag.SHARED, 1],
      [1, 2, 7, 28, 2, CellFlag.SHARED, NO_THREAD],
    ]);
  });

  it('keeps the sampled cell where no task ran enough to show: an idle vCPU stays, faded, on its last pCPU', () => {
    const h = shared();
    const idle = { ...h, pcpu: h.pcpu.map((col, t) => (t === 1 ? [2, 3, 0] : col)), ran: h.ran?.map((col, t): (0 | 1)[] => (t === 1 ? [1, 0, 1] : col)) ?? null };
    const cells = timelineCells(idle, cpus, vp, colorOf, { hostColor: 7 });
    const tick1 = Array.from({ length: cells.count }, (_, i) => i).filter((i) => cells.tick[i] === 1);
    expect(tick1.map((i) => [cells.row[i], cells.color[i], cells.flags[i]])).toEqual([
      [2, 1, CellFlag.SHARED],
      [2, 2, CellFlag.SHARED],
      [2, 7, CellFlag.SHARED],
      [3, 2, CellFlag.STALE],
    ]);
  });

  it('leaves host tasks out without a host colour, and colours them "host load" by state', () => {
    const h = shared();
    const plain = timelineCells(h, cpus, vp, colorOf);
    expect(Array.from(plain.thread).filter((t) => t === NO_THREAD)).toHaveLength(0);
    const byState = timelineCells(h, cpus, vp, colorOf, { pinOf: (key) => (key.endsWith(':10') ? [2] : [3]) });
    const tick1 = Array.from({ length: byState.count }, (_, i) => i).filter((i) => byState.tick[i] === 1);
    expect(tick1.map((i) => byState.color[i])).toEqual([CellState.ON_PIN, CellState.OFF_PIN, CellState.HOST_LOAD]);
  });

  it('dims the parts of every VM but the chosen one, host tasks included', () => {
    const cells = timelineCells(shared(), cpus, vp, colorOf, { hostColor: 7, chosenVm: 'a', dimOffset: 10 });
    const tick1 = Array.from({ length: cells.count }, (_, i) => i).filter((i) => cells.tick[i] === 1);
    expect(tick1.map((i) => cells.color[i])).toEqual([1, 12, 17]);
  });
});
