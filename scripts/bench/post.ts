// The posting side of bench:ingest: one node:http agent with keep-alive, a structure with a
// host's first request and again after a 409, as the agent's pusher does.
import { Agent as HttpAgent, request } from 'node:http';
import type { HostFrames } from './ingest-frames';

const agent = new HttpAgent({ keepAlive: true, maxSockets: Number(process.env.BENCH_WORKERS ?? 16) });

export function closePosters(): void {
  agent.destroy();
}

/** POSTs one ingest body; resolves with the status and the time it took (ms). */
export function post(url: string, token: string, body: string): Promise<{ status: number; ms: number; text: string }> {
  const t = performance.now();
  const u = new URL('/api/v1/ingest', url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The body of one request: the host's structure when the server may not have it yet. */
export function ingestBody(h: HostFrames, frames: readonly string[], withStructure: boolean): string {
  const list = `"frames":[${frames.join(',')}]`;
  return withStructure && h.structure !== null ? `{"structures":[${h.structure}],${list}}` : `{${list}}`;
}

/** Posts frames of one host; resolves with the request's time (ms). */
export async function push(url: string, token: string, h: HostFrames, frames: readonly string[], known: Set<HostFrames>): Promise<number> {
  let r = await post(url, token, ingestBody(h, frames, !known.has(h)));
  if (r.status === 409) r = await post(url, token, ingestBody(h, frames, true));
  if (r.status !== 202) throw new Error(`ingest: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  known.add(h);
  return r.ms;
}
