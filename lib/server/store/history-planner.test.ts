import { describe, expect, it } from 'vitest';
import { checkAsk, planHistory, type HistoryFacts } from './history-planner';
import { StoreRequestError } from './store-errors';

const M = 60_000;
const T0 = 1_764_000_000_000; // minute-aligned
const facts = (f: Partial<HistoryFacts>): HistoryFacts => ({ coverage: T0 + 10 * M, horizon: T0 - 60 * M, newest: T0 + 20 * M + 5, pending: new Set(), inDatabase: true, ...f });

describe('history planner', () => {
  it('reads only the window when it covers the ask', () => {
    const p = planHistory({ from: T0 + 11 * M, to: T0 + 12 * M }, facts({}));
    expect(p).toMatchObject({ step: null, residencyMode: false, residency: null, ranges: [], memFrom: T0 + 11 * M, last: T0 + 12 * M });
  });

  it('at full resolution, reads the database up to the coverage and the window from it', () => {
    const p = planHistory({ from: T0, to: T0 + 12 * M }, facts({}));
    expect(p.ranges).toStrictEqual([{ from: T0, to: T0 + 10 * M, limit: 20_001 }]);
    expect(p.dbBefore).toBe(T0 + 10 * M);
    expect(p.memFrom).toBe(T0 + 10 * M);
  });

  it('in minutes, reads residency for closed minutes before the coverage, ticks for pending ones and the window after', () => {
    const p = planHistory({ from: T0 + 30_000, to: T0 + 12 * M, stepMs: 2 * M }, facts({ pending: new Set([T0 + 4 * M]) }));
    expect(p.step).toBe(2 * M);
    expect(p.residency).toStrictEqual({ from: T0, to: T0 + 9 * M, skip: new Set([T0 + 4 * M]) });
    expect(p.ranges).toStrictEqual([{ from: T0 + 4 * M, to: T0 + 5 * M - 1 }]);
    expect(p.memFrom).toBe(T0 + 10 * M);
    expect(p.last).toBe(T0 + 13 * M - 1);
  });

  it('answers a window older than full retention from residency, and the open minute from its ticks', () => {
    const p = planHistory({ from: T0 - 120 * M, to: T0 + 30 * M }, facts({ coverage: Number.POSITIVE_INFINITY, newest: T0 + 20 * M + 5 }));
    expect(p.residencyMode).toBe(true);
    expect(p.residency).toStrictEqual({ from: T0 - 120 * M, to: T0 + 19 * M, skip: new Set() });
    expect(p.ranges).toStrictEqual([{ from: T0 + 20 * M, to: T0 + 31 * M - 1 }]);
  });

  it('refuses what it cannot answer', () => {
    expect(() => checkAsk({ from: 2, to: 1 })).toThrow(StoreRequestError);
    expect(() => checkAsk({ from: 0, to: 1, stepMs: 0 })).toThrow(/positive/);
    expect(() => planHistory({ from: 0, to: 1e12, stepMs: 1000 }, facts({}))).toThrow(/larger stepMs/);
  });
});
