import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { badPathSegment, createFrontDoor, INGEST_HANDLER_KEY } from './front-door';

let server: Server | null = null;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(null));
  server = null;
  Reflect.deleteProperty(globalThis, INGEST_HANDLER_KEY);
});

async function serve(door: ReturnType<typeof createFrontDoor>): Promise<string> {
  server = createServer(door.listener);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return `http://127.0.0.1:${addr.port}`;
}

describe('badPathSegment', () => {
  it('finds segments decodeURIComponent refuses and passes every valid one', () => {
    expect(badPathSegment('/hosts/%ff')).toBe('%ff');
    expect(badPathSegment('/hosts/%')).toBe('%');
    expect(badPathSegment('/hosts/x/vms/%E0%A4%A')).toBe('%E0%A4%A');
    expect(badPathSegment('/api/v1/hosts/%ff/snapshot')).toBe('%ff');
    expect(badPathSegment('/hosts/caf%C3%A9/vms/a%20b')).toBeNull();
    expect(badPathSegment('/hosts/plain')).toBeNull();
  });
});

describe('front door', () => {
  it('answers 503 with Retry-After while starting (a page for browsers), then hands requests to Next', async () => {
    const door = createFrontDoor();
    const url = await serve(door);
    const api = await fetch(`${url}/api/v1/hosts`);
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('1');
    expect(((await api.json()) as { error: string }).error).toMatch(/starting/);
    const pageRes = await fetch(`${url}/wall`, { headers: { accept: 'text/html' } });
    expect(pageRes.status).toBe(503);
    expect(await pageRes.text()).toMatch(/<h1>vcpumap is starting<\/h1>.*http-equiv="refresh"|http-equiv="refresh".*vcpumap is starting/s);
    door.ready(async (_req, res) => {
      res.end('from next');
    });
    expect(await (await fetch(`${url}/api/v1/hosts`)).text()).toBe('from next');
  });

  it('answers 400 with a message for bad percent-encoding on pages and API routes, before Next sees it', async () => {
    const door = createFrontDoor();
    door.ready(async () => {
      throw new Error('Next must not be reached');
    });
    const url = await serve(door);
    for (const p of ['/hosts/%ff', '/hosts/%', '/api/v1/hosts/%ff/snapshot', '/hosts/x/vms/%E0%A4%A']) {
      const res = await fetch(url + p, { headers: { accept: p.startsWith('/api') ? 'application/json' : 'text/html' } });
      expect(res.status, p).toBe(400);
      expect(await res.text(), p).toMatch(/not valid percent-encoding/);
    }
  });

  it('sends POST /api/v1/ingest to the published Node handler, and turns a thrown error into a 500', async () => {
    const door = createFrontDoor(() => {});
    door.ready(async (_req, res) => {
      res.end('next');
    });
    Reflect.set(globalThis, INGEST_HANDLER_KEY, async () => {
      throw new Error('boom');
    });
    const url = await serve(door);
    const res = await fetch(`${url}/api/v1/ingest`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(await (await fetch(`${url}/api/v1/ingest`)).text()).toBe('next'); // GET is Next's
  });

  it('holds an ingest push while a page or read is being answered, then hands it on with the time it waited', async () => {
    const door = createFrontDoor(() => {});
    let answerRead: () => void = () => {};
    const readAnswered = new Promise<void>((r) => (answerRead = r));
    door.ready(async (_req, res) => {
      await readAnswered;
      res.end('page');
    });
    const seen: { queuedMs: number; readDone: boolean }[] = [];
    let readDone = false;
    Reflect.set(globalThis, INGEST_HANDLER_KEY, async (_req: unknown, res: { end(s: string): void }, queuedMs: number) => {
      seen.push({ queuedMs, readDone });
      res.end('stored');
    });
    const url = await serve(door);
    const page = fetch(`${url}/fleet`);
    await new Promise((r) => setTimeout(r, 50)); // the read is in flight
    const push = fetch(`${url}/api/v1/ingest`, { method: 'POST', body: '{}' });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]); // parked behind the read
    readDone = true;
    answerRead();
    expect(await (await page).text()).toBe('page');
    expect(await (await push).text()).toBe('stored');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.readDone).toBe(true);
    expect(seen[0]?.queuedMs).toBeGreaterThan(50); // parked from its arrival to the answer of the read
  });
});
