import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError, fetchFleet, fetchHistory, fetchSnapshot, fetchTrace, onceUntilFailed, postAnalyze, streamDecoders } from './client';
import type { FleetTile } from './fleet';
import type { History } from './history';
import type { Snapshot } from '../model/snapshot';
import { openStore, type FrameStore } from '../server/store/store';
import { fleetTiles } from '../server/views';
import { FrameSplitter } from '../wire/frame';
import { structureJson } from '../wire/structure-body';
import { hostFrames } from '../../test/support/snapshot-factory';

const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-client-'));
const HOST = 'hv-client';
let store: FrameStore;
let frames: Snapshot[];
const splitter = new FrameSplitter();

beforeAll(async () => {
  store = await openStore({ dataDir: dir });
  frames = hostFrames({ host: HOST, seed: 3, exact: true }, 4);
  await store.ingest(frames.map((f) => splitter.split(f)));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllGlobals());

/** The browser's fetch answering `body` (JSON unless a string) with `status`, recording the URLs asked. */
function answer(body: unknown, status = 200, headers: Record<string, string> = {}): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers } });
  });
  return asked;
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

const first = (): Snapshot => {
  const f = frames[frames.length - 1];
  if (f === undefined) throw new Error('no frame');
  return f;
};
const URL_H = `/api/v1/hosts/${HOST}/history?from=0&to=9`;

describe('the /api/v1 client takes what the server answers', () => {
  it('the store\'s own history (with exact counters), snapshot and fleet tiles pass the contract unchanged', async () => {
    const at = frames.map((f) => f.at);
    const history = JSON.parse(JSON.stringify(await store.history(HOST, Math.min(...at), Math.max(...at), undefined, { counters: true }))) as unknown;
    answer(history);
    expect(await fetchHistory(URL_H)).toEqual(history);
    const snap = JSON.parse(JSON.stringify(await store.latest(HOST))) as unknown;
    answer(snap);
    expect(await fetchSnapshot(`/api/v1/hosts/${HOST}/snapshot`)).toEqual(snap);
    const tiles = JSON.parse(JSON.stringify(await fleetTiles(store))) as unknown;
    answer(tiles);
    expect(await fetchFleet()).toEqual(tiles);
    // A clean host's tile: no worst severity.
    const clean = (await fleetTiles(store)).map((t) => ({ ...t, worst: null, kinds: [], violations: 0, critical: 0, warnings: 0 }));
    answer(clean);
    expect(await fetchFleet()).toEqual(clean);
  });
});

describe('a reply that is not what docs/api.md says is a clear error', () => {
  it('names the request, what the reply should be and the first wrong field', async () => {
    const h = await store.history(HOST, 0, Date.now() + 60_000);
    const bad = { ...h, threads: h.threads.map((t, i) => (i === 1 ? { ...t, tid: 'x' } : t)) };
    answer(bad);
    const err = await failure(fetchHistory(URL_H));
    expect(err.message).toBe(`GET ${URL_H}: not a History as docs/api.md has it: threads.1.tid: expected an integer >= 1`);
    expect(err.status).toBe(200);
  });

  it('checks what a schema cannot: every column has one entry per thread', async () => {
    const h: History = await store.history(HOST, 0, Date.now() + 60_000);
    answer({ ...h, pcpu: h.pcpu.map((row, i) => (i === 2 ? row.slice(1) : row)) });
    expect((await failure(fetchHistory(URL_H))).message).toContain(`pcpu.2: expected ${h.threads.length} entries (one per thread), got ${h.threads.length - 1}`);
    answer({ ...h, ran: h.ran?.slice(1) ?? null });
    expect((await failure(fetchHistory(URL_H))).message).toContain(`ran: expected ${h.ticks.length} columns (one per tick), got ${h.ticks.length - 1}`);
  });

  it('a snapshot without its VMs, a tile whose cells point past its VMs', async () => {
    const { vms: _vms, ...noVms } = first();
    answer(noVms);
    expect((await failure(fetchSnapshot('/api/v1/hosts/x/snapshot'))).message).toBe('GET /api/v1/hosts/x/snapshot: not a Snapshot as docs/api.md has it: vms: expected array');
    const tiles: FleetTile[] = await fleetTiles(store);
    const t = tiles[0];
    if (t === undefined) throw new Error('no tile');
    answer([{ ...t, cells: t.cells.map(() => t.vms.length) }]);
    expect((await failure(fetchFleet())).message).toContain(`0.cells.0: expected an index into vms (${t.vms.length}) or -1, got ${t.vms.length}`);
  });

  it('an answer that is not JSON, an error with the server\'s words, one without', async () => {
    answer('<html>gateway</html>');
    expect((await failure(fetchSnapshot('/api/v1/hosts/x/snapshot'))).message).toMatch(/^GET \/api\/v1\/hosts\/x\/snapshot: the answer is not JSON/);
    answer({ error: 'no snapshot of host "x"' }, 404);
    const e404 = await failure(fetchSnapshot('/api/v1/hosts/x/snapshot'));
    expect(e404.message).toBe('GET /api/v1/hosts/x/snapshot: no snapshot of host "x"');
    expect([e404.status, e404.reason]).toEqual([404, 'no snapshot of host "x"']);
    answer('<html>bad gateway</html>', 502);
    expect((await failure(fetchHistory(URL_H))).reason).toMatch(/^502/);
  });

  it('analyze: a snapshot with what the paste could not observe; a 400 keeps the fields', async () => {
    const snap = { ...first(), unobserved: ['affinity', 'runQueue'] };
    answer(snap);
    expect(await postAnalyze({ ps: 'x' })).toEqual(snap);
    answer({ ...snap, unobserved: ['everything'] });
    expect((await failure(postAnalyze({ ps: 'x' }))).message).toContain('unobserved.0: expected one of "affinity", "runQueue"');
    answer({ error: 'the paste cannot be read', fields: { queryCpusFast: 'not JSON' } }, 400);
    const e = await failure(postAnalyze({ ps: 'x' }));
    expect([e.status, e.reason, e.fields]).toEqual([400, 'the paste cannot be read', { queryCpusFast: 'not JSON' }]);
  });

  it('a trace: the file and its count, or the server\'s reason', async () => {
    const asked = answer('# tracer: nop\n', 200, { 'content-disposition': 'attachment; filename="vcpumap-hv-1-1-2.ftrace.txt"', 'x-vcpumap-trace-events': '12' });
    const t = await fetchTrace('hv 1', { from: 1.4, to: 2 });
    expect([t.fileName, t.events, await t.blob.text(), asked]).toEqual(['vcpumap-hv-1-1-2.ftrace.txt', 12, '# tracer: nop\n', ['/api/v1/hosts/hv%201/trace?from=1&to=2']]);
    answer({ error: 'host "hv 1" is in sampled mode' }, 409);
    expect((await failure(fetchTrace('hv 1', { from: 1, to: 2 }))).reason).toBe('host "hv 1" is in sampled mode');
  });
});

describe('stream events', () => {
  it('a structure and its ticks decode; a tick that does not fit its structure is an error; one of an unknown structure is skipped', async () => {
    const d = await streamDecoders();
    const f = splitter.split(first());
    const s = d.structure(JSON.stringify({ hash: f.tick.structure, body: JSON.parse(structureJson(f.body)) }));
    expect(s.hash).toBe(f.tick.structure);
    const of = (h: string) => (h === s.hash ? s.body : undefined);
    const tick = JSON.stringify(f.tick);
    expect(d.tick(tick, of)?.tick).toEqual(JSON.parse(tick));
    expect(d.tick(tick, () => undefined)).toBeNull();
    expect(() => d.tick(JSON.stringify({ ...f.tick, pcpu: f.tick.pcpu.slice(1) }), of)).toThrow(/^stream event tick: does not fit the structure it names: tick\.pcpu: expected \d+ entries/);
    expect(() => d.tick(JSON.stringify({ ...f.tick, at: -1 }), of)).toThrow('stream event tick: not a tick as docs/api.md has it: at: expected an integer from 0 to');
    expect(() => d.structure('{"hash": 1')).toThrow(/^stream event structure: not JSON/);
    expect(() => d.tiles(JSON.stringify({ at: 1, reset: true, tiles: [], gone: [], seen: 'x' }))).toThrow('stream event tiles: not a tiles event as docs/api.md has it: seen: expected array');
  });
});

describe('onceUntilFailed (the validators chunk, loaded once)', () => {
  it('shares one load between callers, and tries again after a load that failed (a chunk fetched while the server was down)', async () => {
    let calls = 0;
    const load = onceUntilFailed(async () => {
      calls++;
      if (calls === 1) throw new Error('Failed to load chunk');
      return calls;
    });
    const [a, b] = [load(), load()];
    await expect(a).rejects.toThrow(/Failed to load chunk/);
    await expect(b).rejects.toThrow(/Failed to load chunk/);
    expect(calls).toBe(1);
    await expect(load()).resolves.toBe(2);
    await expect(load()).resolves.toBe(2);
    expect(calls).toBe(2);
  });
});
