import { describe, expect, it } from 'vitest';
import { CellFlag, cellAt } from './timeline-cells';
import { history, offPin } from '../../test/support/history-builder';
import { vcpuAppearances, vmRows, vmTimelineCells } from './vm-timeline-cells';
import { pcpuPalette } from './pcpu-colors';

describe('vmTimelineCells', () => {
  const h = history(
    [
      { vm: 'a', tid: 20, role: 'emulator', pcpu: [0, 0, 0] },
      { vm: 'a', tid: 12, vcpu: 1, pcpu: [null, 3, 3] },
      { vm: 'b', tid: 30, pcpu: [1, 1, 1] },
      { vm: 'a', tid: 11, vcpu: 0, pcpu: [2, 2, 3], ran: [1, 0, 1] },
    ],
    [offPin('a', 11, 2, 2)],
  );

  it('orders rows vCPUs by index, then the other threads of the VM only', () => {
    expect(vmRows(h, 'a')).toEqual([3, 1, 0]);
  });

  it('colours by pCPU and flags stale and off-pin cells', () => {
    const rows = vmRows(h, 'a');
    const cells = vmTimelineCells(h, rows, { width: 30, height: 30, x0: 0, x1: 3 }, (p) => p);
    expect(cells.count).toBe(8); // the hot-plugged vCPU 1 has no cell at tick 0
    const at = (px: number, py: number) => cellAt(cells, px, py);
    const i = at(15, 5); // tick 1, vCPU 0: stale
    expect(cells.color[i]).toBe(2);
    expect((cells.flags[i] ?? 0) & CellFlag.STALE).toBe(CellFlag.STALE);
    const j = at(25, 5); // tick 2, vCPU 0: off-pin
    expect((cells.flags[j] ?? 0) & CellFlag.VIOLATION).toBe(CellFlag.VIOLATION);
    expect(at(5, 15)).toBe(-1);
    expect(cells.rowKeys).toEqual(rows);
  });

  it('finds hot-plugged vCPUs, not the vCPUs of a VM that starts in the window', () => {
    expect(vcpuAppearances(h, vmRows(h, 'a'))).toEqual([{ thread: 1, vcpu: 1, tick: 1 }]);
    const started = history([
      { vm: 'c', tid: 40, role: 'emulator', pcpu: [null, 0, 0] },
      { vm: 'c', tid: 41, vcpu: 0, pcpu: [null, 1, 1] },
    ]);
    expect(vcpuAppearances(started, vmRows(started, 'c'))).toEqual([]);
  });
});

describe('pcpuPalette', () => {
  it('gives every pCPU a colour in topology order, at most 32 steps', () => {
    const cpus = Array.from({ length: 64 }, (_, cpu) => ({ cpu, socket: 0, node: 0, core: cpu, siblings: [cpu] }));
    const p = pcpuPalette(cpus);
    expect(p.colors).toHaveLength(32);
    expect(p.indexOf(0)).toBe(0);
    expect(p.indexOf(63)).toBe(31);
    expect(p.indexOf(999)).toBe(31);
  });
});
