// What the pages render on the server: the first data of each view, read from the store the API
// serves, with the same viewer-token rule as the read API (cookie or ?token=).
import { viewerAllowed } from './auth';
import { getRuntime } from './runtime';
import type { Snapshot } from '../model/snapshot';
import type { FleetTile } from '../api/fleet';
import { fleetFeed } from './fleet-feed';
import type { FrameStore } from './store/store';

export type ViewAccess = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export async function pageAccess(cookieToken: string | null, queryToken: string | null): Promise<ViewAccess> {
  const rt = await getRuntime();
  if (viewerAllowed(rt.config.viewerToken, queryToken ?? cookieToken)) return { ok: true };
  return { ok: false, reason: 'This server needs a viewer token.' };
}

/** One tile per host that has a stored frame, hosts ascending (lib/server/fleet-feed.ts keeps them). */
export async function fleetTiles(store: FrameStore): Promise<FleetTile[]> {
  const feed = fleetFeed(store);
  await feed.refresh();
  return feed.tiles();
}

export async function loadFleet(): Promise<FleetTile[]> {
  return fleetTiles((await getRuntime()).store);
}

/** The latest snapshot of a host, or the one nearest `at`; null when the store has none. */
export async function loadSnapshot(host: string, at: number | null): Promise<Snapshot | null> {
  const { store } = await getRuntime();
  return at === null ? store.latest(host) : store.nearest(host, at);
}
