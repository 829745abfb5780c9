// npm run bench:ingest: frames of a realistic 64-vCPU host (scripts/bench/realistic-mix.ts: 7 VMs,
// 72 threads, 64 pCPUs; pinned and floating vCPUs, jittery run and wait times) posted for many
// hosts to the built server (scripts/start.mjs), as agents post them: compact ticks, the
// structure with a host's first request (BENCH_FORMAT=full: full snapshots). Prints, each
// beside its target:
//   1. sustained ingest, one frame per request: frames/s, p50/p99 per request, and the CPU time
//      per frame of the server and of the posters (this process), which the machine's other load
//      sways far less than frames/s
//   2. the same with batches of BENCH_BATCH frames (default 20): frames/s and thread-samples/s
//      (each host's clock goes on from phase 1: its frames are newer than any stored), then the
//      same batches with every host's clock started again an hour ago, i.e. between frames
//      stored already (what phase 2 measured before; BENCH_BACKFILL=0 skips it)
//   3. the server's RSS with a full live window: BENCH_HOSTS x BENCH_FILL_MINUTES at 1 Hz, beside
//      the same server's RSS before the fill (what no host costs: Node, Next.js, the store open)
//   4. disk: bytes per thread-sample of the SQLite data directory after that fill, its minutes
//      compacted (the server stopped cleanly), and per table (chunks: the closed minutes; ticks:
//      each host's last minute, still rows; residency; structures)
// SQLite by default; BENCH_PG=1 runs phases 1-3 against a throw-away PostgreSQL.
// The posters use node:http with keep-alive (as many sockets as posters): fetch (undici) costs
// the shared two cores about three times as much per request, which the server would pay for.
// Knobs: BENCH_HOSTS (500), BENCH_SECONDS (20), BENCH_BATCH (20), BENCH_WORKERS (16),
// BENCH_FILL_MINUTES (15; 0 skips phases 3 and 4), BENCH_FORMAT (compact | full); the overload
// phase (bench-ingest-overload.ts) has its own: BENCH_OVERLOAD_POSTERS (300), BENCH_OVERLOAD_SECONDS.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startServer, type TestServer } from '../test/integration/helpers/server';
import { startPostgres } from '../test/integration/helpers/postgres';
import { dataDirBytes, tableBytes } from './bench/disk';
import { framePool, type HostFrames } from './bench/ingest-frames';
import { closePosters, ingestBody, push } from './bench/post';
import { overloadPhase } from './bench-ingest-overload';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 20);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 16);
const FILL_MINUTES = Number(process.env.BENCH_FILL_MINUTES ?? 15);
const COMPACT = (process.env.BENCH_FORMAT ?? 'compact') !== 'full';
const BACKFILL = process.env.BENCH_BACKFILL !== '0';
const TOKEN = 'bench-ingest-token-0123456789';

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function rssMb(pid: number | null, field = 'VmRSS'): number {
  if (pid === null) return NaN;
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

/** CPU time the process has used (ms, all its threads): user + system from /proc/PID/stat. */
function cpuMs(pid: number | null): number {
  if (pid === null) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ

const load = (): string => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;

/** Each host's clock: it reports one frame per second from `start` on; `next[h]` frames sent so far. */
interface Clocks {
  readonly start: number; // epoch ms
  readonly next: number[];
}

/** Every host reports at its own clock (`clocks`, carried on from phase to phase), one second per frame. */
async function sustained(server: TestServer, hosts: readonly HostFrames[], batch: number, known: Set<HostFrames>, clocks: Clocks): Promise<Phase> {
  const { start, next } = clocks;
  const server0 = cpuMs(server.pid());
  const own0 = process.cpuUsage();
  let h = 0;
  const latencies: number[] = [];
  let frames = 0;
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (performance.now() < until) {
        const host = h++ % hosts.length;
        const hf = hosts[host];
        if (hf === undefined) break;
        const parts: string[] = [];
        for (let k = 0; k < batch; k++) {
          const i = (next[host] = (next[host] ?? 0) + 1);
          parts.push(hf.frame(i, start + 1000 * i));
        }
        latencies.push(await push(server.url, TOKEN, hf, parts, known));
        frames += batch;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  latencies.sort((a, b) => a - b);
  return {
    fps: frames / secs,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    secs,
    serverUsPerFrame: ((cpuMs(server.pid()) - server0) * 1000) / frames,
    postersUsPerFrame: (own.user + own.system) / frames,
  };
}

interface Phase {
  readonly fps: number;
  readonly p50: number; // ms per request
  readonly p99: number;
  readonly secs: number;
  /** CPU time per frame (us): the server's, and this process's (the posters and their frames). Less sensitive to other load than frames/s. */
  readonly serverUsPerFrame: number;
  readonly postersUsPerFrame: number;
}

const cpu = (p: Phase): string => `CPU per frame: server ${p.serverUsPerFrame.toFixed(0)} us, posters ${p.postersUsPerFrame.toFixed(0)} us`;

/** Clocks for every host starting an hour ago. */
const clocksFromAnHourAgo = (hosts: number): Clocks => ({ start: Date.now() - 3_600_000, next: new Array<number>(hosts).fill(0) });

async function main(): Promise<void> {
  const pool = framePool(120, COMPACT);
  const pg = process.env.BENCH_PG === '1' ? await startPostgres() : null;
  const env = {
    VCPUMAP_AGENT_TOKEN: TOKEN,
    VCPUMAP_MAX_INGEST_IN_FLIGHT: String(WORKERS * 2),
    VCPUMAP_MAX_BODY_BYTES: String(64 * 1024 * 1024),
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  let server = await startServer(env);
  const backend = pg ? 'PostgreSQL' : 'SQLite';
  try {
    const sample = pool.forHost('host-0000');
    const format = COMPACT ? `compact ticks of ${sample.frame(1, Date.now()).length} bytes (structure ${sample.structure?.length ?? 0} bytes, sent once per host)` : `full snapshots of ${sample.frame(1, Date.now()).length} bytes`;
    console.log(`${backend}: realistic frames of ${pool.vcpus} vCPUs and ${pool.threads} threads as ${format}; ${HOSTS} hosts, ${WORKERS} concurrent agents; ${load()}`);
    const hosts = Array.from({ length: HOSTS }, (_, i) => pool.forHost(`host-${String(i).padStart(4, '0')}`));
    const known = new Set<HostFrames>();
    // Each host's first push carries its structure (24 kB, hashed and stored once): made before
    // the timed phases, which measure the steady state of agents that are already known.
    const w0 = performance.now();
    let first = 0;
    const warmAt = Date.now() - 7_200_000;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let i = first++; i < hosts.length; i = first++) {
          const hf = hosts[i];
          if (hf !== undefined) await push(server.url, TOKEN, hf, [hf.frame(0, warmAt)], known);
        }
      }),
    );
    console.log(`  first contact of ${HOSTS} hosts (structure and one frame each, untimed below): ${((performance.now() - w0) / 1000).toFixed(1)} s; ${load()}`);
    // The hosts' clocks go on from phase to phase: each phase is the steady state of agents
    // reporting the present, every frame newer than what the server has of its host.
    const clocks = clocksFromAnHourAgo(HOSTS);
    const one = await sustained(server, hosts, 1, known, clocks);
    const oneTarget = pg ? 5000 : 8000;
    console.log(
      `  1 frame per request:   ${one.fps.toFixed(0)} frames/s (target >= ${oneTarget}) = ${((one.fps * pool.threads) / 1e3).toFixed(0)}k thread-samples/s over ${one.secs.toFixed(1)} s; per request p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms; ${cpu(one)}; ${load()}`,
    );
    if (BATCH > 1) {
      const many = await sustained(server, hosts, BATCH, known, clocks);
      console.log(
        `  ${BATCH} frames per request: ${many.fps.toFixed(0)} frames/s = ${((many.fps * pool.threads) / 1e6).toFixed(2)}M thread-samples/s${pg ? '' : ' (target >= 1M)'} over ${many.secs.toFixed(1)} s; per request p50 ${many.p50.toFixed(1)} ms, p99 ${many.p99.toFixed(1)} ms; ${cpu(many)}; ${load()}`,
      );
      if (BACKFILL) {
        // What this phase printed before the clocks carried on: every host's clock started again
        // an hour ago, so its frames fell between the ones already stored (minutes compacted
        // already, sealed live-window segments): a backfill, not the steady state above.
        const back = await sustained(server, hosts, BATCH, known, clocksFromAnHourAgo(HOSTS));
        console.log(
          `  ${BATCH} frames per request, clocks started again an hour ago (between frames stored above; this line's figure was printed as the batched one before): ${back.fps.toFixed(0)} frames/s over ${back.secs.toFixed(1)} s; per request p50 ${back.p50.toFixed(1)} ms, p99 ${back.p99.toFixed(1)} ms; ${cpu(back)}; ${load()}`,
        );
      }
    }

    await overloadPhase({
      token: TOKEN,
      hosts: HOSTS,
      env: pg ? { DATABASE_URL: pg.url } : {},
      body: (i, at, withStructure) => {
        const hf = hosts[i];
        if (hf === undefined) throw new Error(`no host ${i}`);
        return ingestBody(hf, [hf.frame(Math.floor(at / 1000), at)], withStructure);
      },
    });

    if (FILL_MINUTES > 0) {
      // A fresh server for the window and the disk: only these frames in it.
      await server.stop();
      server = await startServer(env);
      known.clear();
      const idleRss = rssMb(server.pid());
      const perHost = FILL_MINUTES * 60;
      const now = Math.floor(Date.now() / 60_000) * 60_000; // the fill ends at a minute: every minute closes
      const f0 = performance.now();
      let host = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (host < HOSTS) {
            const hf = pool.forHost(`fill-${String(host++).padStart(4, '0')}`);
            for (let i = 0; i < perHost; i += 100) {
              const parts: string[] = [];
              for (let k = i; k < Math.min(perHost, i + 100); k++) parts.push(hf.frame(k, now - (perHost - k) * 1000));
              await push(server.url, TOKEN, hf, parts, known);
            }
          }
        }),
      );
      const frames = HOSTS * perHost;
      console.log(
        `  live window: ${HOSTS} hosts x ${FILL_MINUTES} min at 1 Hz (${frames} frames) stored in ${((performance.now() - f0) / 1000).toFixed(0)} s; server RSS ${rssMb(server.pid()).toFixed(0)} MB (target < 200 MB; ${rssMb(server.pid(), 'RssAnon').toFixed(0)} MB anonymous), before the fill ${idleRss.toFixed(0)} MB; ${load()}`,
      );
      if (!pg) {
        await server.stop(); // SIGTERM: the store compacts every closed minute and closes
        const bytes = dataDirBytes(server.dataDir);
        console.log(
          `  disk: ${(bytes / 1024 / 1024).toFixed(1)} MB of SQLite for ${frames} frames = ${(bytes / (frames * pool.threads)).toFixed(2)} bytes per thread-sample (target <= 3), ${(bytes / frames).toFixed(0)} bytes per frame`,
        );
        const perSample = (b: number): string => (b / (frames * pool.threads)).toFixed(2);
        const tables = tableBytes(server.dataDir);
        const rest = tables.slice(5).reduce((n, t) => n + t.bytes, 0);
        console.log(`    per table, bytes per thread-sample (of which the rows' own bytes): ${tables.slice(0, 5).map((t) => `${t.name} ${perSample(t.bytes)} (${perSample(t.payload)})`).join(', ')}, the rest ${perSample(rest)}`);
      }
    }
  } finally {
    closePosters();
    await server.stop();
    await pg?.stop();
  }
}

await main();
