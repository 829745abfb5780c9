// GET /api/v1/stream[?host=H[&format=frames]]: Server-Sent Events. With a host: `snapshot`
// events (or, with format=frames, `structure` and `tick` events: live-events.ts), id = the
// frame's time, so a reconnecting EventSource sends Last-Event-ID and gets the newest snapshot
// at once plus a `gap` event naming the window it missed (to fetch from /history). Without a
// host: `fleet` events (the /hosts summary) at most once a second. Comment heartbeats keep
// proxies from closing an idle stream.
import { FrameSplitter } from '../../wire/frame';
import { errorResponse, HttpError } from '../http-errors';
import { frameEvents, type StreamFormat } from '../live-events';
import { getRuntime, type Runtime } from '../runtime';
import { pathName } from './params';
import { requireViewer } from './viewer';

const FLEET_EVERY_MS = 1000;
/** A client this many bytes behind is too slow: it gets the newest event only. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export async function getStream(req: Request): Promise<Response> {
  let rt: Runtime;
  let host: string | null;
  let format: StreamFormat;
  try {
    rt = await getRuntime();
    requireViewer(req, rt);
    const url = new URL(req.url);
    const h = url.searchParams.get('host');
    host = h === null ? null : pathName('host', h);
    const f = url.searchParams.get('format');
    if (f !== null && f !== 'frames' && f !== 'snapshots') throw new HttpError(400, `format=${JSON.stringify(f)}: expected "frames" or "snapshots"`);
    format = f === 'frames' ? 'frames' : 'snapshots';
    const lastId = req.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
    const resumeFrom = lastId !== null && /^\d{1,16}$/.test(lastId) ? Number(lastId) : null;
    return new Response(eventStream(rt, host, format, resumeFrom, req.signal), {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}

function eventStream(rt: Runtime, host: string | null, format: StreamFormat, resumeFrom: number | null, signal: AbortSignal): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cleanup = (): void => {};
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      const send = (text: string): void => {
        if (closed) return;
        const size = controller.desiredSize ?? 0;
        if (size < -MAX_BUFFERED) return; // the client is not reading; skip rather than buffer without bound
        controller.enqueue(enc.encode(text));
      };
      // The structure this client was sent last (format=frames): a tick names it by hash.
      const sent = { hash: null as string | null };

      let fleetTimer: ReturnType<typeof setTimeout> | null = null;
      let fleetDirty = false;
      const sendFleet = async (): Promise<void> => {
        fleetDirty = false;
        const hosts = await rt.store.hosts();
        send(`event: fleet\ndata: ${JSON.stringify({ at: Date.now(), hosts })}\n\n`);
      };
      const unsubscribe = rt.store.onFrame((f) => {
        if (host !== null) {
          if (f.host === host) for (const text of frameEvents(format, f, sent)) send(text);
          return;
        }
        fleetDirty = true;
        fleetTimer ??= setTimeout(() => {
          fleetTimer = null;
          if (fleetDirty) sendFleet().catch(() => {});
        }, FLEET_EVERY_MS);
      });
      const heartbeat = setInterval(() => send(`: heartbeat ${Date.now()}\n\n`), rt.config.sseHeartbeatMs);
      rt.metrics.sseClients++;
      cleanup = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        if (fleetTimer) clearTimeout(fleetTimer);
        rt.metrics.sseClients--;
        try {
          controller.close();
        } catch {
          // already closed by the client going away
        }
      };
      signal.addEventListener('abort', cleanup, { once: true });

      // EventSource retries after this many ms when the connection drops.
      send('retry: 2000\n\n');
      if (host === null) {
        await sendFleet();
        return;
      }
      const latest = await rt.store.latest(host);
      if (!latest) return;
      if (resumeFrom !== null && latest.at > resumeFrom) {
        send(`event: gap\ndata: ${JSON.stringify({ from: resumeFrom, to: latest.at })}\n\n`);
      }
      if (resumeFrom === null || latest.at > resumeFrom) for (const text of frameEvents(format, new FrameSplitter().split(latest), sent)) send(text);
    },
    cancel() {
      cleanup();
    },
  });
}
