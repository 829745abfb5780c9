// POST /api/v1/ingest on Node's own request and response, for the server in scripts/start.mjs:
// the same checks and answers as the Next route (ingest.ts), without Next's per-request work
// (routing, Web Request and Response objects), which capped ingest near 800 requests/s. Here the
// socket is in reach, so two things the Next route cannot do are done:
// - body timeouts: a body that stalls for 2 s (or takes over 10 s) gets 408 and loses its slot
//   and its connection, so stalled uploads cannot lock agents out;
// - an answer given before the body was read (401, 503, 413, 415, 400) is followed by draining
//   the rest of the body, up to a bound and while bytes keep coming, so that the client reads
//   the answer instead of a reset connection (and, for a small body, keeps its connection).
// The front door may have parked the request behind reads (lib/server/reads-first.ts): how long
// comes as `queuedMs`, and counts as queueing for load shedding.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '../config';
import { INGEST_HANDLER_KEY, type IngestNodeHandler } from '../front-door';
import { readableWithTimeouts } from '../read-body';
import { ingest } from './ingest';

export const BODY_IDLE_MS = 2000;
export const BODY_TOTAL_MS = 10_000;
/** The rest of a refused body is read and thrown away up to this, within DRAIN_MS; then the connection is closed. */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 5000;

export async function handleIngestNode(req: IncomingMessage, res: ServerResponse, queuedMs = 0): Promise<void> {
  const header = (name: string): string | null => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : null;
  };
  // Not destroyed when reading stops early (413): the answer still has to go out on the socket.
  const a = await ingest({
    authorization: header('authorization'),
    contentLength: header('content-length'),
    contentEncoding: header('content-encoding'),
    queuedMs,
    body: readableWithTimeouts(req, { idleMs: BODY_IDLE_MS, totalMs: BODY_TOTAL_MS }),
  });
  const stalled = a.status === 408;
  res.writeHead(a.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(a.body)),
    ...a.headers,
    ...(stalled ? { connection: 'close' } : {}),
  });
  if (stalled) {
    // The client stopped sending: it has its answer; its socket goes now.
    res.end(a.body, () => req.socket.destroy());
    return;
  }
  res.end(a.body);
  drain(req);
}

/**
 * Reads and discards what is left of the body, within bounds; past them the connection goes.
 * The bounds are a read's own (readableWithTimeouts): a body that stalls while drained goes after
 * BODY_IDLE_MS, as it would have while read, so an upload refused with 503 because stalled ones
 * held the slots does not hold its socket longer; the whole drain gets DRAIN_MS.
 */
function drain(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  const read = async (): Promise<boolean> => {
    let bytes = 0;
    for await (const chunk of readableWithTimeouts(req, { idleMs: BODY_IDLE_MS, totalMs: DRAIN_MS })) {
      bytes += chunk.byteLength;
      if (bytes > DRAIN_MAX_BYTES) return false;
    }
    return true;
  };
  read().then(
    (whole) => {
      if (!whole) req.socket.destroy();
    },
    () => req.socket.destroy(), // stalled, too slow, or the client went
  );
}

export function publishIngestHandler(): void {
  // A push parked behind reads longer than the shedding bound would be shed anyway: start it then.
  let maxParkMs: number | undefined;
  try {
    maxParkMs = loadConfig().shedQueueMs;
  } catch {
    maxParkMs = undefined; // a bad setting: the runtime says so when it starts
  }
  const handler: IngestNodeHandler = Object.assign(handleIngestNode, { maxParkMs });
  Reflect.set(globalThis, INGEST_HANDLER_KEY, handler);
}
