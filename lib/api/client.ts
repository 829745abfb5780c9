// The browser's client of /api/v1 (docs/api.md): every answer it reads is checked against the
// contract (reply-validators.ts) before a page sees it, so an answer that is not what the docs say
// is an Error naming the route and the field ("GET /api/v1/hosts/hv-01/history: not a History:
// threads.3.tid: expected an integer >= 1"), never a page drawn from it. Errors keep the server's
// `{ error }` message. The validators load on first use, beside the first request.
import type { FleetTile, TilesEvent } from './fleet';
import type { History } from './history';
import type { ErrorBody } from './hosts';
import type { Reply } from './reply-validators';
import type { Snapshot } from '../model/snapshot';
import type { CompactTick } from '../wire/compact-tick';
import type { StructureBody } from '../wire/structure-body';

type Validators = typeof import('./reply-validators');

/**
 * `load` once, its promise shared by every call; a failed load is forgotten, so the next call
 * tries again. A chunk that could not be fetched while the server restarted must not leave a
 * live page unable to read any answer or event until it is reloaded.
 */
export function onceUntilFailed<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (pending === null) {
      const p = load();
      pending = p;
      p.catch(() => {
        if (pending === p) pending = null;
      });
    }
    return pending;
  };
}

/** The compiled validators (a chunk of their own); starts loading them on the first call. */
export const replyValidators: () => Promise<Validators> = onceUntilFailed(() => import('./reply-validators'));

/** An answer of the API that is an error, or that is not what docs/api.md says it is. */
export class ApiError extends Error {
  /** The HTTP status; for an answer that did not match the contract, the (2xx) status it came with. */
  readonly status: number;
  /** What is wrong without the request: the server's `{ error }` (or status line), else the message. */
  readonly reason: string;
  /** The analyze route's `fields`: field -> why it could not be read. */
  readonly fields: Readonly<Record<string, string>>;
  constructor(message: string, status: number, reason = message, fields: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.fields = fields;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `body` as `reply` has it, or an ApiError naming the request and the first wrong field. */
function decode<T>(request: string, status: number, reply: Reply<T>, body: unknown): T {
  try {
    return reply.parse(body);
  } catch (err) {
    throw new ApiError(`${request}: not a ${reply.what} as docs/api.md has it: ${describe(err)}`, status);
  }
}

/** The ApiError of a non-2xx answer: its `{ error, fields }` when it has them, else its status line. */
async function failure(request: string, res: Response, v: Validators): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: keep the status line
  }
  let e: ErrorBody | null = null;
  try {
    e = v.errorBodyReply.parse(body);
  } catch {
    // not the API's error body (a proxy's page): keep the status line
  }
  const reason = e?.error ?? `${res.status} ${res.statusText}`;
  return new ApiError(`${request}: ${reason}`, res.status, reason, e?.fields ?? {});
}

async function answer<T>(request: string, res: Response, v: Validators, reply: Reply<T>): Promise<T> {
  if (!res.ok) throw await failure(request, res, v);
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new ApiError(`${request}: the answer is not JSON (${describe(err)})`, res.status);
  }
  return decode(request, res.status, reply, body);
}

/** GET `url` (a path under /api/v1) as `pick` of the validators. */
async function get<T>(url: string, pick: (v: Validators) => Reply<T>): Promise<T> {
  // No cache option: the API answers no-store, and the page's preload of the first history must match.
  const [res, v] = await Promise.all([fetch(url), replyValidators()]);
  return answer(`GET ${url}`, res, v, pick(v));
}

/** SWR fetchers: the key is the URL. */
export const fetchSnapshot = (url: string): Promise<Snapshot> => get(url, (v) => v.snapshotReply);
export const fetchHistory = (url: string): Promise<History> => get(url, (v) => v.historyReply);
export const fetchFleet = (): Promise<FleetTile[]> => get('/api/v1/fleet', (v) => v.fleetReply);

/** The pasted texts of POST /api/v1/analyze (docs/api.md, Analyze). */
export interface AnalyzeRequest {
  readonly ps?: string;
  readonly queryCpusFast?: string;
  readonly libvirtXml?: string;
  readonly pins?: string;
  readonly topology?: string;
  readonly host?: string;
}

/** The snapshot of a paste; a paste that cannot be read is an ApiError whose `fields` say why, per field. */
export async function postAnalyze(body: AnalyzeRequest): Promise<Snapshot> {
  const url = '/api/v1/analyze';
  const [res, v] = await Promise.all([fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), replyValidators()]);
  return answer(`POST ${url}`, res, v, v.analyzeReply);
}

/** A window's scheduler trace (GET /api/v1/hosts/{host}/trace): ftrace text for Perfetto. */
export interface TraceFile {
  readonly blob: Blob;
  readonly fileName: string;
  /** The event lines, as the server counted them; null when it did not say. */
  readonly events: number | null;
}

export async function fetchTrace(host: string, win: { readonly from: number; readonly to: number }): Promise<TraceFile> {
  const url = `/api/v1/hosts/${encodeURIComponent(host)}/trace?from=${Math.round(win.from)}&to=${Math.round(win.to)}`;
  const [res, v] = await Promise.all([fetch(url, { credentials: 'same-origin' }), replyValidators()]);
  if (!res.ok) throw await failure(`GET ${url}`, res, v);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `vcpumap-${host}.ftrace.txt`;
  const events = res.headers.get('x-vcpumap-trace-events');
  return { blob: await res.blob(), fileName: name, events: events !== null && /^\d+$/.test(events) ? Number(events) : null };
}

/**
 * The events of GET /api/v1/stream, decoded once the validators are loaded: an EventSource's
 * handlers are synchronous, so they take `streamDecoders()` (a promise) and handle each event in
 * its `then`, which keeps the events in order.
 */
export interface StreamDecoders {
  structure(data: string): { hash: string; body: StructureBody };
  /** A tick and the structure it names (from `structureOf`), checked to fit it; null when that structure is not at hand. */
  tick(data: string, structureOf: (hash: string) => StructureBody | undefined): { tick: CompactTick; body: StructureBody } | null;
  tiles(data: string): TilesEvent;
}

function json(event: string, data: string): unknown {
  try {
    return JSON.parse(data);
  } catch (err) {
    throw new ApiError(`stream event ${event}: not JSON (${describe(err)})`, 200);
  }
}

export const streamDecoders: () => Promise<StreamDecoders> = onceUntilFailed(() =>
  replyValidators().then((v): StreamDecoders => ({
    structure: (data) => decode('stream event structure', 200, v.structureEventReply, json('structure', data)),
    tick(data, structureOf) {
      const t = decode('stream event tick', 200, v.tickReply, json('tick', data));
      const body = structureOf(t.structure);
      if (body === undefined) return null;
      try {
        return { tick: v.fittedTick(t, body), body };
      } catch (err) {
        throw new ApiError(`stream event tick: does not fit the structure it names: ${describe(err)}`, 200);
      }
    },
    tiles: (data) => decode('stream event tiles', 200, v.tilesEventReply, json('tiles', data)),
  })),
);
