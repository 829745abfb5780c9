// What the pages render on the server: the first data of each view, read from the store the API
// serves, with the same viewer-token rule as the read API (cookie or ?token=).
import { viewerAllowed } from './auth';
import { getRuntime } from './runtime';
import type { Snapshot } from '../model/snapshot';
import { fleetTile, type FleetTile } from '../ui/fleet-tiles';
import type { FrameStore } from './store/store';

export type ViewAccess = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export async function pageAccess(cookieToken: string | null, queryToken: string | null): Promise<ViewAccess> {
  const rt = await getRuntime();
  if (viewerAllowed(rt.config.viewerToken, queryToken ?? cookieToken)) return { ok: true };
  return { ok: false, reason: 'This server needs a viewer token.' };
}

// Tiles by host, rebuilt only when the host's newest frame changes: every fleet and wall viewer
// asks for all tiles about once a second.
const tileCache = new WeakMap<FrameStore, Map<string, FleetTile>>();

/** One tile per host that has a stored frame. */
export async function fleetTiles(store: FrameStore): Promise<FleetTile[]> {
  const hosts = await store.hosts();
  let cache = tileCache.get(store);
  if (cache === undefined) {
    cache = new Map();
    tileCache.set(store, cache);
  }
  const known = cache;
  const tiles = await Promise.all(
    hosts.map(async (h) => {
      const hit = known.get(h.host);
      if (hit !== undefined && hit.lastSeen === h.lastSeen) return hit;
      const snap = await store.latest(h.host);
      if (snap === null) return null;
      const tile = fleetTile(snap);
      known.set(h.host, tile);
      return tile;
    }),
  );
  const live = new Set(hosts.map((h) => h.host));
  for (const host of known.keys()) if (!live.has(host)) known.delete(host);
  return tiles.filter((t): t is FleetTile => t !== null);
}

export async function loadFleet(): Promise<FleetTile[]> {
  return fleetTiles((await getRuntime()).store);
}

/** The latest snapshot of a host, or the one nearest `at`; null when the store has none. */
export async function loadSnapshot(host: string, at: number | null): Promise<Snapshot | null> {
  const { store } = await getRuntime();
  return at === null ? store.latest(host) : store.nearest(host, at);
}
