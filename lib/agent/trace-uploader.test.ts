import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TraceAnswer } from './trace-export';
import { TraceUploader } from './trace-uploader';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function uploader(answer: (from: number, to: number) => TraceAnswer) {
  const sent: Sent[] = [];
  const u = new TraceUploader({
    url: 'http://dash:3000',
    token: 'tok',
    host: 'hv 1',
    log: () => {},
    trace: (from, to) => Promise.resolve(answer(from, to)),
    fetchImpl: (url, init) => {
      sent.push({ url: String(url), headers: init?.headers as Record<string, string>, body: gunzipSync(init?.body as Uint8Array).toString() });
      return Promise.resolve(Response.json({ delivered: true }, { status: 202 }));
    },
  });
  const settled = async (): Promise<void> => {
    while (u.inProgress > 0) await new Promise((r) => setTimeout(r, 5));
  };
  return { u, sent, settled };
}

describe('TraceUploader', () => {
  it("uploads each requested window's trace, gzipped, with the agent token, to the request's address", async () => {
    const { u, sent, settled } = uploader((from, to) => ({ ok: true, text: `# tracer: nop\n${from}-${to}\n`, events: 7, fromMs: from, toMs: to, keptFromMs: 500 }));
    u.onIngestAnswer(JSON.stringify({ stored: 3, traceRequests: [{ id: 'a-1', from: 1000, to: 2000 }] }));
    await settled();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe('http://dash:3000/api/v1/hosts/hv%201/trace/a-1');
    expect(sent[0]?.headers).toMatchObject({ authorization: 'Bearer tok', 'content-encoding': 'gzip', 'x-vcpumap-trace-events': '7', 'x-vcpumap-trace-kept-from': '500' });
    expect(sent[0]?.body).toBe('# tracer: nop\n1000-2000\n');
  });

  it('answers a window it does not keep with JSON saying so', async () => {
    const { u, sent, settled } = uploader(() => ({ ok: false, status: 404, error: 'no longer kept', keptFromMs: 900 }));
    u.onIngestAnswer(JSON.stringify({ stored: 1, traceRequests: [{ id: 'b', from: 1, to: 2 }] }));
    await settled();
    expect(sent[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual({ status: 404, error: 'no longer kept', keptFromMs: 900 });
  });

  it('ignores answers without requests, and malformed requests', async () => {
    const { u, sent, settled } = uploader(() => ({ ok: false, status: 409, error: 'x', keptFromMs: null }));
    u.onIngestAnswer('{"stored":1}');
    u.onIngestAnswer('not json traceRequests');
    u.onIngestAnswer(JSON.stringify({ traceRequests: [{ id: '../../x', from: 1, to: 2 }, { id: 'c', from: 3, to: 2 }, { id: 'd', from: 'x', to: 2 }] }));
    await settled();
    expect(sent).toHaveLength(0);
  });
});
