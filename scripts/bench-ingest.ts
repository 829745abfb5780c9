// npm run bench:ingest: replays real agent frames (a 64-vCPU guest captured by the agent at the
// start) for many hosts against the built server (scripts/start.mjs). Prints sustained frames/s
// with p50/p99 latency per ingest request, then the server's RSS with a full live window (hosts x
// minutes at 1 Hz). SQLite by default; BENCH_PG=1 runs the same against a throw-away PostgreSQL.
// Frames are sent as the agent's pusher sends them: compact ticks (lib/wire/compact-tick.ts), the
// structure with a host's first request; BENCH_FORMAT=full sends full snapshots instead.
// The posters use node:http with keep-alive (as many sockets as posters): fetch (undici) costs
// the shared two cores about three times as much per request, which the server would pay for.
// Knobs: BENCH_HOSTS (500), BENCH_SECONDS (20), BENCH_BATCH (1), BENCH_WORKERS (16),
// BENCH_FILL_MINUTES (15; 0 skips the RSS phase), BENCH_FORMAT (compact | full); the overload
// phase (bench-ingest-overload.ts) has its own: BENCH_OVERLOAD_POSTERS (300), BENCH_OVERLOAD_SECONDS.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { Agent } from '../lib/agent/agent';
import type { Snapshot } from '../lib/model/snapshot';
import { snapshotJson } from '../lib/model/snapshot-json';
import { encodeTick } from '../lib/wire/compact-tick';
import { extractStructure, structureHash, structureJson } from '../lib/wire/structure-body';
import { startGuest } from '../test/integration/helpers/guests';
import { requireQemu } from '../test/integration/helpers/preconditions';
import { startServer } from '../test/integration/helpers/server';
import { startPostgres } from '../test/integration/helpers/postgres';
import { overloadPhase } from './bench-ingest-overload';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const FILL_MINUTES = Number(process.env.BENCH_FILL_MINUTES ?? 15);
const COMPACT = (process.env.BENCH_FORMAT ?? 'compact') !== 'full';
const TOKEN = 'bench-ingest-token-0123456789';

async function captureFrame(): Promise<Snapshot> {
  const g = await startGuest({ name: 'bench-64', smp: 64, paused: true, qmpSockets: 1 });
  try {
    const agent = await Agent.create({ host: 'x', intervalMs: 1000, procRoot: '/proc', sysRoot: '/sys', libvirtDir: '/run/libvirt/qemu', pinsFile: null, log: () => {} });
    await agent.prepare();
    agent.sample();
    await new Promise((r) => setTimeout(r, 1000));
    const snap = agent.sample();
    agent.close();
    const vm = snap.vms.find((v) => v.name === 'bench-64');
    if (!vm || vm.vcpus.length !== 64) throw new Error('could not capture a 64-vCPU frame');
    return { ...snap, vms: [vm], violations: [] };
  } finally {
    await g.stop();
  }
}

/** A host's frames as the pusher would send them, with the time filled in by string concatenation (cheap for the client). */
interface HostFrames {
  /** The host's structure JSON (compact format), sent with its first request; null for full frames. */
  readonly structure: string | null;
  frame(at: number): string;
}

function hostFrames(template: Snapshot, host: string): HostFrames {
  const s = { ...template, host, at: 4242424242424 };
  if (!COMPACT) return splitAt(snapshotJson(s), null);
  const structure = structureJson(extractStructure(s));
  const tick = encodeTick(s, structureHash(structure));
  if (tick === null) throw new Error('the captured frame does not fit a compact tick');
  return splitAt(JSON.stringify(tick), structure);
}

function splitAt(json: string, structure: string | null): HostFrames {
  const [a, c] = json.split('4242424242424');
  return { structure, frame: (at) => `${a}${at}${c}` };
}

/** The body of one request: the host's structure when the server may not have it yet. */
function body(h: HostFrames, frames: readonly string[], withStructure: boolean): string {
  const list = `"frames":[${frames.join(',')}]`;
  return withStructure && h.structure !== null ? `{"structures":[${h.structure}],${list}}` : `{${list}}`;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

const agent = new HttpAgent({ keepAlive: true, maxSockets: WORKERS });

/** POSTs one ingest body; resolves with the status and the time it took (ms). */
function post(url: string, body: string): Promise<{ status: number; ms: number; text: string }> {
  const t = performance.now();
  const u = new URL('/api/v1/ingest', url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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

/** Posts frames of one host, with its structure on the first request and after a 409 (as the pusher does). */
async function push(url: string, h: HostFrames, frames: readonly string[], known: Set<HostFrames>): Promise<number> {
  let r = await post(url, body(h, frames, !known.has(h)));
  if (r.status === 409) r = await post(url, body(h, frames, true));
  if (r.status !== 202) throw new Error(`ingest: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  known.add(h);
  return r.ms;
}

function rssMb(pid: number | null): number {
  if (pid === null) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

async function main(): Promise<void> {
  requireQemu();
  const template = await captureFrame();
  const sample = hostFrames(template, 'host-0000');
  const bytes = sample.frame(Date.now()).length;
  const pg = process.env.BENCH_PG === '1' ? await startPostgres() : null;
  const server = await startServer({
    VCPUMAP_AGENT_TOKEN: TOKEN,
    VCPUMAP_MAX_INGEST_IN_FLIGHT: String(WORKERS * 2),
    VCPUMAP_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  });
  const backend = pg ? 'PostgreSQL' : 'SQLite';
  try {
    const format = COMPACT ? `compact ticks of ${bytes} bytes (structure ${sample.structure?.length ?? 0} bytes, sent once per host)` : `full snapshots of ${bytes} bytes`;
    console.log(`${backend}: frames of 64 vCPUs as ${format}; ${HOSTS} hosts, ${WORKERS} concurrent agents, ${BATCH} frame(s) per request`);
    const hosts = Array.from({ length: HOSTS }, (_, i) => hostFrames(template, `host-${String(i).padStart(4, '0')}`));
    const known = new Set<HostFrames>();
    // Throughput: every host reports at its own clock, one second per frame, starting in the past.
    const start = Date.now() - 3_600_000;
    const next = new Array<number>(HOSTS).fill(0);
    let h = 0;
    const latencies: number[] = [];
    let frames = 0;
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (performance.now() < until) {
        const host = h++ % HOSTS;
        const hf = hosts[host];
        if (hf === undefined) break;
        const parts: string[] = [];
        for (let k = 0; k < BATCH; k++) parts.push(hf.frame(start + 1000 * (next[host] = (next[host] ?? 0) + 1)));
        latencies.push(await push(server.url, hf, parts, known));
        frames += BATCH;
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`  sustained: ${(frames / secs).toFixed(0)} frames/s over ${secs.toFixed(1)} s (target 2000); latency per request p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms (target p99 < 50 ms)`);

    await overloadPhase({
      token: TOKEN,
      hosts: HOSTS,
      env: pg ? { DATABASE_URL: pg.url } : {},
      body: (i, at, withStructure) => {
        const hf = hosts[i];
        if (hf === undefined) throw new Error(`no host ${i}`);
        return body(hf, [hf.frame(at)], withStructure);
      },
    });

    if (FILL_MINUTES > 0) {
      // Live window: every host gets FILL_MINUTES of 1 Hz frames ending now, in batches.
      const perHost = FILL_MINUTES * 60;
      const now = Date.now();
      const f0 = performance.now();
      let host = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (host < HOSTS) {
          const hf = hostFrames(template, `fill-${String(host++).padStart(4, '0')}`);
          for (let i = 0; i < perHost; i += 100) {
            const parts: string[] = [];
            for (let k = i; k < Math.min(perHost, i + 100); k++) parts.push(hf.frame(now - (perHost - k) * 1000));
            await push(server.url, hf, parts, known);
          }
        }
      }));
      console.log(`  live window: ${HOSTS} hosts x ${FILL_MINUTES} min at 1 Hz (${HOSTS * perHost} frames) stored in ${((performance.now() - f0) / 1000).toFixed(0)} s; server RSS ${rssMb(server.pid()).toFixed(0)} MB (target < 400 MB)`);
    }
  } finally {
    agent.destroy();
    await server.stop();
    await pg?.stop();
  }
}

await main();
