import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import type { FrameStore, HostSummary } from './store/store';
import { snapshot, vm } from '../ui/test-snapshots';
import { fleetTiles } from './views';

function fakeStore(frames: Map<string, Snapshot>): FrameStore & { latestCalls: number } {
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
  const unused = () => {
    throw new Error('not used by fleetTiles');
  };
  return Object.assign(store, { ingest: unused, knownStructure: unused, nearest: unused, history: unused, activeViolations: unused, onFrame: unused, prune: unused, close: unused });
}

describe('fleetTiles', () => {
  it('rebuilds a tile only when its host sent a newer frame, and forgets hosts that are gone', async () => {
    const frames = new Map([
      ['a', snapshot('a', 1000, 2, [vm('web', 10, [{ pcpu: 0, ran: true }])])],
      ['b', snapshot('b', 1000, 2, [])],
    ]);
    const store = fakeStore(frames);
    expect((await fleetTiles(store)).map((t) => t.host)).toEqual(['a', 'b']);
    expect(store.latestCalls).toBe(2);
    await fleetTiles(store);
    expect(store.latestCalls).toBe(2);
    frames.set('a', snapshot('a', 2000, 2, [vm('web', 10, [{ pcpu: 1, ran: true }])]));
    frames.delete('b');
    const tiles = await fleetTiles(store);
    expect(store.latestCalls).toBe(3);
    expect(tiles.map((t) => [t.host, t.lastSeen, t.cells])).toEqual([['a', 2000, [-1, 0]]]);
  });
});
