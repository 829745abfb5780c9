import { describe, expect, it } from 'vitest';
import { appendSnapshot, liveHistory, missedAfterFetch } from './live-history';
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

describe('appendSnapshot in exact mode', () => {
  const MS = 1e6;
  function exact(at: number, ns: number) {
    const s = snapshot('h', at, 4, [vm('a', 10, [{ pcpu: 2, ran: true, pin: [2] }])]);
    const a = s.vms[0];
    if (a === undefined) throw new Error('no VM');
    return {
      ...s,
      mode: 'exact' as const,
      topology: { ...s.topology, cpus: s.topology.cpus.map((c) => (c.cpu === 2 ? { ...c, others: [{ pid: 5000, tid: 5000, comm: 'yes', ns: 100 * MS, switchIns: 2, kernel: false }], irqs: [], lostEvents: 0 } : c)) },
      vms: [{ ...a, vcpus: a.vcpus.map((v) => ({ ...v, residency: [{ pcpu: 2, ns, switchIns: 3 }], migrations: 1, wakeLatencyNs: { p50: 1000, p99: 2000, max: 3000, count: 2 } })) }],
    };
  }

  it('appends the frame\'s residency, migrations, wake-up latency and other tasks when the history has counters', () => {
    const withCounters: History = { ...empty('h'), runNs: [], waitNs: [] };
    let lh = appendSnapshot(liveHistory(withCounters), exact(1000, 400 * MS), 60_000);
    lh = appendSnapshot(lh, exact(2000, 500 * MS), 60_000);
    const h = lh.history;
    const row = h.threads.findIndex((t) => t.role === 'vcpu');
    expect(h.residency?.map((c) => c[row])).toEqual([[{ pcpu: 2, ns: 400 * MS, switchIns: 3 }], [{ pcpu: 2, ns: 500 * MS, switchIns: 3 }]]);
    expect(h.migrations?.map((c) => c[row])).toEqual([1, 1]);
    expect(h.wakeLatencyNs?.[1]?.[row]).toEqual({ p50: 1000, p99: 2000, max: 3000, count: 2 });
    expect(h.cpus).toEqual([2]);
    expect(h.cpuExact?.[1]?.[0]?.others?.map((o) => o.comm)).toEqual(['yes']);
    // The window moves: the old column goes from every exact field too.
    lh = appendSnapshot(lh, exact(5000, 600 * MS), 2000);
    expect(lh.history.ticks).toEqual([5000]);
    expect(lh.history.residency).toHaveLength(1);
    expect(lh.history.cpuExact).toHaveLength(1);
  });

  it('leaves a history without counters as it was (no exact fields)', () => {
    const lh = appendSnapshot(liveHistory(empty('h')), exact(1000, 400 * MS), 60_000);
    expect(lh.history.residency).toBeUndefined();
    expect(lh.history.cpuExact).toBeUndefined();
  });
});

describe('missedAfterFetch', () => {
  it('is true when the first live frame comes more than 1.5 intervals after the fetched history', () => {
    // Fetched up to t=10 s (newest tick 9.8 s); the stream opened late and its first frame is 13.8 s.
    expect(missedAfterFetch(9_800, 13_800, 1000)).toBe(true);
    // The next frame in sequence, or one a little late: nothing missed.
    expect(missedAfterFetch(9_800, 10_800, 1000)).toBe(false);
    expect(missedAfterFetch(9_800, 11_200, 1000)).toBe(false);
    // An interval not known: no judgment.
    expect(missedAfterFetch(9_800, 60_000, null)).toBe(false);
  });
});
