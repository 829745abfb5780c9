// Delivery of already-serialised Server-Sent Events to many streams: each event is one Buffer
// written to every stream of its topic (a host, or the fleet), never serialised per client.
// Bounds: streams open in all and per client address; a stream whose unsent bytes pass a bound is
// dropped (its EventSource reconnects with Last-Event-ID and catches up through /history), never
// buffered without bound.

/** One open stream, as the fan-out sees it: a Node response or a Web stream controller. */
export interface EventSink {
  /** Bytes written that the client has not taken yet. */
  backlog(): number;
  write(event: Buffer): void;
  /** Ends the stream now, discarding what it has not sent (a dropped client). */
  drop(): void;
}

export interface FanoutOptions {
  readonly maxStreams: number;
  readonly maxStreamsPerClient: number;
  /** A stream with more unsent bytes than this is dropped at its next write. */
  readonly maxBacklogBytes: number;
}

export type Opened =
  | { readonly ok: true; readonly close: () => void }
  | { readonly ok: false; readonly status: 429 | 503; readonly reason: string };

interface Stream {
  readonly sink: EventSink;
  readonly client: string;
  readonly topic: string;
}

export class Fanout {
  private readonly byTopic = new Map<string, Set<Stream>>();
  private readonly perClient = new Map<string, number>();
  private open_ = 0;
  dropped = 0; // streams dropped for not reading, since start

  constructor(private readonly opts: FanoutOptions) {}

  get size(): number {
    return this.open_;
  }

  /** Streams on a topic, so that nobody serialises an event no stream wants. */
  listeners(topic: string): number {
    return this.byTopic.get(topic)?.size ?? 0;
  }

  open(client: string, topic: string, sink: EventSink): Opened {
    if (this.open_ >= this.opts.maxStreams) {
      return { ok: false, status: 503, reason: `${this.open_} event streams are open, the most this server keeps (VCPUMAP_MAX_STREAMS)` };
    }
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.opts.maxStreamsPerClient) {
      return { ok: false, status: 429, reason: `${mine} event streams are open from this address, the most one client may have (VCPUMAP_MAX_STREAMS_PER_CLIENT)` };
    }
    const stream: Stream = { sink, client, topic };
    let set = this.byTopic.get(topic);
    if (set === undefined) this.byTopic.set(topic, (set = new Set()));
    set.add(stream);
    this.perClient.set(client, mine + 1);
    this.open_++;
    let closed = false;
    return {
      ok: true,
      close: () => {
        if (closed) return;
        closed = true;
        this.remove(stream);
      },
    };
  }

  /** Writes one event to every stream of the topic ('*': to every stream). */
  publish(topic: string, event: Buffer): void {
    if (topic === '*') {
      for (const set of this.byTopic.values()) for (const s of [...set]) this.write(s, event);
      return;
    }
    const set = this.byTopic.get(topic);
    if (set !== undefined) for (const s of [...set]) this.write(s, event);
  }

  /** Writes to one stream (its first events), with the same bound. Returns false when it was dropped. */
  send(sink: EventSink, event: Buffer): boolean {
    if (sink.backlog() > this.opts.maxBacklogBytes) {
      this.dropped++;
      sink.drop();
      return false;
    }
    sink.write(event);
    return true;
  }

  private write(s: Stream, event: Buffer): void {
    if (!this.send(s.sink, event)) this.remove(s);
  }

  private remove(s: Stream): void {
    const set = this.byTopic.get(s.topic);
    if (set === undefined || !set.delete(s)) return;
    if (set.size === 0) this.byTopic.delete(s.topic);
    const n = (this.perClient.get(s.client) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(s.client);
    else this.perClient.set(s.client, n);
    this.open_--;
  }
}
