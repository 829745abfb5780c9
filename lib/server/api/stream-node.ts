// GET /api/v1/stream on Node's own response, for the server in scripts/start.mjs (stream.ts
// says what the stream carries). Here the fan-out sees the socket's real backlog and the
// client's real address, for the per-client bound.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STREAM_HANDLER_KEY } from '../front-door';
import { HttpError } from '../http-errors';
import { getRuntime } from '../runtime';
import type { EventSink } from '../sse/fanout';
import { parseStreamRequest, STREAM_HEADERS } from './stream';
import { requireViewer, type TokenSource } from './viewer';

export async function handleStreamNode(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const src: TokenSource = {
    url: req.url ?? '/',
    header: (n) => {
      const v = req.headers[n];
      return typeof v === 'string' ? v : null;
    },
  };
  try {
    const rt = await getRuntime();
    requireViewer(src, rt);
    const { host, format, resumeFrom, tiles } = parseStreamRequest(src);
    let closed = false;
    let close = (): void => {};
    const sink: EventSink = {
      backlog: () => res.writableLength,
      write: (event) => {
        if (closed) return;
        if (!res.headersSent) res.writeHead(200, STREAM_HEADERS);
        res.write(event);
      },
      drop: () => {
        closed = true;
        close();
        res.destroy(); // what it has not sent is discarded with the socket
      },
    };
    const opened = await rt.live.attach(req.socket.remoteAddress ?? 'unknown', host, format, resumeFrom, sink, tiles);
    if (!opened.ok) throw new HttpError(opened.status, opened.reason, { 'retry-after': '5' });
    close = opened.close;
    if (!res.headersSent) res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    res.once('close', () => {
      closed = true;
      close();
    });
    if (res.destroyed) close();
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    if (!(err instanceof HttpError)) console.error('vcpumap: stream failed:', err);
    if (res.headersSent) {
      res.end();
      return;
    }
    const body = JSON.stringify({ error: err instanceof HttpError ? err.message : 'internal error; see the server log' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(err instanceof HttpError ? err.headers : {}) });
    res.end(body);
  }
}

export function publishStreamHandler(): void {
  Reflect.set(globalThis, STREAM_HANDLER_KEY, handleStreamNode);
}
