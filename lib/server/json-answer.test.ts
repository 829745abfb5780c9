import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { answerEncoding, COMPRESS_OVER, ENCODED_HEADER, jsonAnswer } from './json-answer';

const big = { ticks: Array.from({ length: COMPRESS_OVER / 4 }, (_, i) => i) };
const req = (acceptEncoding?: string): Request => new Request('http://x/api/v1/hosts', acceptEncoding === undefined ? {} : { headers: { 'accept-encoding': acceptEncoding } });

describe('jsonAnswer', () => {
  it('compresses a big answer with brotli, or gzip, as the client takes it, and leaves a small one alone', async () => {
    const br = await jsonAnswer(req('gzip, deflate, br, zstd'), big, 'no-store');
    expect(br.headers.get(ENCODED_HEADER)).toBe('br');
    expect(br.headers.get('cache-control')).toBe('no-store, no-transform');
    expect(JSON.parse(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString())).toEqual(big);
    const gz = await jsonAnswer(req('gzip'), big, 'no-store');
    expect(gz.headers.get(ENCODED_HEADER)).toBe('gzip');
    expect(JSON.parse(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString())).toEqual(big);
    const plain = await jsonAnswer(req(), big, 'no-store');
    expect(plain.headers.get(ENCODED_HEADER)).toBeNull();
    expect(plain.headers.get('cache-control')).toBe('no-store');
    expect(await plain.json()).toEqual(big);
    const small = await jsonAnswer(req('br'), { ok: 1 }, 'no-store');
    expect(small.headers.get(ENCODED_HEADER)).toBeNull();
    expect(await small.json()).toEqual({ ok: 1 });
  });

  it('reads Accept-Encoding with q-values', () => {
    expect(answerEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(answerEncoding('identity')).toBe('identity');
    expect(answerEncoding('*')).toBe('gzip');
    expect(answerEncoding(null)).toBe('identity');
    expect(answerEncoding('BR')).toBe('br');
  });
});
