import { describe, expect, it } from 'vitest';
import { appendSnapshot, liveHistory } from './live-history';
import { snapshot, vm } from '../../test/support/view-snapshots';
import type { History } from '../api/history';

function empty(host: string): History {
  return { host, from: 0, to: 0, stepMs: null, ticks: [], threads: [], pcpu: [], ran: [], share: null, violations: [] };
}

describe('appendSnapshot', () => {
  it('adds a column per snapshot with every thread of every VM', () => {
    let lh = liveHistory(empty('h'));
    lh = appendSnapshot(lh, snapshot('h', 1000, 4, [vm('a', 10, [{ pcpu: 2, ran: true }])]), 60_000);
    lh = appendSnapshot(lh, snapshot('h', 2000, 4, [vm('a', 10, [{ pcpu: 3, ran: false }])]), 60_000);
    const h = lh.history;
    expect(h.ticks).toEqual([1000, 2000]);
    expect(h.threads.map((t) => [t.key, t.role, t.vcpu])).toEqual([
      ['a:10:10', 'emulator', null],
      ['a:10:11', 'vcpu', 0],
    ]);
    expect(h.pcpu).toEqual([
      [0, 2],
      [0, 3],
    ]);
    expect(h.ran).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(lh.base).toBe(0);
  });

  it('drops the ticks that leave the window and counts them in base', () => {
    let lh = liveHistory(empty('h'));
    for (let at = 1000; at <= 5000; at += 1000) lh = appendSnapshot(lh, snapshot('h', at, 1, [vm('a', 10, [{ pcpu: 0, ran: true }])]), 2000);
    expect(lh.history.ticks).toEqual([3000, 4000, 5000]);
    expect(lh.base).toBe(2);
    expect(lh.history.pcpu).toHaveLength(3);
  });

  it('adds a hot-plugged vCPU as a new thread; old ticks have no value for it', () => {
    let lh = liveHistory(empty('h'));
    lh = appendSnapshot(lh, snapshot('h', 1000, 2, [vm('a', 10, [{ pcpu: 0, ran: true }])]), 60_000);
    lh = appendSnapshot(lh, snapshot('h', 2000, 2, [vm('a', 10, [{ pcpu: 0, ran: true }, { pcpu: 1, ran: true }])]), 60_000);
    expect(lh.history.threads).toHaveLength(3);
    expect(lh.history.pcpu[0]?.[2]).toBeUndefined();
    expect(lh.history.pcpu[1]?.[2]).toBe(1);
  });

  it('ignores duplicates, older frames and other hosts', () => {
    const lh = appendSnapshot(liveHistory(empty('h')), snapshot('h', 5000, 1, []), 60_000);
    expect(appendSnapshot(lh, snapshot('h', 5000, 1, []), 60_000)).toBe(lh);
    expect(appendSnapshot(lh, snapshot('h', 4000, 1, []), 60_000)).toBe(lh);
    expect(appendSnapshot(lh, snapshot('other', 9000, 1, []), 60_000)).toBe(lh);
  });

  it('keeps violations by id with their latest sighting, dropping those that left the window', () => {
    const v = (id: string, lastSeen: number) => ({ id, kind: 'off-pin' as const, severity: 'critical' as const, vm: 'a', vms: ['a'], pcpus: [0], message: 'm', fix: null, since: 500, lastSeen });
    let lh = liveHistory({ ...empty('h'), ticks: [500], pcpu: [[]], ran: [[]], violations: [v('old', 500), v('x', 500)] });
    lh = appendSnapshot(lh, { ...snapshot('h', 3000, 1, []), violations: [v('x', 3000)] }, 2000);
    expect(lh.history.violations.map((x) => [x.id, x.lastSeen])).toEqual([['x', 3000]]);
  });
});
