// Pushes snapshots to the server in batches. Keeps sampling while the server is away: frames wait
// in a bounded backlog (oldest dropped first, and counted) and go out when the server returns.
import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../model/snapshot';
import { snapshotJson } from '../model/snapshot-json';
import { errorText, type Logger } from './log';

export interface PusherOptions {
  readonly url: string; // server base URL, e.g. http://127.0.0.1:3000
  readonly token: string;
  readonly log: Logger;
  readonly maxFrames?: number; // backlog bound in frames
  readonly maxBytes?: number; // backlog bound in bytes of JSON
  readonly batchMax?: number;
  readonly fetchImpl?: typeof fetch;
  readonly timeoutMs?: number;
}

const GZIP_OVER = 8 * 1024; // bytes

export class Pusher {
  private readonly backlog: string[] = []; // serialised frames, oldest first
  private backlogBytes = 0;
  private dropped = 0;
  private sending: Promise<void> | null = null;
  private retryAt = 0; // epoch ms
  private failures = 0;
  private readonly endpoint: string;

  constructor(private readonly opts: PusherOptions) {
    this.endpoint = new URL('/api/v1/ingest', opts.url).toString();
  }

  get pending(): number {
    return this.backlog.length;
  }

  get droppedFrames(): number {
    return this.dropped;
  }

  enqueue(snapshot: Snapshot): void {
    const frame = snapshotJson(snapshot);
    this.backlog.push(frame);
    this.backlogBytes += frame.length;
    const maxFrames = this.opts.maxFrames ?? 3600;
    const maxBytes = this.opts.maxBytes ?? 128 * 1024 * 1024;
    while (this.backlog.length > maxFrames || this.backlogBytes > maxBytes) {
      const old = this.backlog.shift();
      if (old === undefined) break;
      this.backlogBytes -= old.length;
      this.dropped++;
    }
    this.kick();
  }

  /** Starts a send when none is running and the back-off has passed. */
  kick(): void {
    if (this.sending || this.backlog.length === 0 || Date.now() < this.retryAt) return;
    this.sending = this.sendBatch().finally(() => {
      this.sending = null;
      // Drain a backlog without waiting for the next tick.
      if (this.failures === 0 && this.backlog.length > 0) this.kick();
    });
  }

  /** Resolves when the backlog is empty or the server stays away for timeoutMs. */
  async flush(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.backlog.length > 0 && Date.now() < until) {
      this.kick();
      await (this.sending ?? new Promise((r) => setTimeout(r, 100)));
    }
    return this.backlog.length === 0;
  }

  private async sendBatch(): Promise<void> {
    const count = Math.min(this.backlog.length, this.opts.batchMax ?? 100);
    const body = `{"frames":[${this.backlog.slice(0, count).join(',')}]}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.opts.token}`,
    };
    let payload: string | Uint8Array<ArrayBuffer> = body;
    if (body.length > GZIP_OVER) {
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
        this.take(count);
        if (this.failures > 0) log('info', `server ${this.opts.url} is back: sent ${count} frames, ${this.backlog.length} still queued`, 'push');
        this.failures = 0;
        return;
      }
      if (res.status === 400 || res.status === 413 || res.status === 422) {
        // The server will never accept these frames; keeping them would block every later one.
        this.take(count);
        log('error', `server rejected ${count} frames (HTTP ${res.status}), dropped: ${text.slice(0, 300)}`);
        return;
      }
      this.backOff(`HTTP ${res.status} ${text.slice(0, 200)}`, retryAfterMs(res.headers.get('retry-after')));
    } catch (err) {
      this.backOff(errorText(err), null);
    }
  }

  private take(count: number): void {
    for (const f of this.backlog.splice(0, count)) this.backlogBytes -= f.length;
  }

  private backOff(reason: string, retryAfter: number | null): void {
    this.failures++;
    // 0.5 s, 1 s, 2 s ... capped at 30 s, unless the server named its own delay.
    const delay = retryAfter ?? Math.min(30_000, 500 * 2 ** Math.min(this.failures - 1, 6));
    this.retryAt = Date.now() + delay;
    this.opts.log('warn', `push to ${this.endpoint} failed (${reason}); ${this.backlog.length} frames queued, retrying in ${delay} ms`, 'push');
  }
}

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(s * 1000, 300_000) : null;
}
