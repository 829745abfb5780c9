// The server's live events, for every open stream (docs/api.md "Stream"): one subscription to the
// store, each new frame serialised once (only when a stream wants its host), the fleet summary
// read and serialised once a second for all fleet streams, one heartbeat timer. Streams are
// delivered by the fan-out (fanout.ts), whatever carries them (a Node response or a Web stream).
// Fleet streams with `view=tiles` get the fleet view's tiles as deltas instead (fleet-feed.ts):
// those differ per stream (each knows what it was sent), so they are made per stream, at most
// once a second, from the one feed of the store.
import type { Snapshot } from '../../model/snapshot';
import { FleetCursor, fleetFeed } from '../fleet-feed';
import type { FrameStore } from '../store/store';
import { Fanout, type EventSink, type FanoutOptions, type Opened } from './fanout';

const FLEET_EVERY_MS = 1000;
const FLEET = 'fleet';
const TILES = 'tiles';
const hostTopic = (host: string): string => `host:${host}`;

/** `snapshot` event of a frame; id = its time, for Last-Event-ID. */
export function snapshotEvent(s: Snapshot): Buffer {
  return Buffer.from(`id: ${s.at}\nevent: snapshot\ndata: ${JSON.stringify(s)}\n\n`);
}

export interface LiveEventsOptions extends FanoutOptions {
  readonly heartbeatMs: number;
}

export class LiveEvents {
  readonly fanout: Fanout;
  /** The last serialised frame of each host some stream follows, for streams that open next. */
  private readonly lastEvent = new Map<string, { readonly at: number; readonly event: Buffer }>();
  private fleetTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFleet: { readonly t: number; readonly event: Buffer } | null = null;
  /** Open `view=tiles` streams, each with what it was sent. */
  private readonly tileCursors = new Map<EventSink, { readonly cursor: FleetCursor; readonly close: () => void }>();
  private tilesTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly store: FrameStore,
    opts: LiveEventsOptions,
  ) {
    this.fanout = new Fanout(opts);
    store.onFrame((s) => this.onFrame(s));
    const heartbeat = setInterval(() => {
      if (this.fanout.size > 0) this.fanout.publish('*', Buffer.from(`: heartbeat ${Date.now()}\n\n`));
    }, opts.heartbeatMs);
    heartbeat.unref();
  }

  /**
   * Opens a stream for `host` (null: the fleet) from client address `client`, and sends its first
   * events: the retry delay, then the newest snapshot (with a `gap` when it resumes after
   * `resumeFrom`), or the fleet summary (with `tiles`: the whole fleet's tiles).
   */
  async attach(client: string, host: string | null, resumeFrom: number | null, sink: EventSink, tiles = false): Promise<Opened> {
    const topic = host !== null ? hostTopic(host) : tiles ? TILES : FLEET;
    const opened = this.fanout.open(client, topic, sink);
    if (!opened.ok) return opened;
    if (host === null && tiles) return this.attachTiles(sink, opened.close);
    const close = (): void => {
      opened.close();
      if (host !== null && this.fanout.listeners(topic) === 0) this.lastEvent.delete(host);
    };
    // EventSource retries after this many ms when the connection drops.
    if (!this.fanout.send(sink, Buffer.from('retry: 2000\n\n'))) return { ok: true, close };
    if (host === null) {
      this.fanout.send(sink, await this.fleetEvent());
      return { ok: true, close };
    }
    const latest = await this.store.latest(host);
    if (latest === null) return { ok: true, close };
    if (resumeFrom !== null && latest.at > resumeFrom) {
      this.fanout.send(sink, Buffer.from(`event: gap\ndata: ${JSON.stringify({ from: resumeFrom, to: latest.at })}\n\n`));
    }
    if (resumeFrom === null || latest.at > resumeFrom) {
      const cached = this.lastEvent.get(host);
      this.fanout.send(sink, cached?.at === latest.at ? cached.event : snapshotEvent(latest));
    }
    return { ok: true, close };
  }

  private async attachTiles(sink: EventSink, closeStream: () => void): Promise<Opened> {
    const cursor = new FleetCursor(fleetFeed(this.store));
    const close = (): void => {
      closeStream();
      cursor.close();
      this.tileCursors.delete(sink);
    };
    this.tileCursors.set(sink, { cursor, close });
    if (this.fanout.send(sink, Buffer.from('retry: 2000\n\n'))) await this.sendTiles(sink);
    return { ok: true, close };
  }

  /** The next tiles delta of one stream; a stream that is not reading is dropped by the fan-out. */
  private async sendTiles(sink: EventSink): Promise<void> {
    const entry = this.tileCursors.get(sink);
    if (entry === undefined) return;
    const event = await entry.cursor.next();
    if (!this.tileCursors.has(sink)) return; // closed meanwhile
    if (!this.fanout.send(sink, Buffer.from(`event: tiles\ndata: ${JSON.stringify(event)}\n\n`))) entry.close();
  }

  private onFrame(s: Snapshot): void {
    const topic = hostTopic(s.host);
    if (this.fanout.listeners(topic) > 0) {
      const event = snapshotEvent(s);
      this.lastEvent.set(s.host, { at: s.at, event });
      this.fanout.publish(topic, event);
    }
    if (this.fanout.listeners(FLEET) > 0) {
      this.fleetTimer ??= setTimeout(() => {
        this.fleetTimer = null;
        this.fleetEvent(true)
          .then((event) => this.fanout.publish(FLEET, event))
          .catch((err: unknown) => console.error('vcpumap: fleet event failed:', err));
      }, FLEET_EVERY_MS);
    }
    if (this.tileCursors.size > 0) {
      this.tilesTimer ??= setTimeout(() => {
        this.tilesTimer = null;
        for (const sink of [...this.tileCursors.keys()]) {
          this.sendTiles(sink).catch((err: unknown) => console.error('vcpumap: tiles event failed:', err));
        }
      }, FLEET_EVERY_MS);
    }
  }

  /** The fleet summary, read at most once a second for all fleet streams. */
  private async fleetEvent(fresh = false): Promise<Buffer> {
    const now = Date.now();
    if (!fresh && this.lastFleet !== null && now - this.lastFleet.t < FLEET_EVERY_MS) return this.lastFleet.event;
    const hosts = await this.store.hosts();
    const event = Buffer.from(`event: fleet\ndata: ${JSON.stringify({ at: now, hosts })}\n\n`);
    this.lastFleet = { t: now, event };
    return event;
  }
}
