import { describe, expect, it } from 'vitest';
import { appendSnapshot, liveHistory } from '../ui/live-history';
import { snapshot, vm } from '../../test/support/view-snapshots';
import type { History } from '../api/history';
import { liveMatrixView, updateLiveMatrix } from './live-matrix';
import { vcpuMatrix } from './vcpu-matrix';
import { mulberry32 } from '../random/mulberry32';

const empty: History = { host: 'h', from: 0, to: 0, stepMs: null, ticks: [], threads: [], pcpu: [], ran: [], share: null, violations: [] };

describe('updateLiveMatrix', () => {
  it('equals a full recount after frames come and go, including a hot-plugged vCPU', () => {
    const rand = mulberry32(7);
    let lh = liveHistory(empty);
    let m = null;
    for (let i = 0; i < 40; i++) {
      const vcpus = Array.from({ length: i < 20 ? 2 : 3 }, () => ({ pcpu: Math.floor(rand() * 4), ran: rand() < 0.7 }));
      lh = appendSnapshot(lh, snapshot('h', 1000 * (i + 1), 4, [vm('a', 10, vcpus), vm('b', 50, [{ pcpu: Math.floor(rand() * 4), ran: true }])]), 10_000);
      m = updateLiveMatrix(m, lh, [0, 1, 2, 3]);
      const got = liveMatrixView(m, null);
      const want = vcpuMatrix(lh.history, { cols: [0, 1, 2, 3] });
      expect(Array.from(got.share)).toEqual(Array.from(want.share));
      expect(Array.from(got.ticks)).toEqual(Array.from(want.ticks));
      expect(got.rowLabels).toEqual(want.rowLabels);
    }
    expect(lh.base).toBeGreaterThan(0);
  });

  it('adds a column (rebuilds) when a vCPU runs on a pCPU outside the listed ones', () => {
    let lh = liveHistory(empty);
    lh = appendSnapshot(lh, snapshot('h', 1000, 2, [vm('a', 10, [{ pcpu: 0, ran: true }])]), 10_000);
    let m = updateLiveMatrix(null, lh, [0, 1]);
    lh = appendSnapshot(lh, snapshot('h', 2000, 2, [vm('a', 10, [{ pcpu: 7, ran: true }])]), 10_000);
    m = updateLiveMatrix(m, lh, [0, 1]);
    expect(liveMatrixView(m, null).colCpus).toEqual([0, 1, 7]);
  });

  it('marks pinned cells from the snapshot', () => {
    const s = snapshot('h', 1000, 2, [vm('a', 10, [{ pcpu: 0, ran: true, pin: [1] }])]);
    const lh = appendSnapshot(liveHistory(empty), s, 10_000);
    expect(Array.from(liveMatrixView(updateLiveMatrix(null, lh, [0, 1]), s).pinned ?? [])).toEqual([0, 1]);
  });
});
