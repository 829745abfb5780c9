// POST /api/v1/ingest on Node's own request and response, for the server in scripts/start.mjs:
// the same checks and answers as the Next route (ingest.ts), without Next's per-request work
// (routing, Web Request and Response objects), which capped ingest near 800 requests/s.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ingest } from './ingest';

/** Where scripts/start.mjs finds the handler: set by instrumentation.ts once the runtime is up. */
export const INGEST_HANDLER_KEY = Symbol.for('vcpumap.ingest-node');

export async function handleIngestNode(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const header = (name: string): string | null => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : null;
  };
  const a = await ingest({
    authorization: header('authorization'),
    contentLength: header('content-length'),
    contentEncoding: header('content-encoding'),
    // Not destroyed when reading stops early (413): the answer still has to go out on the socket.
    body: { [Symbol.asyncIterator]: () => req.iterator({ destroyOnReturn: false }) },
  });
  res.writeHead(a.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(a.body)),
    ...a.headers,
    // A body left unread (rejected before or while reading) is not drained: close the connection.
    ...(req.readableEnded ? {} : { connection: 'close' }),
  });
  res.end(a.body);
}

export function publishIngestHandler(): void {
  Reflect.set(globalThis, INGEST_HANDLER_KEY, handleIngestNode);
}
