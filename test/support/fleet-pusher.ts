// Pushes a synthetic fleet's frames into a server through POST /api/v1/ingest, as its agents
// would: compact ticks naming their structure (sent with the first batch that names it, and again
// after a 409), batches of many hosts, and it keeps trying while the server is away (a restart).
import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../../lib/model/snapshot';
import { encodeTick } from '../../lib/wire/compact-tick';
import { extractStructure, structureHash, structureJson } from '../../lib/wire/structure-body';

export interface PushTarget {
  readonly url: string; // server base URL
  readonly token: string; // agent token
}

interface Known {
  readonly hash: string;
  readonly json: string;
}

export class FleetPusher {
  private readonly structures = new Map<string, Known>(); // host -> its current structure
  private readonly acknowledged = new Set<string>(); // hashes the server has stored
  /** Frames stored, and posts that failed and were retried (server away, 503). */
  stored = 0;
  retries = 0;
  private aborted = false;

  /**
   * `staticStructures`: a host's structure never changes (a benchmark's fleet), so it is made once
   * per host instead of for every frame.
   */
  constructor(
    private readonly target: PushTarget,
    private readonly batch = 100,
    private readonly staticStructures = false,
  ) {}

  /** Stops retrying: a push in progress ends without storing its batch. */
  abort(): void {
    this.aborted = true;
  }

  /** Stores the frames, in batches; resolves once every one is stored (retrying while the server is away). */
  async push(frames: readonly Snapshot[], opts: { readonly deadlineMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
    for (let i = 0; i < frames.length && !this.aborted; i += this.batch) await this.send(frames.slice(i, i + this.batch), deadline);
  }

  private structureOf(s: Snapshot): Known {
    const held0 = this.structures.get(s.host);
    if (this.staticStructures && held0 !== undefined) return held0;
    const json = structureJson(extractStructure(s));
    const held = this.structures.get(s.host);
    if (held !== undefined && held.json === json) return held;
    const k = { hash: structureHash(json), json };
    this.structures.set(s.host, k);
    return k;
  }

  private async send(frames: readonly Snapshot[], deadline: number): Promise<void> {
    const ticks: string[] = [];
    const named = new Map<string, string>();
    for (const s of frames) {
      const st = this.structureOf(s);
      const tick = encodeTick(s, st.hash);
      ticks.push(JSON.stringify(tick ?? s));
      if (tick !== null) named.set(st.hash, st.json);
    }
    let withAll = false;
    while (!this.aborted) {
      const structures = [...named].filter(([h]) => withAll || !this.acknowledged.has(h)).map(([, json]) => json);
      const body = gzipSync(`{${structures.length > 0 ? `"structures":[${structures.join(',')}],` : ''}"frames":[${ticks.join(',')}]}`);
      let status: number;
      let text = '';
      try {
        const res = await fetch(`${this.target.url}/api/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.target.token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body,
        });
        status = res.status;
        text = await res.text();
      } catch {
        status = 0; // not listening: restarting
      }
      if (status === 202) {
        for (const h of named.keys()) this.acknowledged.add(h);
        this.stored += frames.length;
        return;
      }
      if (status === 409) {
        // The server lost the structures (it restarted): send them all with the batch.
        this.acknowledged.clear();
        withAll = true;
        continue;
      }
      if (status !== 0 && status !== 503 && status < 500) throw new Error(`ingest answered ${status}: ${text.slice(0, 300)}`);
      if (Date.now() > deadline) throw new Error(`ingest did not store a batch in time (last answer ${status === 0 ? 'no connection' : status})`);
      this.retries++;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Sends `frames(at)` every `intervalMs` until stopped, whatever happens to the server meanwhile.
 * `stop()` resolves once the loop has ended.
 */
export function pushEvery(pusher: FleetPusher, intervalMs: number, frames: (at: number) => readonly Snapshot[]): { stop(): Promise<void>; errors: Error[] } {
  let running = true;
  const errors: Error[] = [];
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        await pusher.push(frames(started), { deadlineMs: 120_000 });
      } catch (err) {
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    errors,
    stop: async () => {
      running = false;
      pusher.abort();
      await loop;
    },
  };
}
