// The fleet's tiles for every fleet and wall viewer, kept once per store and sent as deltas.
// With 2,000 hosts the whole fleet is about 1.6 MB of JSON, and every host sends a frame each
// second: re-sending it to each viewer each second would be megabytes a second per screen. So:
//  - one FleetFeed per store rebuilds a host's tile only when the host sent a newer frame, and
//    bumps the tile's revision only when what the tile shows changed (not its age). While viewers
//    are attached it builds tiles from the frames the store hands its listeners (each host's newest
//    expanded once, when its tile is built); otherwise it reads each host's latest frame back, at most a fifth of
//    the hosts per refresh unless their violation count changed, so a tile's placement may lag a
//    few seconds there while its age and its count never do;
//  - one FleetCursor per viewer (event stream) remembers the revisions it sent, and each event
//    carries the new or changed tiles, the hosts that are gone, and every host's age as a number.
// The event format is documented in docs/api.md (`event: tiles`).
import { frameSnapshot, type Frame } from '../wire/frame';
import type { HostSummary } from '../api/hosts';
import type { FrameStore } from './store/store';
import type { FleetTile, TilesEvent } from '../api/fleet';
import { fleetTile, sameTileContent } from '../ui/fleet-tiles';

export type { TilesEvent };

interface Entry {
  tile: FleetTile; // its lastSeen: the host's newest frame (the age), which may be newer than contentAt
  rev: number;
  contentAt: number; // the frame the content was built from
  builtAt: number; // clock when built
}

type FeedStore = Pick<FrameStore, 'hosts' | 'latest'> & Partial<Pick<FrameStore, 'onFrame'>>;

/** Refreshes run at most this often however many viewers ask (ms). */
const REFRESH_MIN_MS = 250;

export class FleetFeed {
  private readonly entries = new Map<string, Entry>();
  private order: string[] = [];
  /** Bumped whenever a host comes or goes. */
  membership = 0;
  private revs = 0;
  private refreshing: Promise<void> | null = null;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  private readonly noted = new Map<string, Frame>(); // newest frame per host, while viewers are attached (expanded only when its tile is built)
  private attached = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: FeedStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A viewer came: listen to new frames (the feed builds tiles from them). */
  attach(): void {
    if (this.attached++ > 0 || this.store.onFrame === undefined) return;
    this.unsubscribe = this.store.onFrame((s) => {
      const cur = this.noted.get(s.host);
      if (cur === undefined || s.at >= cur.at) this.noted.set(s.host, s);
    });
  }

  /** A viewer went; the last one stops the listening. */
  detach(): void {
    if (this.attached === 0 || --this.attached > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.noted.clear();
  }

  private put(host: string, tile: FleetTile, cur: Entry | undefined): void {
    const now = this.clock();
    if (cur !== undefined && sameTileContent(cur.tile, tile)) {
      cur.tile = { ...cur.tile, lastSeen: tile.lastSeen };
      cur.contentAt = tile.lastSeen;
      cur.builtAt = now;
    } else this.entries.set(host, { tile, rev: ++this.revs, contentAt: tile.lastSeen, builtAt: now });
  }

  /** Brings every tile up to date with the store (coalesced: concurrent callers share one pass). */
  async refresh(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    if (this.clock() - this.refreshedAt < REFRESH_MIN_MS) return;
    this.refreshing = this.pass().finally(() => {
      this.refreshedAt = this.clock();
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async pass(): Promise<void> {
    const hosts = await this.store.hosts();
    const live = new Set<string>();
    const urgent: HostSummary[] = [];
    const due: HostSummary[] = [];
    for (const h of hosts) {
      live.add(h.host);
      const cur = this.entries.get(h.host);
      if (cur !== undefined && cur.contentAt === h.lastSeen) continue;
      const frame = this.noted.get(h.host);
      if (frame !== undefined && frame.at === h.lastSeen) this.put(h.host, fleetTile(frameSnapshot(frame)), cur);
      else if (cur === undefined || cur.tile.violations !== h.violations) urgent.push(h);
      else due.push(h);
    }
    // Reading frames back costs about a third of a millisecond each: the longest-unbuilt first.
    const budget = Math.max(0, Math.max(100, Math.ceil(hosts.length / 5)) - urgent.length);
    due.sort((a, b) => (this.entries.get(a.host)?.builtAt ?? 0) - (this.entries.get(b.host)?.builtAt ?? 0));
    const read = [...urgent, ...due.slice(0, budget)];
    await Promise.all(
      read.map(async (h) => {
        const snap = await this.store.latest(h.host);
        if (snap !== null) this.put(h.host, fleetTile(snap), this.entries.get(h.host));
      }),
    );
    // The others keep their content and show their new age.
    for (const h of due.slice(budget)) {
      const cur = this.entries.get(h.host);
      if (cur !== undefined && cur.tile.lastSeen !== h.lastSeen) cur.tile = { ...cur.tile, lastSeen: h.lastSeen };
    }
    let changed = false;
    for (const host of this.entries.keys()) {
      if (!live.has(host)) {
        this.entries.delete(host);
        changed = true;
      }
    }
    if (changed || this.entries.size !== this.order.length) {
      this.order = [...this.entries.keys()].sort();
      this.membership++;
    }
  }

  /** Every tile, hosts ascending. */
  tiles(): FleetTile[] {
    return this.order.flatMap((h) => {
      const e = this.entries.get(h);
      return e === undefined ? [] : [e.tile];
    });
  }

  /** The next event for a viewer's cursor (see FleetCursor). */
  eventFor(cursor: FleetCursor): TilesEvent {
    const at = this.clock();
    const reset = cursor.sent === null;
    const sent = cursor.sent ?? new Map<string, number>();
    const tiles: FleetTile[] = [];
    const seen: number[] = [];
    for (const host of this.order) {
      const e = this.entries.get(host);
      if (e === undefined) continue;
      if (sent.get(host) !== e.rev) {
        tiles.push(e.tile);
        sent.set(host, e.rev);
      }
      seen.push(at - e.tile.lastSeen);
    }
    const gone: string[] = [];
    if (!reset) {
      for (const host of sent.keys()) {
        if (!this.entries.has(host)) {
          gone.push(host);
          sent.delete(host);
        }
      }
    }
    const withOrder = reset || cursor.membership !== this.membership;
    cursor.sent = sent;
    cursor.membership = this.membership;
    return { at, reset, tiles, gone, ...(withOrder ? { order: [...this.order] } : {}), seen };
  }
}

/** What one viewer has been sent. `invalidate()` after an event could not be delivered. */
export class FleetCursor {
  sent: Map<string, number> | null = null;
  membership = -1;

  private closed = false;

  constructor(private readonly feed: FleetFeed) {
    feed.attach();
  }

  /** The viewer went away. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.feed.detach();
  }

  async next(): Promise<TilesEvent> {
    await this.feed.refresh();
    return this.feed.eventFor(this);
  }

  /** The viewer missed an event: the next one starts over with the whole fleet. */
  invalidate(): void {
    this.sent = null;
    this.membership = -1;
  }
}

const feeds = new WeakMap<object, FleetFeed>();

/** The feed of a store, made on first use. */
export function fleetFeed(store: FeedStore): FleetFeed {
  let f = feeds.get(store);
  if (f === undefined) {
    f = new FleetFeed(store);
    feeds.set(store, f);
  }
  return f;
}
