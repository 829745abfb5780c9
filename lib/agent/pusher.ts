// Pushes snapshots to the server in batches. Keeps sampling while the server is away: frames wait
// in a bounded backlog (oldest dropped first, and counted) and go out when the server returns.
// Frames go out as compact ticks (lib/wire/compact-tick.ts, a tenth of the JSON) naming their
// structure by hash; a structure is sent with the first batch that needs it, and again whenever
// the server answers 409 (it restarted, or another replica answered).
import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../model/snapshot';
import { snapshotJson } from '../model/snapshot-json';
import { encodeTick } from '../wire/compact-tick';
import { extractStructure, sameStructure, structureHash, structureJson, type StructureBody } from '../wire/structure-body';
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
  /** false: full snapshots only (no compact ticks), for a server that does not take them. */
  readonly compact?: boolean;
}

const GZIP_OVER = 8 * 1024; // bytes
const MAX_KNOWN = 1024; // structure hashes remembered as held by the server

interface Frame {
  readonly json: string; // a compact tick, or a full snapshot
  readonly structure: string | null; // the hash a tick names
}

export class Pusher {
  private readonly backlog: Frame[] = []; // oldest first
  private backlogBytes = 0; // frames' JSON plus the structures they name
  /** Structures named by frames in the backlog: JSON and how many frames name it. */
  private readonly structures = new Map<string, { json: string; refs: number }>();
  private current: { body: StructureBody; hash: string; json: string } | null = null;
  /** Structures the server acknowledged (a batch naming them was stored); cleared on 409. */
  private readonly known = new Set<string>();
  private resent = false; // the last batch was a resend after a 409
  private dropped = 0;
  private sending: Promise<void> | null = null;
  /** Frames at the front of the backlog that the running send carries (overflow may drop some). */
  private inFlight = 0;
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
    const frame = this.encode(snapshot);
    this.backlog.push(frame);
    this.backlogBytes += frame.json.length;
    const maxFrames = this.opts.maxFrames ?? 3600;
    const maxBytes = this.opts.maxBytes ?? 128 * 1024 * 1024;
    while (this.backlog.length > maxFrames || this.backlogBytes > maxBytes) {
      if (this.take(1) === 0) break;
      this.dropped++;
      // The oldest frames may be the ones being sent: the send must not remove others for them.
      if (this.inFlight > 0) this.inFlight--;
    }
    this.kick();
  }

  private encode(s: Snapshot): Frame {
    if (this.opts.compact === false) return { json: snapshotJson(s), structure: null };
    let cur = this.current;
    if (cur === null || !sameStructure(cur.body, s)) {
      const body = extractStructure(s);
      const json = structureJson(body);
      cur = { body, json, hash: structureHash(json) };
      this.current = cur;
    }
    const tick = encodeTick(s, cur.hash);
    if (tick === null) return { json: snapshotJson(s), structure: null };
    const held = this.structures.get(cur.hash);
    if (held) {
      held.refs++;
    } else {
      this.structures.set(cur.hash, { json: cur.json, refs: 1 });
      this.backlogBytes += cur.json.length;
    }
    return { json: JSON.stringify(tick), structure: cur.hash };
  }

  /** Starts a send when none is running and the back-off has passed. */
  kick(): void {
    if (this.sending || this.backlog.length === 0 || Date.now() < this.retryAt) return;
    this.sending = this.sendBatch().finally(() => {
      this.sending = null;
      // Drain a backlog, or resend a batch that lacked its structures (409), without waiting.
      if ((this.failures === 0 || this.resent) && this.backlog.length > 0) this.kick();
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
    const frames = this.backlog.slice(0, count);
    this.inFlight = count;
    const named = new Set<string>();
    for (const f of frames) if (f.structure !== null) named.add(f.structure);
    const send: string[] = [];
    for (const hash of named) {
      const held = this.structures.get(hash);
      if (held && !this.known.has(hash)) send.push(held.json);
    }
    const list = frames.map((f) => f.json).join(',');
    const body = send.length > 0 ? `{"structures":[${send.join(',')}],"frames":[${list}]}` : `{"frames":[${list}]}`;
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
        this.take(this.inFlight);
        if (this.known.size + named.size > MAX_KNOWN) this.known.clear();
        for (const hash of named) this.known.add(hash);
        this.resent = false;
        if (this.failures > 0) log('info', `server ${this.opts.url} is back: sent ${count} frames, ${this.backlog.length} still queued`, 'push');
        this.failures = 0;
        return;
      }
      if (res.status === 409 && !this.resent) {
        // The server lacks a structure we thought it had: send the batch again, with every
        // structure it names, at once (not a failure: no back-off).
        this.known.clear();
        this.resent = true;
        return;
      }
      this.resent = false;
      if (res.status === 400 || res.status === 413 || res.status === 422) {
        // The server will never accept these frames; keeping them would block every later one.
        this.take(this.inFlight);
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

  /** Removes the oldest `count` frames, and the structures no frame names any more; returns how many. */
  private take(count: number): number {
    const gone = this.backlog.splice(0, count);
    for (const f of gone) {
      this.backlogBytes -= f.json.length;
      if (f.structure === null) continue;
      const held = this.structures.get(f.structure);
      if (held && --held.refs <= 0) {
        this.structures.delete(f.structure);
        this.backlogBytes -= held.json.length;
      }
    }
    return gone.length;
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
