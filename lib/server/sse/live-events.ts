// The server's live events, for every open stream (docs/api.md "Stream"): one subscription to the
// store, each new frame serialised once per format (only when a stream of that format wants its
// host), the fleet summary read and serialised once a second for all fleet streams, one heartbeat
// timer. Streams are delivered by the fan-out (fanout.ts), whatever carries them (a Node response
// or a Web stream). The formats of a host stream:
//   snapshots (default)  `event: snapshot`, the full Snapshot, id = its time
//   frames               `event: structure` before the first tick that names a new structure,
//                        then `event: tick` per frame (the compact tick, a tenth of the snapshot):
//                        the dashboard expands the tick (lib/wire/compact-tick.ts) and appends
//                        its history column (lib/wire/history-column.ts), as the server does.
// Fleet streams with `view=tiles` get the fleet view's tiles as deltas instead (fleet-feed.ts):
// those differ per stream (each knows what it was sent), so they are made per stream, at most
// once a second, from the one feed of the store.
import { FrameSplitter, frameSnapshot, type Frame } from '../../wire/frame';
import type { StructureBody } from '../../wire/structure-body';
import { FleetCursor, fleetFeed } from '../fleet-feed';
import type { FrameStore } from '../store/store';
import { Fanout, type EventSink, type FanoutOptions, type Opened } from './fanout';

const FLEET_EVERY_MS = 1000;
const FLEET = 'fleet';
const TILES = 'tiles';

export type StreamFormat = 'snapshots' | 'frames';

const hostTopic = (host: string, format: StreamFormat): string => `${format}:${host}`;

/** `snapshot` event of a frame; id = its time, for Last-Event-ID. */
export function snapshotEvent(f: Frame): Buffer {
  return Buffer.from(`id: ${f.at}\nevent: snapshot\ndata: ${JSON.stringify(frameSnapshot(f))}\n\n`);
}

/** `tick` event of a frame (format=frames); id = its time. */
export function tickEvent(f: Frame): Buffer {
  return Buffer.from(`id: ${f.at}\nevent: tick\ndata: ${JSON.stringify(f.tick)}\n\n`);
}

const structureEvents = new WeakMap<StructureBody, Buffer>();

/** `structure` event (format=frames): the body a tick names by hash, serialised once per body. */
export function structureEvent(f: Frame): Buffer {
  let event = structureEvents.get(f.body);
  if (event === undefined) {
    event = Buffer.from(`event: structure\ndata: {"hash":${JSON.stringify(f.tick.structure)},"body":${JSON.stringify(f.body)}}\n\n`);
    structureEvents.set(f.body, event);
  }
  return event;
}

export interface LiveEventsOptions extends FanoutOptions {
  readonly heartbeatMs: number;
}

interface LastFrame {
  readonly frame: Frame;
  snapshot: Buffer | null;
  tick: Buffer | null;
}

export class LiveEvents {
  readonly fanout: Fanout;
  /** The last frame of each host some stream follows, with its events once serialised, for streams that open next. */
  private readonly last = new Map<string, LastFrame>();
  /** Per host, the structure hash every frames stream of it has been sent; unset: send it with the next tick. */
  private readonly sentStructure = new Map<string, string>();
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
    store.onFrame((f) => this.onFrame(f));
    const heartbeat = setInterval(() => {
      if (this.fanout.size > 0) this.fanout.publish('*', Buffer.from(`: heartbeat ${Date.now()}\n\n`));
    }, opts.heartbeatMs);
    heartbeat.unref();
  }

  /**
   * Opens a stream for `host` (null: the fleet) from client address `client`, and sends its first
   * events: the retry delay, then the newest frame (with a `gap` when it resumes after
   * `resumeFrom`), or the fleet summary (with `tiles`: the whole fleet's tiles).
   */
  async attach(client: string, host: string | null, format: StreamFormat, resumeFrom: number | null, sink: EventSink, tiles = false): Promise<Opened> {
    const topic = host !== null ? hostTopic(host, format) : tiles ? TILES : FLEET;
    const opened = this.fanout.open(client, topic, sink);
    if (!opened.ok) return opened;
    if (host === null && tiles) return this.attachTiles(sink, opened.close);
    const close = (): void => {
      opened.close();
      if (host !== null && this.fanout.listeners(hostTopic(host, 'snapshots')) + this.fanout.listeners(hostTopic(host, 'frames')) === 0) this.last.delete(host);
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
      const cached = this.last.get(host);
      const last: LastFrame = cached?.frame.at === latest.at ? cached : { frame: new FrameSplitter().split(latest), snapshot: null, tick: null };
      if (format === 'snapshots') this.fanout.send(sink, (last.snapshot ??= snapshotEvent(last.frame)));
      else {
        this.fanout.send(sink, structureEvent(last.frame));
        this.fanout.send(sink, (last.tick ??= tickEvent(last.frame)));
        // This stream may hold another structure than the others: the next tick brings its own.
        this.sentStructure.delete(host);
      }
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

  private onFrame(f: Frame): void {
    const snapshots = hostTopic(f.host, 'snapshots');
    const frames = hostTopic(f.host, 'frames');
    const wantSnapshots = this.fanout.listeners(snapshots) > 0;
    const wantFrames = this.fanout.listeners(frames) > 0;
    if (wantSnapshots || wantFrames) {
      const last: LastFrame = { frame: f, snapshot: wantSnapshots ? snapshotEvent(f) : null, tick: wantFrames ? tickEvent(f) : null };
      this.last.set(f.host, last);
      if (last.snapshot !== null) this.fanout.publish(snapshots, last.snapshot);
      if (last.tick !== null) {
        if (this.sentStructure.get(f.host) !== f.tick.structure) {
          this.fanout.publish(frames, structureEvent(f));
          this.sentStructure.set(f.host, f.tick.structure);
        }
        this.fanout.publish(frames, last.tick);
      }
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
