// Reads a request body up to a byte limit, inflating gzip on the way, and stops reading as soon
// as the limit is passed: a huge body (or a gzip bomb) is rejected before it is held whole.
import { createGunzip } from 'node:zlib';
import { HttpError } from './http-errors';

export async function readBodyLimited(req: Request, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  if (!req.body) throw new HttpError(400, 'empty body: send a JSON snapshot or { "frames": [...] }');
  const encoding = (req.headers.get('content-encoding') ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(415, `unsupported Content-Encoding "${encoding}": use gzip or none`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const push = (chunk: Uint8Array): void => {
    total += chunk.byteLength;
    if (total > limitBytes) throw tooLarge(limitBytes);
    chunks.push(Buffer.from(chunk));
  };
  const reader = req.body.getReader();
  try {
    if (encoding === 'gzip') {
      await gunzipLimited(reader, push, limitBytes);
    } else {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        push(value);
      }
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  return Buffer.concat(chunks, total);
}

async function gunzipLimited(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  push: (c: Uint8Array) => void,
  limitBytes: number,
): Promise<void> {
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
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
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

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `body over the limit of ${limit} bytes (VCPUMAP_MAX_BODY_BYTES): send smaller batches`);
}

/** The body parsed as JSON, within the same limits; 400 with the parser's message when it is not JSON. */
export async function readJsonBody(req: Request, limitBytes: number): Promise<unknown> {
  const body = await readBodyLimited(req, limitBytes);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
