// Pushes snapshots to the server in batches, oldest first. Keeps sampling while the server is
// away: frames wait in a queue (on disk, spool.ts, unless the agent runs without one; then in
// memory, memory-queue.ts), bounded, the oldest dropped first, counted and logged once a minute,
// and go out when the server returns, also after the agent restarts. Frames go out as compact
// ticks (lib/wire/compact-tick.ts, a tenth of the JSON) naming their structure by hash; a
// structure is sent with the first batch that needs it, and again whenever the server answers
// 409 (it restarted, or another replica answered). Each batch carries the agent's counters
// (`agent`: spooled, sent, dropped) for the server's /metrics.
import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../model/snapshot';
import { snapshotJson } from '../model/snapshot-json';
import { encodeTick } from '../wire/compact-tick';
import { extractStructure, sameStructure, structureHash, structureJson, type StructureBody } from '../wire/structure-body';
import type { FrameQueue, QueuedFrame } from './frame-queue';
import { errorText, type Logger } from './log';
import { MemoryQueue } from './memory-queue';

export interface PusherOptions {
  readonly url: string; // server base URL, e.g. http://127.0.0.1:3000
  readonly token: string;
  readonly log: Logger;
  /** Where unsent frames wait; default: in memory, bounded by maxFrames and maxBytes. */
  readonly queue?: FrameQueue;
  readonly maxFrames?: number; // memory queue bound in frames
  readonly maxBytes?: number; // memory queue bound in bytes of JSON
  readonly batchMax?: number;
  readonly fetchImpl?: typeof fetch;
  readonly timeoutMs?: number;
  /** false: full snapshots only (no compact ticks), for a server that does not take them. */
  readonly compact?: boolean;
  /** false: never gzip (an in-process server). */
  readonly gzip?: boolean;
}

const GZIP_OVER = 8 * 1024; // bytes
const MAX_KNOWN = 1024; // structure hashes remembered as held by the server
const REPORT_EVERY_MS = 60_000;

export class Pusher {
  private readonly queue: FrameQueue;
  private current: { body: StructureBody; hash: string; json: string } | null = null;
  /** Structures the server acknowledged (a batch naming them was stored); cleared on 409. */
  private readonly known = new Set<string>();
  private resent = false; // the last batch was a resend after a 409
  private sendAgain = false; // the last answer asked for the same frames again at once (409, 413)
  private dropped = 0;
  private sent = 0;
  private sending: Promise<void> | null = null;
  /** Frames at the front of the queue that the running send carries (overflow may drop some). */
  private inFlight = 0;
  /** Frames per batch now: halved when the server says a body is too large (413). */
  private batchLimit: number;
  private retryAt = 0; // epoch ms
  private failures = 0;
  private readonly endpoint: string;
  /** Drops not logged yet, and when the last such line went out. */
  private unreportedDrops = 0;
  private lastReport = 0;

  constructor(private readonly opts: PusherOptions) {
    this.endpoint = new URL('/api/v1/ingest', opts.url).toString();
    this.queue = opts.queue ?? new MemoryQueue(opts.maxFrames, opts.maxBytes);
    this.batchLimit = opts.batchMax ?? 100;
  }

  get pending(): number {
    return this.queue.length;
  }

  get droppedFrames(): number {
    return this.dropped;
  }

  get sentFrames(): number {
    return this.sent;
  }

  enqueue(snapshot: Snapshot): void {
    const { frame, structure } = this.encode(snapshot);
    const dropped = this.queue.push(frame, structure);
    if (dropped > 0) {
      this.dropped += dropped;
      // The oldest frames may be the ones being sent: the send must not remove others for them.
      this.inFlight = Math.max(0, this.inFlight - dropped);
      this.unreportedDrops += dropped;
    }
    this.report(false);
    this.kick();
  }

  /** Logs drops (at most once a minute) and, while frames pile up, the counters. */
  private report(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < REPORT_EVERY_MS) return;
    const backlog = this.queue.length > this.batchLimit;
    if (this.unreportedDrops === 0 && !backlog && !force) return;
    this.lastReport = now;
    const counters = `${this.queue.length} frames queued (${Math.round(this.queue.bytes / 1024)} KiB), ${this.sent} sent, ${this.dropped} dropped since start`;
    if (this.unreportedDrops > 0) {
      this.opts.log('warn', `queue full: dropped the ${this.unreportedDrops} oldest frames in the last minute; ${counters}`);
      this.unreportedDrops = 0;
    } else {
      this.opts.log('info', `push: ${counters}`);
    }
  }

  private encode(s: Snapshot): { frame: QueuedFrame; structure: string | null } {
    if (this.opts.compact === false) return { frame: { json: snapshotJson(s), structure: null }, structure: null };
    let cur = this.current;
    if (cur === null || !sameStructure(cur.body, s)) {
      const body = extractStructure(s);
      const json = structureJson(body);
      cur = { body, json, hash: structureHash(json) };
      this.current = cur;
    }
    const tick = encodeTick(s, cur.hash);
    if (tick === null) return { frame: { json: snapshotJson(s), structure: null }, structure: null };
    return { frame: { json: JSON.stringify(tick), structure: cur.hash }, structure: cur.json };
  }

  /** Starts a send when none is running and the back-off has passed. */
  kick(): void {
    if (this.sending || this.queue.length === 0 || Date.now() < this.retryAt) return;
    this.sending = this.sendBatch().finally(() => {
      this.sending = null;
      // Drain a backlog, or resend a batch that lacked its structures (409), without waiting.
      if ((this.failures === 0 || this.sendAgain) && this.queue.length > 0) this.kick();
    });
  }

  /** Resolves when the queue is empty or the server stays away for timeoutMs. */
  async flush(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < until) {
      this.kick();
      await (this.sending ?? new Promise((r) => setTimeout(r, 100)));
    }
    return this.queue.length === 0;
  }

  /** Waits for a running send and closes the queue (a spool syncs and unlocks). */
  async close(): Promise<void> {
    await this.sending;
    this.queue.close();
  }

  private async sendBatch(): Promise<void> {
    this.sendAgain = false;
    const frames = this.queue.peek(this.batchLimit);
    const count = frames.length;
    this.inFlight = count;
    const named = new Set<string>();
    for (const f of frames) if (f.structure !== null) named.add(f.structure);
    const send: string[] = [];
    for (const hash of named) {
      const held = this.queue.structure(hash);
      if (held !== undefined && !this.known.has(hash)) send.push(held);
    }
    const list = frames.map((f) => f.json).join(',');
    const agent = JSON.stringify({ spooled: this.queue.length, sent: this.sent, dropped: this.dropped });
    const body = `{${send.length > 0 ? `"structures":[${send.join(',')}],` : ''}"frames":[${list}],"agent":${agent}}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.opts.token}`,
    };
    let payload: string | Uint8Array<ArrayBuffer> = body;
    if (body.length > GZIP_OVER && this.opts.gzip !== false) {
      payload = new Uint8Array(gzipSync(body));
      headers['content-encoding'] = 'gzip';
    }
    const { log } = this.opts;
    try {
      const res = await (this.opts.fetchImpl ?? fetch)(this.endpoint, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) {
        this.queue.take(this.inFlight);
        this.sent += this.inFlight;
        if (this.known.size + named.size > MAX_KNOWN) this.known.clear();
        for (const hash of named) this.known.add(hash);
        this.resent = false;
        // Back towards full batches, a doubling at a time, after a 413 halved them.
        this.batchLimit = Math.min(this.opts.batchMax ?? 100, this.batchLimit * 2);
        if (this.failures > 0) {
          log('info', `server ${this.opts.url} is back: sent ${count} frames, ${this.queue.length} still queued, ${this.sent} sent and ${this.dropped} dropped since start`, 'push');
        }
        this.failures = 0;
        return;
      }
      if (res.status === 409 && !this.resent) {
        // The server lacks a structure we thought it had: send the batch again, with every
        // structure it names, at once (not a failure: no back-off).
        this.known.clear();
        this.resent = true;
        this.sendAgain = true;
        return;
      }
      this.resent = false;
      if (res.status === 413 && count > 1) {
        // The body was too large, not its frames: the same frames again in smaller batches, at once.
        this.batchLimit = Math.max(1, Math.floor(count / 2));
        this.sendAgain = true;
        log('warn', `server refused a body of ${count} frames as too large (HTTP 413); sending ${this.batchLimit} at a time`, 'push-413');
        return;
      }
      if (res.status === 400 || res.status === 413 || res.status === 422) {
        // The server will never accept these frames; keeping them would block every later one.
        this.queue.take(this.inFlight);
        this.dropped += this.inFlight;
        log('error', `server rejected ${count} frames (HTTP ${res.status}), dropped: ${text.slice(0, 300)}`);
        return;
      }
      this.backOff(`HTTP ${res.status} ${text.slice(0, 200)}`, retryAfterMs(res.headers.get('retry-after')));
    } catch (err) {
      this.backOff(errorText(err), null);
    } finally {
      this.inFlight = 0;
    }
  }

  private backOff(reason: string, retryAfter: number | null): void {
    this.failures++;
    // 0.5 s, 1 s, 2 s ... capped at 30 s, unless the server named its own delay.
    const delay = retryAfter ?? Math.min(30_000, 500 * 2 ** Math.min(this.failures - 1, 6));
    this.retryAt = Date.now() + delay;
    this.opts.log('warn', `push to ${this.endpoint} failed (${reason}); ${this.queue.length} frames queued, retrying in ${delay} ms`, 'push');
    this.report(false);
  }
}

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(s * 1000, 300_000) : null;
}
