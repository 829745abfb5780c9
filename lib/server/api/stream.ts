// GET /api/v1/stream[?host=H[&format=frames]]: Server-Sent Events (docs/api.md "Stream"). With a
// host: `snapshot` events (or, with format=frames, `structure` and `tick` events:
// lib/server/sse/live-events.ts), id = the frame's time, so a reconnecting EventSource sends Last-Event-ID and gets the
// newest snapshot at once plus a `gap` event naming the window it missed (to fetch from
// /history). Without a host: `fleet` events (the /hosts summary) at most once a second, or with
// `view=tiles` the fleet view's tiles as deltas (`tiles` events, lib/server/fleet-feed.ts). Comment
// heartbeats keep proxies from closing an idle stream. The events come from lib/server/sse; this
// file and stream-node.ts only carry them: here as a Web stream (the Next route, `next dev`),
// there on Node's response (`npm start`, where the client's address is known).
import { errorResponse, HttpError } from '../http-errors';
import { getRuntime } from '../runtime';
import type { EventSink } from '../sse/fanout';
import type { StreamFormat } from '../sse/live-events';
import { pathName } from './params';
import { requireViewer, webTokenSource, type TokenSource } from './viewer';

export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export interface StreamRequest {
  readonly host: string | null;
  readonly format: StreamFormat;
  readonly resumeFrom: number | null;
  /** A fleet stream of tiles (`view=tiles`) rather than the summary. */
  readonly tiles: boolean;
}

/** The host and the Last-Event-ID (header, or `lastEventId` for a reopened EventSource) of a stream request. */
export function parseStreamRequest(src: TokenSource): StreamRequest {
  const url = new URL(src.url, 'http://x');
  const h = url.searchParams.get('host');
  const f = url.searchParams.get('format');
  if (f !== null && f !== 'frames' && f !== 'snapshots') throw new HttpError(400, `format=${JSON.stringify(f)}: expected "frames" or "snapshots"`);
  const lastId = src.header('last-event-id') ?? url.searchParams.get('lastEventId');
  return {
    host: h === null ? null : pathName('host', h),
    format: f === 'frames' ? 'frames' : 'snapshots',
    resumeFrom: lastId !== null && /^\d{1,16}$/.test(lastId) ? Number(lastId) : null,
    tiles: h === null && url.searchParams.get('view') === 'tiles',
  };
}

export async function getStream(req: Request): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    const { host, format, resumeFrom, tiles } = parseStreamRequest(webTokenSource(req));
    // Next sets x-forwarded-for from the socket when the request does not bring one; a client can
    // bring its own, so here the per-client bound is best effort (stream-node.ts uses the socket).
    const client = req.headers.get('x-forwarded-for')?.split(',', 1)[0]?.trim() || 'unknown';
    let close = (): void => {};
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      close();
    };
    const stream = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c;
        },
        cancel: end,
      },
      // desiredSize counts bytes: the fan-out's backlog bound is in bytes.
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
    const sink: EventSink = {
      backlog: () => (controller === null ? 0 : Math.max(0, 64 * 1024 - (controller.desiredSize ?? 0))),
      write: (event) => controller?.enqueue(new Uint8Array(event.buffer, event.byteOffset, event.byteLength)),
      drop: () => {
        end();
        controller?.error(new Error('event stream dropped: the client did not read'));
      },
    };
    const opened = await rt.live.attach(client, host, format, resumeFrom, sink, tiles);
    if (!opened.ok) throw new HttpError(opened.status, opened.reason, { 'retry-after': '5' });
    close = opened.close;
    req.signal.addEventListener('abort', end, { once: true });
    if (req.signal.aborted) end();
    return new Response(stream, { headers: STREAM_HEADERS });
  } catch (err) {
    return errorResponse(err);
  }
}
