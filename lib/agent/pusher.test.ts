import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { parseIngestBody } from '../server/ingest-body';
import { resolveFrames, UnknownStructureError } from '../server/resolve-frames';
import { frameSnapshot } from '../wire/frame';
import { hostFrames } from '../../test/support/snapshot-factory';
import { extractStructure, structureHash, structureJson, type StructureBody } from '../wire/structure-body';
import { Pusher } from './pusher';
import { Spool } from './spool';

/** What the store is given, as the snapshots it will serve. */
const resolveSnapshots = (...args: Parameters<typeof resolveFrames>): Snapshot[] => resolveFrames(...args).map(frameSnapshot);

function snap(at: number, padding = 0): Snapshot {
  return {
    version: 1,
    host: 'h1',
    at,
    intervalMs: 1000,
    topology: { cpus: [], isolated: [], nohzFull: [] },
    vms: padding ? [{ name: 'x'.repeat(padding), uuid: null, pid: 1, source: 'qemu', intent: 'none', dedicated: false, maxVcpus: null, vcpus: [], threads: [] }] : [],
    violations: [],
  };
}

interface Received {
  auth: string | undefined;
  frames: Snapshot[];
}

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

async function listen(handler: (req: IncomingMessage, body: Buffer) => [number, Record<string, string>?]): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [status, headers] = handler(req, Buffer.concat(chunks));
      res.writeHead(status, headers).end(status < 300 ? '{}' : 'nope');
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return `http://127.0.0.1:${addr.port}`;
}

function decode(req: IncomingMessage, body: Buffer): Received {
  const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
  return { auth: req.headers.authorization, frames: (JSON.parse(text) as { frames: Snapshot[] }).frames };
}

const quiet = (): void => {};

describe('Pusher', () => {
  it('sends frames in order with the bearer token, gzipping large bodies', async () => {
    const got: Received[] = [];
    const url = await listen((req, body) => {
      got.push(decode(req, body));
      return [202];
    });
    const p = new Pusher({ url, token: 's3cret', log: quiet });
    p.enqueue(snap(1));
    p.enqueue(snap(2, 20_000));
    expect(await p.flush(5000)).toBe(true);
    expect(got.every((g) => g.auth === 'Bearer s3cret')).toBe(true);
    expect(got.flatMap((g) => g.frames.map((f) => f.at))).toEqual([1, 2]);
  });

  it('keeps frames while the server is away and sends the backlog, at their own times, when it returns', async () => {
    let up = false;
    const got: number[] = [];
    const url = await listen((req, body) => {
      if (!up) return [503, { 'retry-after': '0' }];
      got.push(...decode(req, body).frames.map((f) => f.at));
      return [202];
    });
    const logs: string[] = [];
    const p = new Pusher({ url, token: 't', log: (_l, m) => logs.push(m) });
    for (let i = 0; i < 20; i++) p.enqueue(snap(i));
    await new Promise((r) => setTimeout(r, 200));
    expect(p.pending).toBe(20);
    up = true;
    expect(await p.flush(10_000)).toBe(true);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(logs.some((m) => /HTTP 503/.test(m))).toBe(true);
  });

  it('bounds the backlog, dropping the oldest frames and counting them', () => {
    const p = new Pusher({ url: 'http://127.0.0.1:9', token: 't', log: quiet, maxFrames: 5 });
    for (let i = 0; i < 12; i++) p.enqueue(snap(i));
    expect(p.pending).toBeLessThanOrEqual(5);
    expect(p.droppedFrames).toBeGreaterThanOrEqual(7);
  });

  it('never removes unsent frames when the backlog overflows while a send is in flight', async () => {
    const sent: number[] = [];
    let release: () => void = () => {};
    const fetchImpl: typeof fetch = async (_url, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      sent.push(...(JSON.parse(body) as { frames: Snapshot[] }).frames.map((f) => f.at));
      if (sent.length === 1) await new Promise<void>((r) => (release = r));
      return new Response('{}', { status: 202 });
    };
    const p = new Pusher({ url: 'http://127.0.0.1:9', token: 't', log: quiet, maxFrames: 2, compact: false, fetchImpl });
    p.enqueue(snap(1)); // goes out at once and hangs
    await new Promise((r) => setTimeout(r, 10));
    for (const at of [2, 3, 4]) p.enqueue(snap(at)); // overflow drops 1 (in flight) and 2
    expect(p.droppedFrames).toBe(2);
    release();
    expect(await p.flush(3000)).toBe(true);
    expect(sent).toEqual([1, 3, 4]);
  });

  it('drops a batch the server rejects as malformed instead of retrying it forever', async () => {
    let calls = 0;
    const url = await listen(() => {
      calls++;
      return [400];
    });
    const logs: string[] = [];
    const p = new Pusher({ url, token: 't', log: (_l, m) => logs.push(m) });
    p.enqueue(snap(1));
    await p.flush(3000);
    expect(p.pending).toBe(0);
    expect(calls).toBe(1);
    expect(logs.some((m) => /rejected 1 frames \(HTTP 400\)/.test(m))).toBe(true);
  });

  it('keeps frames on 401 (a wrong token must not lose data)', async () => {
    const url = await listen(() => [401]);
    const p = new Pusher({ url, token: 'wrong', log: quiet });
    p.enqueue(snap(1));
    expect(await p.flush(300)).toBe(false);
    expect(p.pending).toBe(1);
  });

  it('sends compact ticks, each structure once, and again after the server answers 409', async () => {
    const snaps = hostFrames({ host: 'hv-9', seed: 4, hotplugAt: 4 }, 8);
    let held = new Map<string, StructureBody>(); // what the fake server knows, by hash
    const stored: Snapshot[] = [];
    let structuresSent = 0;
    let conflicts = 0;
    const url = await listen((req, body) => {
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
      const batch = parseIngestBody(JSON.parse(text));
      structuresSent += batch.structures.length;
      try {
        const frames = resolveSnapshots(batch, (_host, hash) => held.get(hash));
        for (const s of batch.structures) held.set(structureHash(structureJson(extractStructure(s))), extractStructure(s));
        stored.push(...frames);
        return [202];
      } catch (err) {
        if (!(err instanceof UnknownStructureError)) throw err;
        conflicts++;
        return [409];
      }
    });
    const p = new Pusher({ url, token: 't', log: quiet, batchMax: 2 });
    for (const s of snaps.slice(0, 6)) {
      p.enqueue(s);
      expect(await p.flush(5000)).toBe(true);
    }
    expect(structuresSent).toBe(2); // the first, and the one after the hot-plug
    held = new Map(); // the server restarted
    for (const s of snaps.slice(6)) p.enqueue(s);
    expect(await p.flush(5000)).toBe(true);
    expect(conflicts).toBe(1);
    expect(structuresSent).toBe(3);
    expect(stored).toEqual(snaps);
  });

  it('sends full snapshots when told to', async () => {
    const got: Received[] = [];
    const url = await listen((req, body) => {
      got.push(decode(req, body));
      return [202];
    });
    const [s] = hostFrames({ host: 'hv-9', seed: 4 }, 1);
    if (!s) throw new Error('no frame');
    const p = new Pusher({ url, token: 't', log: quiet, compact: false });
    p.enqueue(s);
    expect(await p.flush(5000)).toBe(true);
    expect(got[0]?.frames).toEqual([s]);
  });

  it('keeps frames in its spool across a restart and sends them, oldest first, once the server is back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-pusher-spool-'));
    const snaps = hostFrames({ host: 'hv-9', seed: 2 }, 6);
    // First run: the server is away; the agent is stopped hard (no flush, no close).
    const first = new Pusher({ url: 'http://127.0.0.1:9', token: 't', log: quiet, queue: Spool.open({ dir, maxBytes: 1 << 20 }) });
    for (const s of snaps.slice(0, 4)) first.enqueue(s);
    await new Promise((r) => setTimeout(r, 100));
    expect(first.pending).toBe(4);
    // Second run on the same spool, with the server up.
    const stored: Snapshot[] = [];
    const held = new Map<string, StructureBody>();
    const url = await listen((req, body) => {
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
      const batch = parseIngestBody(JSON.parse(text));
      for (const st of batch.structures) held.set(structureHash(structureJson(extractStructure(st))), extractStructure(st));
      stored.push(...resolveSnapshots(batch, (_h, hash) => held.get(hash)));
      return [202];
    });
    const spool = Spool.open({ dir, maxBytes: 1 << 20 });
    expect(spool.recovered).toBe(4);
    const second = new Pusher({ url, token: 't', log: quiet, queue: spool });
    for (const s of snaps.slice(4)) second.enqueue(s);
    expect(await second.flush(5000)).toBe(true);
    expect(stored.map((s) => s.at)).toEqual(snaps.map((s) => s.at));
    expect(stored).toEqual(snaps);
    await second.close();
  });

  it('splits a batch the server finds too large (413) instead of dropping its frames, and drops a single frame that is', async () => {
    const sizes: number[] = [];
    const got: number[] = [];
    const url = await listen((req, body) => {
      const frames = decode(req, body).frames;
      sizes.push(frames.length);
      if (frames.length > 2) return [413];
      got.push(...frames.map((f) => f.at));
      return [202];
    });
    const p = new Pusher({ url, token: 't', log: quiet, batchMax: 8, compact: false });
    for (let i = 0; i < 8; i++) p.enqueue(snap(i));
    expect(await p.flush(5000)).toBe(true);
    expect(sizes.some((n) => n > 2)).toBe(true); // a 413 happened
    expect(p.droppedFrames).toBe(0);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const logs: string[] = [];
    const refusing = await listen(() => [413]);
    const q = new Pusher({ url: refusing, token: 't', log: (_l, m) => logs.push(m), compact: false });
    q.enqueue(snap(1));
    await q.flush(3000);
    expect(q.pending).toBe(0);
    expect(q.droppedFrames).toBe(1);
    expect(logs.some((m) => /rejected 1 frames \(HTTP 413\)/.test(m))).toBe(true);
  });

  it('carries its counters in each body and logs drops once a minute with counts', async () => {
    const agents: unknown[] = [];
    const url = await listen((req, body) => {
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
      agents.push((JSON.parse(text) as { agent: unknown }).agent);
      return [202];
    });
    const logs: string[] = [];
    const p = new Pusher({ url: 'http://127.0.0.1:9', token: 't', log: (_l, m) => logs.push(m), maxFrames: 3, compact: false });
    for (let i = 0; i < 10; i++) p.enqueue(snap(i));
    const drops = logs.filter((m) => /dropped the \d+ oldest frames/.test(m));
    expect(drops).toHaveLength(1); // the first drop is logged at once, the rest wait for the minute
    expect(drops[0]).toMatch(/frames queued .* sent, \d+ dropped since start/);
    const q = new Pusher({ url, token: 't', log: quiet, compact: false });
    q.enqueue(snap(1));
    expect(await q.flush(3000)).toBe(true);
    q.enqueue(snap(2));
    expect(await q.flush(3000)).toBe(true);
    expect(agents).toEqual([
      { spooled: 1, sent: 0, dropped: 0 },
      { spooled: 1, sent: 1, dropped: 0 },
    ]);
  });
});
