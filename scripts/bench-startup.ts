// Time to ready after a restart with a big data dir (issue 8, "Start-up"): fills a SQLite data dir
// through the store to BENCH_STARTUP_GB (1) of synthetic 64-pCPU hosts at 1 Hz ending now, then
// starts the built server on it (scripts/start.mjs, as `npm start`) and prints: time to the first
// answer, time to ready (the first 200 of GET /api/v1/hosts), and the slowest of the "starting"
// 503s answered meanwhile (target: ready under 5 s, no request held). Run it alone, or call
// startupFigures() from another bench (bench:ui calls it last; BENCH_ONLY=startup runs only it).
// Knobs: BENCH_STARTUP_GB (1), BENCH_STARTUP_HOSTS (200), BENCH_STARTUP_DIR (a data dir to reuse:
// filled once, kept between runs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { hostFrames } from '../test/support/snapshot-factory';
import { openStore } from '../lib/server/store/store';
import { FrameSplitter } from '../lib/wire/frame';
import { freePort } from '../test/integration/helpers/server';

const ROOT = path.resolve(import.meta.dirname, '..');

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

/**
 * Fills `dir` until its files hold `bytes` while the store is open (database and write-ahead
 * log); frames end at `now` so that they are all retained. Rounds go back in time from
 * `firstRound`; returns the next one.
 */
async function fillRounds(dir: string, bytes: number, hosts: number, now: number, firstRound: number): Promise<number> {
  const store = await openStore({ dataDir: dir, databaseUrl: undefined });
  let round = firstRound;
  try {
    const chunk = 300; // frames per host per round, newest rounds first
    for (; dirBytes(dir) < bytes; round++) {
      const start = now - (round + 1) * chunk * 1000;
      if (now - start > 23 * 3_600_000) throw new Error(`cannot reach ${bytes} bytes within a day of ${hosts} hosts: raise BENCH_STARTUP_HOSTS`);
      // One host's frames of the round, under every host's name: the store's work is per host,
      // simulating 200 hosts is not.
      const base = hostFrames({ host: 'boot-0000', seed: round, start }, chunk);
      for (let h = 0; h < hosts; h++) {
        const host = `boot-${String(h).padStart(4, '0')}`;
        const splitter = new FrameSplitter();
        await store.ingest(base.map((f) => splitter.split({ ...f, host })));
      }
      process.stdout.write(`\r  filling: ${(dirBytes(dir) / 1e9).toFixed(2)} GB`);
    }
    process.stdout.write('\n');
  } finally {
    await store.close();
  }
  return round;
}

/**
 * Fills `dir` until it holds `bytes` with the store closed: closing folds the write-ahead log into
 * a smaller database, so each pass aims as far above `bytes` as the last one fell short.
 */
async function fill(dir: string, bytes: number, hosts: number): Promise<void> {
  const now = Date.now();
  let aim = bytes;
  for (let round = 0; dirBytes(dir) < bytes; ) {
    round = await fillRounds(dir, aim, hosts, now, round);
    const closed = dirBytes(dir);
    if (closed < bytes) aim *= (bytes / Math.max(1, closed)) * 1.01;
  }
}

export interface StartupFigures {
  readonly dataBytes: number;
  readonly firstAnswerMs: number;
  readonly readyMs: number;
  readonly slowestStartingMs: number;
  readonly startingAnswers: number;
}

/** Starts the built server on `dir` and times it to ready. */
export async function timeToReady(dir: string): Promise<StartupFigures> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs'), '--no-build', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', VCPUMAP_DATA_DIR: dir, VCPUMAP_EMBEDDED_AGENT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  let firstAnswerMs = NaN;
  let slowestStartingMs = 0;
  let startingAnswers = 0;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${log}`);
      if (performance.now() - t0 > 120_000) throw new Error(`server not ready after 120 s:\n${log}`);
      const t = performance.now();
      try {
        const res = await fetch(`${url}/api/v1/hosts`, { signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (Number.isNaN(firstAnswerMs)) firstAnswerMs = performance.now() - t0;
        if (res.status === 200) {
          return { dataBytes: dirBytes(dir), firstAnswerMs, readyMs: performance.now() - t0, slowestStartingMs, startingAnswers };
        }
        if (res.status !== 503) throw new Error(`GET /api/v1/hosts answered ${res.status} while starting`);
        startingAnswers++;
        slowestStartingMs = Math.max(slowestStartingMs, performance.now() - t);
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError') throw new Error('a request hung for 30 s while the server started');
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

/** Fills (or reuses) a data dir of BENCH_STARTUP_GB and prints the figures. */
export async function startupFigures(): Promise<StartupFigures> {
  const gb = Number(process.env.BENCH_STARTUP_GB ?? 1);
  const hosts = Number(process.env.BENCH_STARTUP_HOSTS ?? 200);
  const dir = process.env.BENCH_STARTUP_DIR ?? mkdtempSync(path.join(tmpdir(), 'vcpumap-startup-'));
  mkdirSync(dir, { recursive: true });
  const target = gb * 1e9;
  if (!existsSync(path.join(dir, 'vcpumap.sqlite')) || dirBytes(dir) < target) {
    console.log(`start-up: filling ${dir} to ${gb} GB (${hosts} hosts of 64 pCPUs at 1 Hz)`);
    await fill(dir, target, hosts);
  }
  const f = await timeToReady(dir);
  console.log(
    `start-up with ${(f.dataBytes / 1e9).toFixed(2)} GB: first answer ${f.firstAnswerMs.toFixed(0)} ms, ` +
      `ready ${f.readyMs.toFixed(0)} ms (target < 5000 ms); ${f.startingAnswers} "starting" answers meanwhile, the slowest ${f.slowestStartingMs.toFixed(0)} ms   ` +
      `load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );
  return f;
}

if (import.meta.url === `file://${process.argv[1]}`) await startupFigures();
