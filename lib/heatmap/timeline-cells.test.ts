import { describe, expect, it } from 'vitest';
import { CellState } from './cell-colors';
import { cellAt, CellFlag, orderCpus, timelineCells } from './timeline-cells';
import { history, offPin, rng, topology, type ThreadSpec } from '../../test/support/history-builder';
import { vmColorIndex } from './vm-colors';

const colorOf = (vm: string): number => ({ a: 1, b: 2, c: 3 })[vm] ?? 0;

describe('orderCpus', () => {
  it('orders by socket, node, core, then SMT thread', () => {
    // 2 sockets x 2 cores x 2 threads, Linux numbering: 0-3 first threads, 4-7 siblings.
    expect(orderCpus(topology(2, 2, 2))).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });
});

describe('timelineCells', () => {
  const cpus = topology(1, 4);
  const vp = { width: 40, height: 40, x0: 0, x1: 4 };

  it('emits one cell per (tick, pCPU) with a vCPU, coloured by VM, at scaled positions', () => {
    const h = history([
      { vm: 'a', tid: 10, pcpu: [0, 1, null, 3] },
      { vm: 'b', tid: 20, pcpu: [2, 2, 2, 2] },
      { vm: 'a', tid: 11, role: 'emulator', pcpu: [3, 3, 3, 3] }, // not a vCPU: ignored
    ]);
    const cells = timelineCells(h, cpus, vp, colorOf);
    expect(cells.count).toBe(7);
    expect(cells.rowKeys).toEqual([0, 1, 2, 3]);
    const all = Array.from({ length: cells.count }, (_, i) => [cells.tick[i], cells.row[i], cells.color[i], cells.x[i], cells.y[i], cells.w[i], cells.h[i]]);
    expect(all).toEqual([
      [0, 0, 1, 0, 0, 10, 10],
      [0, 2, 2, 0, 20, 10, 10],
      [1, 1, 1, 10, 10, 10, 10],
      [1, 2, 2, 10, 20, 10, 10],
      [2, 2, 2, 20, 20, 10, 10],
      [3, 2, 2, 30, 20, 10, 10],
      [3, 3, 1, 30, 30, 10, 10],
    ]);
    expect(Array.from(cells.flags)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('resolves two vCPUs on one pCPU: the one that ran wins, then the lower thread index', () => {
    const h = history([
      { vm: 'a', tid: 10, pcpu: [0, 0], ran: [0, 1] },
      { vm: 'b', tid: 20, pcpu: [0, 0], ran: [1, 1] },
      { vm: 'c', tid: 30, pcpu: [1], ran: [0] },
    ]);
    const cells = timelineCells(h, cpus, vp, colorOf);
    expect(cells.count).toBe(3);
    expect([cells.tick[0], cells.row[0], cells.color[0], cells.flags[0]]).toEqual([0, 0, 2, 0]);
    expect([cells.tick[1], cells.row[1], cells.color[1], cells.flags[1]]).toEqual([0, 1, 3, CellFlag.STALE]);
    expect([cells.tick[2], cells.row[2], cells.color[2]]).toEqual([1, 0, 1]);
  });

  it('flags off-pin violations only within since..lastSeen, matched by VM and tid', () => {
    const h = history(
      [
        { vm: 'a', tid: 10, pcpu: [0, 0, 0, 0] },
        { vm: 'b', tid: 10, pcpu: [1, 1, 1, 1] }, // same tid, other VM: not flagged
      ],
      [offPin('a', 10, 1, 2), { ...offPin('b', 10, 0, 3), kind: 'numa-split' }],
    );
    const cells = timelineCells(h, cpus, vp, colorOf);
    const flagged = Array.from({ length: cells.count }, (_, i) => i)
      .filter((i) => ((cells.flags[i] ?? 0) & CellFlag.VIOLATION) !== 0)
      .map((i) => [cells.tick[i], cells.row[i]]);
    expect(flagged).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('skips ticks outside the viewport and scales the visible ones to the width', () => {
    const h = history([{ vm: 'a', tid: 10, pcpu: [0, 1, 2, 3, 0, 1] }]);
    const cells = timelineCells(h, cpus, { width: 20, height: 40, x0: 2, x1: 4 }, colorOf);
    expect(Array.from(cells.tick)).toEqual([2, 3]);
    expect(Array.from(cells.x)).toEqual([0, 10]);
    expect(Array.from(cells.w)).toEqual([10, 10]);
  });

  it('clamps x1 to the ticks and rejects a bad viewport with a message', () => {
    const h = history([{ vm: 'a', tid: 10, pcpu: [0, 1] }]);
    expect(timelineCells(h, cpus, { width: 10, height: 10, x0: 0, x1: 100 }, colorOf).viewport.x1).toBe(2);
    expect(timelineCells(h, cpus, { width: 10, height: 10, x0: 5, x1: 100 }, colorOf).count).toBe(0);
    expect(() => timelineCells(h, cpus, { width: 0, height: 10, x0: 0, x1: 1 }, colorOf)).toThrow(/width and height/);
    expect(() => timelineCells(h, cpus, { width: 10, height: 10, x0: 1, x1: 1 }, colorOf)).toThrow(/x0 < x1/);
  });

  it('adds rows for pCPUs the topology lacks, after the known ones', () => {
    const h = history([{ vm: 'a', tid: 10, pcpu: [9, 7] }]);
    const cells = timelineCells(h, cpus, vp, colorOf);
    expect(cells.rowKeys).toEqual([0, 1, 2, 3, 7, 9]);
    expect(Array.from(cells.row)).toEqual([5, 4]);
  });

  it('treats buckets (no ran column) as ran and flags violations overlapping the bucket', () => {
    const base = history([{ vm: 'a', tid: 10, pcpu: [0, 0] }], [offPin('a', 10, 1.5, 1.6)]);
    const h = { ...base, stepMs: 1000, ran: null, share: [[1], [1]] };
    const cells = timelineCells(h, cpus, vp, colorOf);
    expect(Array.from(cells.flags)).toEqual([0, CellFlag.VIOLATION]);
  });
});

describe('cellAt', () => {
  it('finds the cell under a pixel, -1 on empty cells and outside', () => {
    const h = history([
      { vm: 'a', tid: 10, pcpu: [0, 1] },
      { vm: 'b', tid: 20, pcpu: [3, 3] },
    ]);
    const cells = timelineCells(h, topology(1, 4), { width: 20, height: 40, x0: 0, x1: 2 }, colorOf);
    const at = (px: number, py: number): (number | undefined)[] => {
      const i = cellAt(cells, px, py);
      return i < 0 ? [] : [cells.tick[i], cells.row[i]];
    };
    expect(at(5, 5)).toEqual([0, 0]);
    expect(at(15, 15)).toEqual([1, 1]);
    expect(at(19.9, 39.9)).toEqual([1, 3]);
    expect(at(5, 15)).toEqual([]);
    expect(cellAt(cells, -1, 5)).toBe(-1);
    expect(cellAt(cells, 20, 5)).toBe(-1);
    expect(cellAt(cells, 5, 40)).toBe(-1);
  });

  it('agrees with every cell on a random history', () => {
    const r = rng(7);
    const threads: ThreadSpec[] = Array.from({ length: 20 }, (_, i) => ({
      vm: `vm${i % 5}`,
      tid: 100 + i,
      pcpu: Array.from({ length: 50 }, () => (r() < 0.1 ? null : Math.floor(r() * 16))),
    }));
    const cells = timelineCells(history(threads), topology(2, 4, 2), { width: 333, height: 77, x0: 3, x1: 47 }, vmColorIndex);
    for (let i = 0; i < cells.count; i++) {
      const c = (cells.tick[i] ?? 0) - cells.viewport.x0;
      const row = cells.row[i] ?? 0;
      const px = ((cells.colX[c] ?? 0) + (cells.colX[c + 1] ?? 0)) / 2;
      const py = ((cells.rowY[row] ?? 0) + (cells.rowY[row + 1] ?? 0)) / 2;
      expect(cellAt(cells, px, py)).toBe(i);
    }
  });
});

describe('timelineCells at scale', () => {
  it('handles 256 pCPUs x 512 vCPUs x 900 ticks on a 1920 px viewport', () => {
    const nTicks = 900;
    const r = rng(42);
    const threads: ThreadSpec[] = Array.from({ length: 512 }, (_, i) => {
      let p = Math.floor(r() * 256);
      const pcpu: number[] = [];
      const ran: (0 | 1)[] = [];
      for (let t = 0; t < nTicks; t++) {
        if (r() < 0.05) p = Math.floor(r() * 256);
        pcpu.push(p);
        ran.push(r() < 0.2 ? 0 : 1);
      }
      return { vm: `vm-${i >> 3}`, tid: 1000 + i, pcpu, ran };
    });
    const h = history(threads, [offPin('vm-0', 1000, 100, 200)]);
    const cpus = topology(2, 64, 2);
    const vp = { width: 1920, height: 1024, x0: 0, x1: nTicks };
    timelineCells(h, cpus, vp, vmColorIndex); // warm-up
    const t0 = performance.now();
    const cells = timelineCells(h, cpus, vp, vmColorIndex);
    const ms = performance.now() - t0;
    const t1 = performance.now();
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (cellAt(cells, (i * 7.3) % 1920, (i * 3.1) % 1024) >= 0) hits++;
    const hitMs = performance.now() - t1;
    console.log(`timelineCells 256 pCPU x 512 vCPU x 900 ticks: ${cells.count} cells in ${ms.toFixed(1)} ms; 10k cellAt in ${hitMs.toFixed(1)} ms`);
    expect(cells.count).toBeGreaterThan(100_000);
    expect(cells.count).toBeLessThanOrEqual(256 * nTicks);
    expect(hits).toBeGreaterThan(0);
  });
});

describe('timelineCells colouring: a chosen VM and by state', () => {
  // Rows are pCPUs 0..3; a: vCPU on pCPU 1 (pinned 1), b: roams 2 -> 3 (pinned 2), c: unpinned on 0, stale at tick 1.
  const h = history(
    [
      { vm: 'a', tid: 1, pcpu: [1, 1] },
      { vm: 'b', tid: 2, pcpu: [2, 3] },
      { vm: 'c', tid: 3, pcpu: [0, 0], ran: [1, 0] },
    ],
    [offPin('a', 1, 1, 1)],
  );
  const vp = { width: 2, height: 4, x0: 0, x1: 2 };
  const colorOf = (vm: string) => ({ a: 0, b: 1, c: 2 })[vm] ?? 3;
  const byCell = (cells: ReturnType<typeof timelineCells>) => Array.from({ length: cells.count }, (_, k) => `t${cells.tick[k]} r${cells.row[k]} c${cells.color[k]}`);

  it('dims every VM but the chosen one by the palette size, same-coloured VMs included', () => {
    const cells = timelineCells(h, topology(1, 4), vp, (vm) => (vm === 'c' ? 0 : colorOf(vm)), { chosenVm: 'a', dimOffset: 12 });
    expect(byCell(cells)).toEqual(['t0 r0 c12', 't0 r1 c0', 't0 r2 c13', 't1 r0 c12', 't1 r1 c0', 't1 r3 c13']);
  });

  it('colours by state against the pins: on pin, off pin (outside the pin or in a violation), unpinned, stale', () => {
    const pins: Record<string, readonly number[]> = { 'a:1000:1': [1], 'b:1000:2': [2] };
    const cells = timelineCells(h, topology(1, 4), vp, colorOf, { pinOf: (key) => pins[key] ?? null });
    const S = CellState;
    expect(byCell(cells)).toEqual([`t0 r0 c${S.UNPINNED}`, `t0 r1 c${S.ON_PIN}`, `t0 r2 c${S.ON_PIN}`, `t1 r0 c${S.STALE}`, `t1 r1 c${S.OFF_PIN}`, `t1 r3 c${S.OFF_PIN}`]);
    // With a chosen VM the state colours are dimmed the same way.
    const dim = timelineCells(h, topology(1, 4), vp, colorOf, { pinOf: (key) => pins[key] ?? null, chosenVm: 'b', dimOffset: 5 });
    expect(byCell(dim)[1]).toBe(`t0 r1 c${S.ON_PIN + 5}`);
    expect(byCell(dim)[2]).toBe(`t0 r2 c${S.ON_PIN}`);
  });
});
