// npm run bench:ingest: replays real agent frames (a 64-vCPU guest captured by the agent at the
// start) for many hosts against the built server. Prints sustained frames/s with p50/p99 latency
// per ingest request, then the server's RSS with a full live window (hosts x minutes at 1 Hz).
// SQLite by default; BENCH_PG=1 runs the same against a throw-away PostgreSQL.
// Knobs: BENCH_HOSTS (500), BENCH_SECONDS (20), BENCH_BATCH (1), BENCH_WORKERS (16),
// BENCH_FILL_MINUTES (15; 0 skips the RSS phase).
import { readFileSync } from 'node:fs';
import { Agent } from '../lib/agent/agent';
import type { Snapshot } from '../lib/model/snapshot';
import { startGuest } from '../test/integration/helpers/guests';
import { requireQemu } from '../test/integration/helpers/preconditions';
import { startServer } from '../test/integration/helpers/server';
import { startPostgres } from '../test/integration/helpers/postgres';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const FILL_MINUTES = Number(process.env.BENCH_FILL_MINUTES ?? 15);
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

/** A serialised frame with host and time filled in by string concatenation (cheap for the client). */
function frameMaker(template: Snapshot): (host: string, at: number) => string {
  const marked = JSON.stringify({ ...template, host: '@@HOST@@', at: 4242424242424 });
  const [a, rest] = marked.split('"@@HOST@@"');
  const [b, c] = (rest ?? '').split('4242424242424');
  return (host, at) => `${a}${JSON.stringify(host)}${b}${at}${c}`;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function post(url: string, body: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
  await res.text();
  if (res.status !== 202) throw new Error(`ingest: HTTP ${res.status}`);
  return performance.now() - t;
}

function rssMb(pid: number | null): number {
  if (pid === null) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

async function main(): Promise<void> {
  requireQemu();
  const frame = frameMaker(await captureFrame());
  const bytes = frame('host-0000', Date.now()).length;
  const pg = process.env.BENCH_PG === '1' ? await startPostgres() : null;
  const server = await startServer({
    VCPUMAP_AGENT_TOKEN: TOKEN,
    VCPUMAP_MAX_INGEST_IN_FLIGHT: String(WORKERS * 2),
    VCPUMAP_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  });
  const backend = pg ? 'PostgreSQL' : 'SQLite';
  try {
    console.log(`${backend}: frames of 64 vCPUs, ${bytes} bytes of JSON each; ${HOSTS} hosts, ${WORKERS} concurrent agents, ${BATCH} frame(s) per request`);
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
        const parts: string[] = [];
        for (let k = 0; k < BATCH; k++) parts.push(frame(`host-${String(host).padStart(4, '0')}`, start + 1000 * (next[host] = (next[host] ?? 0) + 1)));
        latencies.push(await post(server.url, `{"frames":[${parts.join(',')}]}`));
        frames += BATCH;
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`  sustained: ${(frames / secs).toFixed(0)} frames/s over ${secs.toFixed(1)} s (target 2000); latency per request p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms (target p99 < 50 ms)`);

    if (FILL_MINUTES > 0) {
      // Live window: every host gets FILL_MINUTES of 1 Hz frames ending now, in batches.
      const perHost = FILL_MINUTES * 60;
      const now = Date.now();
      const f0 = performance.now();
      let host = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (host < HOSTS) {
          const name = `fill-${String(host++).padStart(4, '0')}`;
          for (let i = 0; i < perHost; i += 100) {
            const parts: string[] = [];
            for (let k = i; k < Math.min(perHost, i + 100); k++) parts.push(frame(name, now - (perHost - k) * 1000));
            await post(server.url, `{"frames":[${parts.join(',')}]}`);
          }
        }
      }));
      console.log(`  live window: ${HOSTS} hosts x ${FILL_MINUTES} min at 1 Hz (${HOSTS * perHost} frames) stored in ${((performance.now() - f0) / 1000).toFixed(0)} s; server RSS ${rssMb(server.pid()).toFixed(0)} MB (target < 400 MB)`);
    }
  } finally {
    await server.stop();
    await pg?.stop();
  }
}

await main();
