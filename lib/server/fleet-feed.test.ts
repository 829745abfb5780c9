import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import type { HostSummary } from './store/store';
import { snapshot, vm } from '../ui/test-snapshots';
import { FleetCursor, FleetFeed } from './fleet-feed';

function fakeStore(frames: Map<string, Snapshot>) {
  const store = {
    latestCalls: 0,
    async hosts(): Promise<HostSummary[]> {
      return [...frames.values()].map((s) => ({ host: s.host, lastSeen: s.at, vms: s.vms.length, vcpus: 0, violations: 0 }));
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
