import { describe, expect, it } from 'vitest';
import { exactHistory, history } from '../../test/support/history-builder';
import { vcpuSeries } from './vcpu-series';

const MS = 1e6;

describe('vcpuSeries', () => {
  it('gives each vCPU its run and wait share per tick and over the window', () => {
    const h = { ...history([{ vm: 'a', tid: 10, pcpu: [1, 1, 1] }, { vm: 'a', tid: 11, role: 'emulator', pcpu: [0, 0, 0] }, { vm: 'b', tid: 20, pcpu: [2, 2, 2] }]) };
    const s = vcpuSeries({ ...h, runNs: [[null, null, null], [500 * MS, null, 1], [250 * MS, null, 1]], waitNs: [[null, null, null], [100 * MS, null, 1], [0, null, 1]] }, 'a');
    expect(s.map((x) => x.tid)).toEqual([10]);
    expect(s[0]?.run).toEqual([null, 0.5, 0.25]);
    expect(s[0]?.wait).toEqual([null, 0.1, 0]);
    expect(s[0]?.totals.runNs).toBe(750 * MS);
    expect(s[0]?.totals.waitNs).toBe(100 * MS);
    expect(s[0]?.totals.residency).toBeNull();
    expect(s[0]?.totals.spanNs).toBe(3000 * MS);
  });

  it('in exact mode adds where it ran per tick, migrations and wake-up latency, with the window figures', () => {
    const [a] = vcpuSeries(exactHistory(), 'a');
    expect(a?.onPcpu.get(2)).toEqual([0, 0.6, 0.6]);
    expect(a?.migrations).toEqual([null, 0, 0]);
    expect(a?.wakeP99).toEqual([null, 50_000, 70_000]);
    expect(a?.totals).toMatchObject({ residency: [{ pcpu: 2, ns: 1200 * MS }], migrations: 0, wakeP99Max: 70_000, wakeMax: 90_000, wakeups: 10, spanNs: 3000 * MS, exactSpanNs: 2000 * MS });
    const [b] = vcpuSeries(exactHistory(), 'b');
    expect(b?.totals.residency).toEqual([{ pcpu: 2, ns: 600 * MS }, { pcpu: 3, ns: 10 * MS }]);
    expect(b?.totals.migrations).toBe(3);
    expect(b?.totals.wakeP99Max).toBeNull();
  });
});
