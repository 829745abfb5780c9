// What the pages render on the server: the first data of each view, read from the store the API
// serves (pages check the viewer token first, page-access.ts).
import { getRuntime } from './runtime';
import type { Snapshot } from '../model/snapshot';
import type { FleetTile } from '../api/fleet';
import { fleetFeed } from './fleet-feed';
import type { FrameStore } from './store/store';

/** One tile per host that has a stored frame, hosts ascending (lib/server/fleet-feed.ts keeps them). */
export async function fleetTiles(store: FrameStore): Promise<FleetTile[]> {
  const feed = fleetFeed(store);
  await feed.refresh();
  return feed.tiles();
}

export async function loadFleet(): Promise<FleetTile[]> {
  return fleetTiles((await getRuntime()).store);
}

/** The server's live window (VCPUMAP_LIVE_WINDOW_MINUTES) in ms: pages hand it to their views. */
export async function liveWindowMs(): Promise<number> {
  return (await getRuntime()).config.liveWindowMs;
}

/** The latest snapshot of a host, or the one nearest `at`; null when the store has none. */
export async function loadSnapshot(host: string, at: number | null): Promise<Snapshot | null> {
  const { store } = await getRuntime();
  return at === null ? store.latest(host) : store.nearest(host, at);
}
