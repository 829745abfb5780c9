// The first code every request of `npm start` meets (scripts/start.mjs, bundled into
// dist/front-door.mjs): answers what needs no Next.js (a path that is not valid percent-encoding,
// the seconds while the server starts), sends ingest and the event stream to their Node
// handlers (published by instrumentation.ts) and everything else to Next.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENCODED_HEADER } from './json-answer';
import { ReadsFirst, type ParkedHandler } from './reads-first';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The ingest handler as published: told how long its request was parked behind reads
 * (reads-first.ts), and how long a push may be parked (ms; read once it is published).
 */
export type IngestNodeHandler = ParkedHandler & { readonly maxParkMs?: number };

/** Parked pushes are started after this at the latest (ms), whatever the handler says. */
const MAX_PARK_MS = 1000;

/** Where instrumentation.ts publishes the Node handlers of lib/server/api (ingest-node.ts, stream-node.ts). */
export const INGEST_HANDLER_KEY = Symbol.for('vcpumap.ingest-node');
export const STREAM_HANDLER_KEY = Symbol.for('vcpumap.stream-node');
/** The promise of the server's runtime (store open), published by instrumentation.ts. */
export const RUNTIME_READY_KEY = Symbol.for('vcpumap.runtime-ready');

/**
 * Resolves when the runtime published by instrumentation.ts is up; rejects when it cannot start.
 * Next's prepare() may resolve before register() has run: wait for the promise to appear.
 */
export async function runtimeReady(appearWithinMs = 120_000): Promise<void> {
  const deadline = Date.now() + appearWithinMs;
  for (;;) {
    // Not `instanceof Promise`: Next's bundles may make it in another realm's Promise.
    const p: unknown = Reflect.get(globalThis, RUNTIME_READY_KEY);
    if (typeof p === 'object' && p !== null && 'then' in p && typeof p.then === 'function') {
      await (p as PromiseLike<unknown>);
      return;
    }
    if (Date.now() > deadline) throw new Error(`instrumentation.ts did not publish the runtime within ${appearWithinMs} ms (is the build older than scripts/start.mjs? run npm run build)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const INGEST_PATH = '/api/v1/ingest';
const STREAM_PATH = '/api/v1/stream';

/** An answer its route compressed names its encoding in ENCODED_HEADER: Content-Encoding again (Next drops a route's own). */
function restoreEncoding(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) => setHeader(name.toLowerCase() === ENCODED_HEADER ? 'content-encoding' : name, value);
}

export interface FrontDoor {
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** From now on requests go to Next (and the published handlers). */
  ready(next: NodeHandler): void;
}

export function createFrontDoor(log: (message: string, err: unknown) => void = (m, e) => console.error(m, e)): FrontDoor {
  let next: NodeHandler | null = null;
  const gate = new ReadsFirst(() => Math.min(MAX_PARK_MS, publishedIngest()?.maxParkMs ?? MAX_PARK_MS));
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const pathname = url.split(/[?#]/, 1)[0] ?? '/';
    const bad = badPathSegment(pathname);
    if (bad !== null) {
      answer(req, res, 400, {}, `the path is not valid percent-encoding at ${JSON.stringify(bad.slice(0, 64))}: every % must start a UTF-8 byte sequence such as %C3%A9`);
      return;
    }
    if (next === null) {
      answer(req, res, 503, { 'retry-after': '1' }, 'vcpumap is starting: it is opening its store; try again in a second');
      return;
    }
    const ingest = req.method === 'POST' && pathname === INGEST_PATH ? publishedIngest() : undefined;
    const stream = req.method === 'GET' && pathname === STREAM_PATH ? published(STREAM_HANDLER_KEY) : undefined;
    let handled: Promise<void>;
    if (ingest !== undefined) handled = gate.push(req, res, ingest);
    else if (stream !== undefined) handled = stream(req, res);
    else {
      // Pages, the read API and their assets: ingest waits while they are answered.
      if (req.method === 'GET' || req.method === 'HEAD') res.once('close', gate.read());
      if (pathname.startsWith('/api/')) restoreEncoding(res);
      handled = next(req, res);
    }
    handled.catch((err: unknown) => {
      log(`vcpumap: ${req.method ?? 'GET'} ${pathname.slice(0, 200)} failed:`, err);
      if (!res.headersSent) answer(req, res, 500, { connection: 'close' }, 'internal error; see the server log');
      else res.end();
    });
  };
  return {
    listener,
    ready(handle) {
      next = handle;
    },
  };
}

function published(key: symbol): NodeHandler | undefined {
  const h: unknown = Reflect.get(globalThis, key);
  return typeof h === 'function' ? (h as NodeHandler) : undefined;
}

function publishedIngest(): IngestNodeHandler | undefined {
  const h: unknown = Reflect.get(globalThis, INGEST_HANDLER_KEY);
  return typeof h === 'function' ? (h as IngestNodeHandler) : undefined;
}

/** The first path segment that decodeURIComponent refuses (a lone %, %ff, a cut UTF-8 sequence), or null. */
export function badPathSegment(pathname: string): string | null {
  if (!pathname.includes('%')) return null;
  for (const segment of pathname.split('/')) {
    if (!segment.includes('%')) continue;
    try {
      decodeURIComponent(segment);
    } catch {
      return segment;
    }
  }
  return null;
}

/** An error answer: a small HTML page for a browser asking for a page, else `{ "error": ... }`. */
function answer(req: IncomingMessage, res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, message: string): void {
  const wantsPage = !(req.url ?? '').startsWith('/api/') && /\btext\/html\b/.test(req.headers.accept ?? '');
  const body = wantsPage ? page(status, message) : JSON.stringify({ error: message });
  res.writeHead(status, {
    'content-type': wantsPage ? 'text/html; charset=utf-8' : 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function page(status: number, message: string): string {
  const starting = status === 503;
  // A starting server: the page reloads itself; the wall screen comes back without a human.
  const refresh = starting ? '<meta http-equiv="refresh" content="2">' : '';
  const title = starting ? 'vcpumap is starting' : 'Bad request';
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">${refresh}<title>${title} · vcpumap</title></head>` +
    '<body style="font-family:system-ui,sans-serif;background:#020617;color:#e2e8f0;padding:2rem">' +
    `<h1>${title}</h1><p role="${starting ? 'status' : 'alert'}">${escapeHtml(message)}</p></body></html>`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
