import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readableWithTimeouts, readBodyLimited } from './read-body';

function request(body: Uint8Array | string, headers: Record<string, string> = {}, chunked = false): Request {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      // Several chunks, the way a socket delivers a large body.
      for (let i = 0; i < bytes.length; i += 16_384) c.enqueue(bytes.slice(i, i + 16_384));
      c.close();
    },
  });
  return new Request('http://x/', {
    method: 'POST',
    headers: chunked ? headers : { 'content-length': String(bytes.length), ...headers },
    body: stream,
    duplex: 'half',
  } as RequestInit);
}

describe('readBodyLimited', () => {
  it('reads plain and gzip bodies', async () => {
    expect((await readBodyLimited(request('{"a":1}'), 100)).toString()).toBe('{"a":1}');
    const gz = new Uint8Array(gzipSync('{"b":2}'));
    expect((await readBodyLimited(request(gz, { 'content-encoding': 'gzip' }), 100)).toString()).toBe('{"b":2}');
  });

  it('rejects a declared length over the limit before reading', async () => {
    await expect(readBodyLimited(request('x'.repeat(200)), 100)).rejects.toMatchObject({ status: 413 });
  });

  it('stops a chunked body at the limit', async () => {
    await expect(readBodyLimited(request('x'.repeat(100_000), {}, true), 1000)).rejects.toMatchObject({ status: 413 });
  });

  it('stops a gzip bomb at the limit without hanging', async () => {
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(20_000_000, 0x20)));
    await expect(readBodyLimited(request(bomb, { 'content-encoding': 'gzip' }, true), 100_000)).rejects.toMatchObject({ status: 413 });
  });

  it('rejects bad gzip and unknown encodings', async () => {
    await expect(readBodyLimited(request('not gzip', { 'content-encoding': 'gzip' }), 1000)).rejects.toMatchObject({ status: 400 });
    await expect(readBodyLimited(request('x', { 'content-encoding': 'br' }), 1000)).rejects.toMatchObject({ status: 415 });
  });
});

describe('readableWithTimeouts', () => {
  /** A stream that gives one byte after each delay (ms), then ends. */
  function chunks(delays: readonly number[]): PassThrough {
    const s = new PassThrough();
    void (async () => {
      for (const d of delays) {
        await new Promise((r) => setTimeout(r, d));
        if (s.destroyed) return;
        s.write(new Uint8Array([1]));
      }
      s.end();
    })();
    return s;
  }
  const drain = async (body: AsyncIterable<Uint8Array>): Promise<number> => {
    let n = 0;
    for await (const c of body) n += c.byteLength;
    return n;
  };

  it('passes a body that keeps moving', async () => {
    expect(await drain(readableWithTimeouts(chunks([5, 5, 5]), { idleMs: 200, totalMs: 1000 }))).toBe(3);
  });

  it('fails with 408 when the body stalls, long before it would end', async () => {
    const t = performance.now();
    const s = chunks([5, 5_000]);
    await expect(drain(readableWithTimeouts(s, { idleMs: 100, totalMs: 10_000 }))).rejects.toMatchObject({ status: 408, message: /stalled/ });
    expect(performance.now() - t).toBeLessThan(1000);
    s.destroy();
  });

  it('fails with 408 when a trickle passes the total bound', async () => {
    await expect(drain(readableWithTimeouts(chunks(Array(50).fill(20)), { idleMs: 100, totalMs: 200 }))).rejects.toMatchObject({ status: 408, message: /too slow/ });
  });

  it('leaves the stream paused and open when the reader stops early, for the rest to be drained', async () => {
    const s = new PassThrough();
    s.write(new Uint8Array([1, 2]));
    s.write(new Uint8Array([3]));
    for await (const c of readableWithTimeouts(s, { idleMs: 100, totalMs: 1000 })) {
      expect(c.byteLength).toBe(2);
      break;
    }
    expect(s.destroyed).toBe(false);
    expect(s.isPaused()).toBe(true);
    s.end();
    let rest = 0;
    s.on('data', (c: Buffer) => (rest += c.byteLength));
    s.resume();
    await new Promise((r) => s.once('end', r));
    expect(rest).toBe(1);
  });

  it('fails when the stream closes before it ends', async () => {
    const s = new PassThrough();
    s.write(new Uint8Array([1]));
    const read = drain(readableWithTimeouts(s, { idleMs: 1000, totalMs: 1000 }));
    setTimeout(() => s.destroy(), 10);
    await expect(read).rejects.toThrow(/closed the connection/);
  });
});
