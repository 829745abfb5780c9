// GET /api/v1/stream[?host=H]: Server-Sent Events. With a host: `snapshot` events, id = the
// frame's time, so a reconnecting EventSource sends Last-Event-ID and gets the newest snapshot
// at once plus a `gap` event naming the window it missed (to fetch from /history). Without a
// host: `fleet` events (the /hosts summary) at most once a second, or with `view=tiles` the fleet
// view's tiles as deltas (`tiles` events, lib/server/fleet-feed.ts). Comment heartbeats keep
// proxies from closing an idle stream.
import type { Snapshot } from '../../model/snapshot';
import { errorResponse } from '../http-errors';
import { fleetFeed, FleetCursor } from '../fleet-feed';
import { getRuntime, type Runtime } from '../runtime';
import { pathName } from './params';
import { requireViewer } from './viewer';

const FLEET_EVERY_MS = 1000;
/** A client this many bytes behind is too slow: it gets the newest event only. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export async function getStream(req: Request): Promise<Response> {
  let rt: Runtime;
  let host: string | null;
  try {
    rt = await getRuntime();
    requireViewer(req, rt);
    const url = new URL(req.url);
    const h = url.searchParams.get('host');
    host = h === null ? null : pathName('host', h);
    const lastId = req.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
    const resumeFrom = lastId !== null && /^\d{1,16}$/.test(lastId) ? Number(lastId) : null;
    const tiles = host === null && url.searchParams.get('view') === 'tiles' ? new FleetCursor(fleetFeed(rt.store)) : null;
    return new Response(eventStream(rt, host, resumeFrom, req.signal, tiles), {
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

function eventStream(rt: Runtime, host: string | null, resumeFrom: number | null, signal: AbortSignal, tiles: FleetCursor | null): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cleanup = (): void => {};
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      const send = (text: string): boolean => {
        if (closed) return false;
        const size = controller.desiredSize ?? 0;
        if (size < -MAX_BUFFERED) return false; // the client is not reading; skip rather than buffer without bound
        controller.enqueue(enc.encode(text));
        return true;
      };
      const snapshotEvent = (s: Snapshot): string => `id: ${s.at}\nevent: snapshot\ndata: ${JSON.stringify(s)}\n\n`;

      let fleetTimer: ReturnType<typeof setTimeout> | null = null;
      let fleetDirty = false;
      const sendFleet = async (): Promise<void> => {
        fleetDirty = false;
        if (tiles !== null) {
          // A skipped delta would leave the viewer wrong for good: start it over instead.
          if (!send(`event: tiles\ndata: ${JSON.stringify(await tiles.next())}\n\n`)) tiles.invalidate();
          return;
        }
        const hosts = await rt.store.hosts();
        send(`event: fleet\ndata: ${JSON.stringify({ at: Date.now(), hosts })}\n\n`);
      };
      const unsubscribe = rt.store.onFrame((s) => {
        if (host !== null) {
          if (s.host === host) send(snapshotEvent(s));
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
        tiles?.close();
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
      if (resumeFrom === null || latest.at > resumeFrom) send(snapshotEvent(latest));
    },
    cancel() {
      cleanup();
    },
  });
}
