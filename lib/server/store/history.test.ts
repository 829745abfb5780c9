import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../model/snapshot';
import { codecFor } from '../../../test/support/codec-fixture';
import { assembleHistory, MAX_COLUMNS, resolveViolations } from './history';
import { byThreadKey, expectedHistory } from '../../../test/support/history-oracle';
import type { TickView } from './live-window';
import { hostFrames } from '../../../test/support/snapshot-factory';
import type { History } from '../../api/history';
import { StoreRequestError } from './store-errors';

function historyOf(frames: readonly Snapshot[], from: number, to: number, stepMs: number | null): History {
  const c = codecFor();
  const ticks: TickView[] = frames.filter((f) => f.at >= from && f.at <= to).map((f) => c.encode(f));
  const { history, violationRefs } = assembleHistory('hv', from, to, stepMs, {
    ticks,
    minutes: [],
    structureOf: () => {
      throw new Error('no minutes here');
    },
  });
  return { ...history, violations: resolveViolations(violationRefs, (id) => c.body(id)) };
}

describe('history assembly', () => {
  const frames = hostFrames({ host: 'hv', hotplugAt: 90 }, 240);
  const from = frames[10]?.at ?? 0;
  const to = frames[200]?.at ?? 0;

  it('has one column per tick at full resolution, matching the frames', () => {
    const h = historyOf(frames, from, to, null);
    expect(h.stepMs).toBeNull();
    expect(h.share).toBeNull();
    expect(byThreadKey(h)).toStrictEqual(expectedHistory(frames, from, to, null));
  });

  it('lists vCPU threads first, in a stable order, with the hot-plugged one present from its tick', () => {
    const h = historyOf(frames, from, to, null);
    const firstOther = h.threads.findIndex((t) => t.role !== 'vcpu');
    expect(h.threads.slice(0, firstOther).every((t) => t.role === 'vcpu')).toBe(true);
    expect(h.threads.slice(firstOther).every((t) => t.role !== 'vcpu')).toBe(true);
    const hot = h.threads.findIndex((t) => t.vm === 'db-primary' && t.vcpu === 16);
    expect(hot).toBeGreaterThanOrEqual(0);
    const hotTick = h.ticks.indexOf(frames[90]?.at ?? -1);
    expect(h.pcpu[hotTick - 1]?.[hot]).toBeNull();
    expect(h.pcpu[hotTick]?.[hot]).not.toBeNull();
    expect(historyOf(frames, from, to, null).threads).toStrictEqual(h.threads);
  });

  it('buckets: the pCPU of most ticks and its share', () => {
    for (const step of [10_000, 60_000, 3_600_000]) {
      const h = historyOf(frames, from, to, step);
      expect(h.stepMs).toBe(step);
      expect(h.ran).toBeNull();
      expect(byThreadKey(h)).toStrictEqual(expectedHistory(frames, from, to, step));
    }
  });

  it('keeps each violation once, as last seen', () => {
    const h = historyOf(frames, frames[0]?.at ?? 0, frames.at(-1)?.at ?? 0, null);
    const ids = h.violations.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    const numa = h.violations.find((v) => v.id === 'numa-split|db-primary');
    expect(numa?.lastSeen).toBe(frames.at(-1)?.at);
    // sorted: critical before warning
    const sev = h.violations.map((v) => v.severity);
    expect(sev).toStrictEqual([...sev].sort((a, b) => (a === b ? 0 : a === 'critical' ? -1 : 1)));
  });

  it('refuses more columns than it may answer', () => {
    const many = Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => i);
    const fake = frames[0];
    if (!fake) throw new Error('no frame');
    const c = codecFor();
    const e = c.encode(fake);
    const ticks = many.map((i) => ({ at: i, st: e.st, row: e.row }));
    expect(() => assembleHistory('hv', 0, MAX_COLUMNS, null, { ticks, minutes: [], structureOf: () => e.st })).toThrow(StoreRequestError);
  });
});
