// What a fleet or wall page holds: every host's tile, kept up to date by the `tiles` events of
// `GET /api/v1/stream?view=tiles` (deltas, lib/server/fleet-feed.ts). Pure. A tile object is
// replaced only when its host changed, so views can skip the tiles that did not (a live update
// must not redraw 2,000 of them); an age alone gives a shallow copy that keeps the tile's arrays.
import type { FleetTile, TilesEvent } from '../api/fleet';
import { sameTileContent } from './fleet-tiles';

export type { TilesEvent };

export interface FleetModel {
  readonly byHost: ReadonlyMap<string, FleetTile>;
  readonly order: readonly string[]; // hosts ascending
  /** Every tile, in `order`. */
  readonly list: readonly FleetTile[];
  /** The server's clock at the newest data this model has (epoch ms). */
  readonly at: number;
  /**
   * Hosts in the fleet when only some of them are here: the page was rendered with the first
   * tiles only (the stream's first event brings them all). Null once the model has them all.
   */
  readonly partialOf: number | null;
}

const ascending = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The model of the tiles a page was rendered with, at server time `at`; `of` the number of hosts
 * when `tiles` is only the first of them.
 */
export function fleetModel(tiles: readonly FleetTile[], at: number, of: number | null = null): FleetModel {
  const byHost = new Map(tiles.map((t) => [t.host, t]));
  const order = [...byHost.keys()].sort(ascending);
  return { byHost, order, list: order.flatMap((h) => byHost.get(h) ?? []), at, partialOf: of !== null && of > tiles.length ? of : null };
}

export function applyTilesEvent(m: FleetModel, ev: TilesEvent): FleetModel {
  const byHost = new Map(ev.reset ? [] : m.byHost);
  for (const h of ev.gone) byHost.delete(h);
  // A tile that shows what the one held shows (the stream's first event after the page's own
  // tiles, or after a reconnect) keeps the object held: its view is not rendered or drawn again.
  for (const t of ev.tiles) {
    const held = m.byHost.get(t.host);
    byHost.set(t.host, held !== undefined && sameTileContent(held, t) ? (held.lastSeen === t.lastSeen ? held : { ...held, lastSeen: t.lastSeen }) : t);
  }
  const order = ev.order ?? (ev.reset || ev.gone.length > 0 || byHost.size !== m.order.length ? [...byHost.keys()].sort(ascending) : m.order);
  const list: FleetTile[] = [];
  order.forEach((host, i) => {
    let t = byHost.get(host);
    if (t === undefined) return;
    const ago = ev.seen[i];
    if (ago !== undefined && t.lastSeen !== ev.at - ago) {
      t = { ...t, lastSeen: ev.at - ago };
      byHost.set(host, t);
    }
    list.push(t);
  });
  return { byHost, order, list, at: Math.max(m.at, ev.at), partialOf: ev.reset ? null : m.partialOf };
}
