// Reads a request body up to a byte limit, inflating gzip on the way, and stops reading as soon
// as the limit is passed: a huge body (or a gzip bomb) is rejected before it is held whole.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { HttpError } from './http-errors';

/** A request body with the headers that say how to read it: a Web Request's or a Node request's. */
export interface BodySource {
  readonly contentLength: string | null;
  readonly contentEncoding: string | null;
  /** The raw bytes; leaving the iteration early must stop reading (a Web stream is cancelled). */
  readonly body: AsyncIterable<Uint8Array> | null;
}

export function webBodySource(req: Request): BodySource {
  return { contentLength: req.headers.get('content-length'), contentEncoding: req.headers.get('content-encoding'), body: req.body };
}

export async function readBodyLimited(req: Request | BodySource, limitBytes: number): Promise<Buffer> {
  const src = req instanceof Request ? webBodySource(req) : req;
  const declared = Number(src.contentLength ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  if (!src.body) throw new HttpError(400, 'empty body: send a JSON snapshot or { "frames": [...] }');
  const encoding = (src.contentEncoding ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(415, `unsupported Content-Encoding "${encoding}": use gzip or none`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const push = (chunk: Uint8Array): void => {
    total += chunk.byteLength;
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  };
  if (encoding === 'gzip') {
    await gunzipLimited(src.body, push, limitBytes);
  } else {
    for await (const chunk of src.body) push(chunk);
  }
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total);
}

async function gunzipLimited(body: AsyncIterable<Uint8Array>, push: (c: Uint8Array) => void, limitBytes: number): Promise<void> {
  const gunzip = createGunzip();
  let failure: unknown = null;
  gunzip.on('data', (c: Buffer) => {
    try {
      push(c);
    } catch (err) {
      failure = err;
      gunzip.destroy();
    }
  });
  const ended = new Promise<void>((resolve, reject) => {
    gunzip.once('end', resolve);
    gunzip.once('close', resolve);
    gunzip.once('error', (err) => reject(new HttpError(400, `body is not valid gzip: ${err.message}`)));
  });
  let compressed = 0;
  for await (const value of body) {
    compressed += value.byteLength;
    if (compressed > limitBytes) throw tooLarge(limitBytes);
    if (failure) break;
    // A destroyed stream (limit passed, bad gzip) never drains: stop waiting when it closes.
    if (!gunzip.write(value) && !gunzip.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          gunzip.off('drain', done);
          gunzip.off('close', done);
          resolve();
        };
        gunzip.once('drain', done);
        gunzip.once('close', done);
      });
    }
  }
  if (!failure) gunzip.end();
  await ended;
  if (failure) throw failure;
}

export interface BodyTimeouts {
  /** Longest wait for the next chunk (ms): a stalled upload gives its ingest slot back by then. */
  readonly idleMs: number;
  /** Longest time for the whole body (ms): a trickle is cut off too. */
  readonly totalMs: number;
}

/**
 * The body of a Node request as chunks, failing with 408 when one does not come within `idleMs`
 * or the whole body takes longer than `totalMs`. Read with the stream's own events and two
 * timers for the whole body: a Readable's async iterator and a timer raced against every chunk
 * cost a push of one frame more than its JSON did (npm run bench:ingest, CPU profile). Leaving
 * early stops listening and pauses the stream, which stays open (the answer still goes out on its
 * socket, and what is left of the body may be drained).
 */
export function readableWithTimeouts(stream: Readable, t: BodyTimeouts): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const queue: Uint8Array[] = [];
      let ended = false;
      let failure: unknown = null;
      let waiting: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (err: unknown) => void } | null = null;
      const settle = (): void => {
        const w = waiting;
        if (w === null) return;
        const chunk = queue.shift();
        if (chunk !== undefined) {
          waiting = null;
          w.resolve({ done: false, value: chunk });
        } else if (failure !== null) {
          waiting = null;
          w.reject(failure);
        } else if (ended) {
          waiting = null;
          w.resolve({ done: true, value: undefined });
        }
      };
      const fail = (err: unknown): void => {
        if (failure !== null || ended) return;
        failure = err;
        stop();
        settle();
      };
      const onData = (chunk: Buffer): void => {
        idle.refresh();
        queue.push(chunk);
        if (queue.length > 16) stream.pause(); // the reader fell behind: let the socket wait
        settle();
      };
      const onEnd = (): void => {
        ended = true;
        stop();
        settle();
      };
      const onClose = (): void => fail(new Error('the client closed the connection before the body ended'));
      const idle = setTimeout(() => fail(new HttpError(408, `body stalled: no byte for ${t.idleMs} ms`, { connection: 'close' })), t.idleMs);
      const total = setTimeout(() => fail(new HttpError(408, `body not received within ${t.totalMs} ms: the upload is too slow`, { connection: 'close' })), t.totalMs);
      function stop(): void {
        clearTimeout(idle);
        clearTimeout(total);
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', fail);
        stream.off('close', onClose);
      }
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.once('error', fail);
      stream.once('close', onClose);
      stream.resume();
      return {
        next: () =>
          new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
            waiting = { resolve, reject };
            if (queue.length <= 16 && !ended && failure === null) stream.resume();
            settle();
          }),
        return: async () => {
          if (!ended) {
            stop();
            stream.pause();
            // Chunks read but not taken go back: what is left of the body is all there to drain.
            for (let c = queue.pop(); c !== undefined; c = queue.pop()) stream.unshift(c);
          }
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `body over the limit of ${limit} bytes (VCPUMAP_MAX_BODY_BYTES): send smaller batches`);
}

/** The body parsed as JSON, within the same limits; 400 with the parser's message when it is not JSON. */
export async function readJsonBody(req: Request | BodySource, limitBytes: number): Promise<unknown> {
  const body = await readBodyLimited(req, limitBytes);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
