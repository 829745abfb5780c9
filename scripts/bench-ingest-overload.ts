// The overload phase of `npm run bench:ingest` (called from bench-ingest.ts), on a server of its
// own with the default load shedding (the test helper turns shedding off): many concurrent
// posters, each one host pushing one frame a request as fast as it is answered, and, like the
// agent, waiting the Retry-After of a 503 before its next push. Meanwhile readers (in a worker
// thread of their own) time the dashboard's reads. Prints: ingest accepted per second, the share shed, p99 of accepted
// requests, and p50/p99 of GET /api/v1/hosts and of the fleet page `/` under that load
// (target: p99 under 250 ms while ingest is shed).
// Knobs: BENCH_OVERLOAD_POSTERS (300; 0 skips the phase), BENCH_OVERLOAD_SECONDS (15).
import { Agent as HttpAgent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { startServer } from '../test/integration/helpers/server';

export interface OverloadTarget {
  readonly token: string;
  /** Environment of the server (its store): the phase starts a server of its own, shedding as in production. */
  readonly env: Readonly<Record<string, string>>;
  readonly hosts: number;
  /** The body of one push of host `host` with a frame at `at`; with its structure when the server may lack it. */
  body(host: number, at: number, withStructure: boolean): string;
}

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly retryAfterS: number | null;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function send(url: URL, agent: HttpAgent, method: string, path: string, headers: Record<string, string | number>, body?: string): Promise<Answer> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const ra = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - t, retryAfterS: Number.isFinite(ra) ? ra : null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function overloadPhase(target: OverloadTarget): Promise<void> {
  const posters = Number(process.env.BENCH_OVERLOAD_POSTERS ?? 300);
  const seconds = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 15);
  if (posters <= 0) return;
  const server = await startServer({
    ...target.env,
    VCPUMAP_AGENT_TOKEN: target.token,
    // The production defaults (README): what this phase measures.
    VCPUMAP_SHED_LAG_MS: '50',
    VCPUMAP_SHED_QUEUE_MS: '250',
    VCPUMAP_MAX_INGEST_IN_FLIGHT: '16',
  });
  try {
    // Next loads a route's modules on its first request (seconds on a loaded machine): not what
    // this phase measures, so each read is made once before the posters start.
    for (const path of ['/api/v1/hosts', '/']) await (await fetch(new URL(path, server.url), { headers: { accept: path === '/' ? 'text/html' : 'application/json' } })).arrayBuffer();
    await measure(new URL(server.url), target, posters, seconds);
  } finally {
    await server.stop();
  }
}

// The readers run in a worker thread, with an event loop of their own: timed in the posters' loop,
// a read would also count the time that loop took to look at its answer among 300 posters'.
const READERS = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const { url, ms } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const until = performance.now() + ms;
const get = (path) => new Promise((resolve, reject) => {
  const t = performance.now();
  const u = new URL(path, url);
  const req = request({ host: u.hostname, port: u.port, path, agent, headers: { accept: path === '/' ? 'text/html' : 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error('overload: GET ' + path + ' answered HTTP ' + res.statusCode))));
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end();
});
const out = { hosts: [], page: [] };
const reader = async (path, into) => {
  while (performance.now() < until) {
    into.push(await get(path));
    await new Promise((r) => setTimeout(r, 50));
  }
};
Promise.all([reader('/api/v1/hosts', out.hosts), reader('/api/v1/hosts', out.hosts), reader('/', out.page)]).then(
  () => { agent.destroy(); parentPort.postMessage(out); },
  (err) => { agent.destroy(); parentPort.postMessage({ error: String(err && err.message ? err.message : err) }); },
);
`;

/** Two readers of GET /api/v1/hosts and one of the fleet page, 50 ms apart each, for `ms`: the time of each read. */
function readersApart(url: URL, ms: number): Promise<{ hosts: number[]; page: number[] }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(READERS, { eval: true, workerData: { url: url.href, ms } });
    w.once('message', (m: { hosts: number[]; page: number[] } | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    w.once('error', reject);
  });
}

async function measure(url: URL, target: OverloadTarget, posters: number, seconds: number): Promise<void> {
  const pushAgent = new HttpAgent({ keepAlive: true, maxSockets: posters });
  const accepted: number[] = []; // ms of each 202
  const statuses = new Map<number, number>();
  const reads: { hosts: number[]; page: number[] } = { hosts: [], page: [] };
  const until = performance.now() + seconds * 1000;
  const start = Date.now() - 7_200_000; // frames in the past, one second apart per host
  const known = new Set<number>();

  const poster = async (i: number): Promise<void> => {
    const host = i % target.hosts;
    let k = 0;
    while (performance.now() < until) {
      const body = target.body(host, start + 1000 * k, !known.has(host));
      let a = await send(url, pushAgent, 'POST', '/api/v1/ingest', { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body);
      if (a.status === 409) {
        const again = target.body(host, start + 1000 * k, true);
        a = await send(url, pushAgent, 'POST', '/api/v1/ingest', { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(again) }, again);
      }
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (a.status === 202) {
        known.add(host);
        accepted.push(a.ms);
        k++;
      } else if (a.status === 503 || a.status === 429) {
        // As the agent does: wait what the server asked for (the frame stays queued).
        await new Promise((r) => setTimeout(r, Math.min(until - performance.now(), (a.retryAfterS ?? 1) * 1000)));
      } else {
        throw new Error(`overload: ingest answered HTTP ${a.status}`);
      }
    }
  };
  const t0 = performance.now();
  const [, timed] = await Promise.all([Promise.all(Array.from({ length: posters }, (_, i) => poster(i))), readersApart(url, until - performance.now())]);
  reads.hosts.push(...timed.hosts);
  reads.page.push(...timed.page);
  const secs = (performance.now() - t0) / 1000;
  pushAgent.destroy();
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const shed = (statuses.get(503) ?? 0) + (statuses.get(429) ?? 0);
  accepted.sort((a, b) => a - b);
  reads.hosts.sort((a, b) => a - b);
  reads.page.sort((a, b) => a - b);
  console.log(`  overload: ${posters} concurrent posters for ${secs.toFixed(1)} s, each waiting its Retry-After when shed (as the agent does)`);
  console.log(
    `    ingest accepted ${(accepted.length / secs).toFixed(0)}/s; shed ${((100 * shed) / Math.max(1, total)).toFixed(1)}% of ${total} requests; ` +
      `accepted p50 ${pct(accepted, 0.5).toFixed(1)} ms, p99 ${pct(accepted, 0.99).toFixed(1)} ms`,
  );
  const verdict = (p99: number): string => (p99 < 250 ? 'ok' : 'OVER');
  const h99 = pct(reads.hosts, 0.99);
  const p99 = pct(reads.page, 0.99);
  console.log(`    GET /api/v1/hosts meanwhile: p50 ${pct(reads.hosts, 0.5).toFixed(1)} ms, p99 ${h99.toFixed(1)} ms (${reads.hosts.length} reads; target p99 < 250 ms: ${verdict(h99)})`);
  console.log(`    GET / (fleet page) meanwhile: p50 ${pct(reads.page, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${reads.page.length} reads; target p99 < 250 ms: ${verdict(p99)})`);
}
