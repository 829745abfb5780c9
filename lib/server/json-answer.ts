// A JSON answer of the read API, compressed here when it is big: Next's own compression (gzip at
// level 6, on the event loop) took 180 ms for a big host's 3.4 MiB history, where brotli at
// quality 1 takes 20 ms in zlib's thread pool (344 KiB on the wire against 249 KiB). Such an
// answer says `no-transform`, which Next's compression leaves alone, and names its encoding in
// ENCODED_HEADER, which the front door turns back into Content-Encoding (Next drops a route's own).
// Small answers are left to Next.
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The Content-Encoding of an answer compressed here, under a name Next passes on (front-door.ts restores it). */
export const ENCODED_HEADER = 'x-vcpumap-content-encoding';

/** Below this many bytes of JSON, compressing here is not worth a trip to the thread pool. */
export const COMPRESS_OVER = 64 * 1024;

export type AnswerEncoding = 'br' | 'gzip' | 'identity';

/** The encoding to answer with for an Accept-Encoding header (brotli first; q=0 refuses one). */
export function answerEncoding(acceptEncoding: string | null): AnswerEncoding {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    if (name !== '' && (q === undefined || Number(q) > 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

/** `value` as a JSON Response with `cacheControl`, compressed when it is big and the client takes it. */
export async function jsonAnswer(req: Request, value: unknown, cacheControl: string): Promise<Response> {
  const json = JSON.stringify(value);
  const encoding = json.length > COMPRESS_OVER ? answerEncoding(req.headers.get('accept-encoding')) : 'identity';
  if (encoding === 'identity') return new Response(json, { headers: { 'content-type': 'application/json', 'cache-control': cacheControl } });
  const body =
    encoding === 'br'
      ? await brotliAsync(json, { params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: json.length } })
      : await gzipAsync(json, { level: 1 });
  return new Response(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), {
    headers: { 'content-type': 'application/json', 'cache-control': `${cacheControl}, no-transform`, [ENCODED_HEADER]: encoding, vary: 'accept-encoding' },
  });
}
