import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { FrameSplitter, type Frame } from '../wire/frame';
import type { HostSummary } from '../api/hosts';
import { snapshot, vm } from '../../test/support/view-snapshots';
import { FleetCursor, FleetFeed } from './fleet-feed';

function fakeStore(frames: Map<string, Snapshot>) {
  const store = {
    latestCalls: 0,
    listeners: new Set<(f: Frame) => void>(),
    splitter: new FrameSplitter(),
    onFrame(l: (f: Frame) => void) {
      store.listeners.add(l);
      return () => store.listeners.delete(l);
    },
    /** A host sends a frame: stored, and handed to listeners. */
    send(s: Snapshot) {
      frames.set(s.host, s);
      const f = store.splitter.split(s);
      for (const l of store.listeners) l(f);
    },
    async hosts(): Promise<HostSummary[]> {
      return [...frames.values()].map((s) => ({ host: s.host, lastSeen: s.at, vms: s.vms.length, vcpus: 0, violations: s.violations.length }));
    },
    async latest(host: string) {
      store.latestCalls++;
      return frames.get(host) ?? null;
    },
  };
  return store;
}

function setup() {
  const frames = new Map([
    ['a', snapshot('a', 1000, 2, [vm('web', 10, [{ pcpu: 0, ran: true }])])],
    ['b', snapshot('b', 1000, 2, [])],
  ]);
  const store = fakeStore(frames);
  const clock = { now: 10_000 };
  const feed = new FleetFeed(store, () => clock.now);
  return { frames, store, clock, feed };
}

describe('FleetFeed', () => {
  it('rebuilds a tile only when its host sent a newer frame, and forgets hosts that are gone', async () => {
    const { frames, store, clock, feed } = setup();
    await feed.refresh();
    expect(feed.tiles().map((t) => t.host)).toEqual(['a', 'b']);
    expect(store.latestCalls).toBe(2);
    clock.now += 1000;
    await feed.refresh();
    expect(store.latestCalls).toBe(2);
    frames.set('a', snapshot('a', 2000, 2, [vm('web', 10, [{ pcpu: 1, ran: true }])]));
    frames.delete('b');
    clock.now += 1000;
    await feed.refresh();
    expect(store.latestCalls).toBe(3);
    expect(feed.tiles().map((t) => [t.host, t.lastSeen, t.cells])).toEqual([['a', 2000, [-1, 0]]]);
  });

  it('asks the store at most once per 250 ms however many viewers refresh', async () => {
    const { frames, store, clock, feed } = setup();
    await Promise.all([feed.refresh(), feed.refresh(), feed.refresh()]);
    expect(store.latestCalls).toBe(2);
    frames.set('a', snapshot('a', 2000, 2, []));
    clock.now += 100;
    await feed.refresh();
    expect(store.latestCalls).toBe(2);
    clock.now += 200;
    await feed.refresh();
    expect(store.latestCalls).toBe(3);
  });
});

describe('FleetFeed at scale', () => {
  const many = (n: number, at: number, pcpu: number) => new Map(Array.from({ length: n }, (_, i) => [`h${i}`, snapshot(`h${i}`, at, 2, [vm('web', 10, [{ pcpu, ran: true }])])]));

  it('builds tiles from the frames handed to listeners while a viewer is attached, reading none back', async () => {
    const frames = many(300, 1000, 0);
    const store = fakeStore(frames);
    const clock = { now: 10_000 };
    const feed = new FleetFeed(store, () => clock.now);
    const cursor = new FleetCursor(feed);
    await cursor.next();
    expect(store.latestCalls).toBe(300);
    for (const [h] of frames) store.send(snapshot(h, 2000, 2, [vm('web', 10, [{ pcpu: 1, ran: true }])]));
    clock.now += 1000;
    const ev = await cursor.next();
    expect(store.latestCalls).toBe(300);
    expect(ev.tiles).toHaveLength(300);
    cursor.close();
    expect(store.listeners.size).toBe(0);
  });

  it('without viewers reads back at most a fifth of the hosts per refresh, but every age and every changed count at once', async () => {
    const frames = many(1000, 1000, 0);
    const store = fakeStore(frames);
    const clock = { now: 10_000 };
    const feed = new FleetFeed(store, () => clock.now);
    await feed.refresh();
    store.latestCalls = 0;
    for (const [h] of frames) frames.set(h, snapshot(h, 2000, 2, [vm('web', 10, [{ pcpu: 1, ran: true }])]));
    const bad = snapshot('h999', 2000, 2, []);
    frames.set('h999', { ...bad, violations: [{ id: 'x', kind: 'off-pin', severity: 'critical', vm: 'web', vms: ['web'], pcpus: [1], message: 'm', fix: null, since: 1, lastSeen: 2 }] });
    clock.now += 1000;
    await feed.refresh();
    expect(store.latestCalls).toBe(200);
    const tiles = feed.tiles();
    expect(tiles.every((t) => t.lastSeen === 2000)).toBe(true);
    expect(tiles.find((t) => t.host === 'h999')?.critical).toBe(1);
    expect(tiles.filter((t) => t.cells[1] === 0)).toHaveLength(199); // and h999, the urgent one
    for (let i = 0; i < 4; i++) {
      clock.now += 1000;
      await feed.refresh();
    }
    expect(feed.tiles().filter((t) => t.cells[1] === 0)).toHaveLength(999);
  });
});

describe('FleetCursor', () => {
  it('sends the whole fleet first, then only tiles that show something new, and every age', async () => {
    const { frames, clock, feed } = setup();
    const cursor = new FleetCursor(feed);
    const first = await cursor.next();
    expect(first).toMatchObject({ at: 10_000, reset: true, gone: [], order: ['a', 'b'], seen: [9000, 9000] });
    expect(first.tiles.map((t) => t.host)).toEqual(['a', 'b']);

    // Same placement, newer frame: no tile, only its age.
    frames.set('a', snapshot('a', 10_500, 2, [vm('web', 10, [{ pcpu: 0, ran: true }])]));
    clock.now += 1000;
    const second = await cursor.next();
    expect(second).toEqual({ at: 11_000, reset: false, tiles: [], gone: [], seen: [500, 10_000] });

    // A new placement: that tile again.
    frames.set('a', snapshot('a', 11_500, 2, [vm('web', 10, [{ pcpu: 1, ran: true }])]));
    clock.now += 1000;
    const third = await cursor.next();
    expect(third.tiles.map((t) => [t.host, t.cells])).toEqual([['a', [-1, 0]]]);
    expect(third.order).toBeUndefined();

    // A host goes, another comes: gone, the new tile, and the new order.
    frames.delete('b');
    frames.set('c', snapshot('c', 12_000, 1, []));
    clock.now += 1000;
    const fourth = await cursor.next();
    expect(fourth).toMatchObject({ reset: false, gone: ['b'], order: ['a', 'c'], seen: [1500, 1000] });
    expect(fourth.tiles.map((t) => t.host)).toEqual(['c']);
  });

  it('starts over with the whole fleet after a missed event', async () => {
    const { clock, feed } = setup();
    const cursor = new FleetCursor(feed);
    await cursor.next();
    cursor.invalidate();
    clock.now += 1000;
    const again = await cursor.next();
    expect(again.reset).toBe(true);
    expect(again.tiles).toHaveLength(2);
    expect(again.order).toEqual(['a', 'b']);
  });

  it('keeps two viewers apart: each gets what it has not seen', async () => {
    const { frames, clock, feed } = setup();
    const one = new FleetCursor(feed);
    await one.next();
    frames.set('b', snapshot('b', 5000, 3, []));
    clock.now += 1000;
    const two = new FleetCursor(feed);
    expect((await two.next()).tiles).toHaveLength(2);
    expect((await one.next()).tiles.map((t) => t.host)).toEqual(['b']);
  });
});
