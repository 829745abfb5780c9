// npm run bench:agent: CPU cost of the agent at 10 Hz on 20 paused guests of 8 vCPUs, side by
// side with `ps -eLo pid,lwp,psr,comm` at the same rate, in alternating rounds (medians). Two
// figures from each agent run:
// - start: the agent's CPU from spawn to spawn + 10 s: process start, module loading, topology,
//   discovery, QMP identity of every guest and the first ~95 ticks, everything the process did;
// - warm: its CPU over a 10 s window after BENCH_WARMUP_S (20 s) of running: V8 has tiered the
//   hot code up and run its memory-reducer GCs once by then (an agent runs for days).
// Each is set against ps run at 10 Hz for 10 s in the same round.
//
// The agent's bundle is built first (a stale one would run the sources through tsx). Two more
// figures beside those:
// - BENCH_BASELINE_REF=REF also measures the agent of that git ref (bundled from git archive) in
//   every round, in alternating order with this checkout's: the same guests, ps and noise for both;
// - where NODE_EXTRA_CA_CERTS is set (this machine sets it for its package proxy), every node
//   process loads Node's ~140 bundled CA certificates and that file's at start-up, before any of
//   the agent's code runs (Node 20 does it eagerly): the first 10 s are measured as spawned (the
//   figure above) and also without that variable, and `node -e 0` is timed both ways (the floor).
//
// Agent CPU: the agent runs as its own process (the real CLI, --print to /dev/null); its CPU is
// processCpuNs (bench-common): its threads' schedstat run time, or its utime+stime when a thread
// exited, from fork on. ps CPU: user+system time of the reaped ps children (cutime+cstime of this
// process), which leaves out the cost of forking them: the comparison favours ps.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Guest } from '../test/integration/helpers/guests';
import { requireQemu } from '../test/integration/helpers/preconditions';
import { AGENT_BIN as BIN, buildAgent, buildAgentAt, childrenCpuMs, median, processCpuNs, sleep, startPausedGuests } from './bench-common';

const GUESTS = Number(process.env.BENCH_GUESTS ?? 20);
const VCPUS = Number(process.env.BENCH_VCPUS ?? 8);
const HZ = 10;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 20);
const TARGET = 20; // ps / agent, both figures
const AGENT_ARGS = ['--print', '--exact', 'off', '--interval', `${1000 / HZ}ms`];
const CA_ENV = 'NODE_EXTRA_CA_CERTS';
const withoutCaEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env[CA_ENV];
  return env;
};

interface AgentRun {
  /** CPU (ms) from spawn to spawn + WINDOW_S. */
  readonly startMs: number;
  /** CPU (ms) over WINDOW_S after WARMUP_S, scaled to exactly WINDOW_S of wall time. */
  readonly warmMs: number;
}

/** One agent run (`bin`, in `env`): both windows, or only the first when `startOnly` (warmMs NaN). */
async function measureAgent(bin = BIN, env: NodeJS.ProcessEnv = process.env, startOnly = false): Promise<AgentRun> {
  // Sampling mode: what this benchmark has always measured (bench:exact measures exact mode).
  const t0 = performance.now();
  // Its log (a line per VM found) is kept for an agent that stops before it is stopped.
  const child = spawn(process.execPath, [bin, ...AGENT_ARGS], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const pid = child.pid;
  if (pid === undefined) throw new Error('agent did not start');
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    log = (log + s).slice(-4000);
  });
  let stopping = false;
  const exited = new Promise<void>((resolve, reject) =>
    child.once('exit', (code, signal) => (stopping ? resolve() : reject(new Error(`agent exited early (${code ?? signal}):\n${log}`)))),
  );
  exited.catch(() => {}); // raised below, by the await that follows the sleep in progress
  try {
    await sleep(t0 + WINDOW_S * 1000 - performance.now());
    const startNs = processCpuNs(pid);
    if (startOnly) return { startMs: startNs / 1e6, warmMs: NaN };
    await sleep(t0 + WARMUP_S * 1000 - performance.now());
    const ns0 = processCpuNs(pid);
    const t1 = performance.now();
    await sleep(WINDOW_S * 1000);
    const ns1 = processCpuNs(pid);
    const elapsed = performance.now() - t1;
    return { startMs: startNs / 1e6, warmMs: ((ns1 - ns0) / 1e6) * ((WINDOW_S * 1000) / elapsed) };
  } finally {
    stopping = child.exitCode === null && child.signalCode === null;
    if (stopping) child.kill('SIGTERM');
    await exited;
  }
}

/** CPU (ms) of running ps at HZ for WINDOW_S. */
async function measurePs(): Promise<number> {
  const runs = WINDOW_S * HZ;
  const before = childrenCpuMs();
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('ps', ['-eLo', 'pid,lwp,psr,comm'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('ps failed');
    const next = start + ((i + 1) * 1000) / HZ;
    await sleep(Math.max(0, next - performance.now()));
  }
  return childrenCpuMs() - before;
}

/** Median CPU (ms) of `node -e 0` in `env` over 7 runs: what any node process costs before its code runs. */
function nodeFloorMs(env: NodeJS.ProcessEnv): number {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const before = childrenCpuMs();
    spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    runs.push(childrenCpuMs() - before);
  }
  return median(runs);
}

const loadAverage = (): string => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim().replace(/^.*load average/, 'load average');

async function main(): Promise<void> {
  requireQemu();
  if (WARMUP_S < WINDOW_S) throw new Error('BENCH_WARMUP_S must be at least BENCH_WINDOW_S: the warm window starts after the start window');
  buildAgent();
  const baseRef = process.env.BENCH_BASELINE_REF;
  const tmp = mkdtempSync(path.join(tmpdir(), 'vcpumap-bench-agent-'));
  const base = baseRef === undefined ? null : buildAgentAt(baseRef, path.join(tmp, 'baseline'));
  if (baseRef !== undefined && base === null) throw new Error(`BENCH_BASELINE_REF=${baseRef}: git does not know that ref`);
  if (base) console.log(`baseline agent: ${base.ref}`);
  const caEnv = process.env[CA_ENV] !== undefined;
  if (caEnv) console.log(`node -e 0: ${nodeFloorMs(process.env).toFixed(0)} ms of CPU with ${CA_ENV} set (as the agent is spawned), ${nodeFloorMs(withoutCaEnv()).toFixed(0)} ms without`);
  else console.log(`node -e 0: ${nodeFloorMs(process.env).toFixed(0)} ms of CPU`);
  console.log(`starting ${GUESTS} paused guests x ${VCPUS} vCPUs (TCG, -S)...`);
  const guests: Guest[] = await startPausedGuests(GUESTS, VCPUS);
  try {
    const once = spawnSync(process.execPath, [BIN, '--once', '--print', '--exact', 'off', '--interval', '100ms'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (once.status !== 0) throw new Error(`agent --once failed: ${once.stderr}`);
    const snap = JSON.parse(once.stdout) as { vms: { threads: unknown[]; vcpus: unknown[] }[] };
    const threads = snap.vms.reduce((n, v) => n + v.threads.length, 0);
    const vcpus = snap.vms.reduce((n, v) => n + v.vcpus.length, 0);
    const psLines = (spawnSync('ps', ['-eLo', 'pid,lwp,psr,comm'], { encoding: 'utf8' }).stdout.match(/\n/g) ?? []).length - 1;
    console.log(`tracked: ${snap.vms.length} VMs, ${vcpus} vCPUs, ${threads} threads; ps lists ${psLines} threads on the host`);
    console.log(`${loadAverage()} (before the rounds)`);

    const start: number[] = [];
    const warm: number[] = [];
    const ps: number[] = [];
    const startNoCa: number[] = [];
    const baseStart: number[] = [];
    const baseWarm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // With a baseline, the two agents take turns at going first.
      const b0 = base && r % 2 === 1 ? await measureAgent(base.bin) : null;
      const a = await measureAgent();
      const b = b0 ?? (base ? await measureAgent(base.bin) : null);
      const c = caEnv ? await measureAgent(BIN, withoutCaEnv(), true) : null;
      const p = await measurePs();
      start.push(a.startMs);
      warm.push(a.warmMs);
      ps.push(p);
      if (b) baseStart.push(b.startMs);
      if (b) baseWarm.push(b.warmMs);
      if (c) startNoCa.push(c.startMs);
      console.log(
        `round ${r + 1}: ps ${p.toFixed(0)} ms; agent start ${a.startMs.toFixed(1)} ms (${(p / a.startMs).toFixed(1)}x), ` +
          `warm ${a.warmMs.toFixed(1)} ms (${(p / a.warmMs).toFixed(1)}x)` +
          (c ? `; start without ${CA_ENV} ${c.startMs.toFixed(1)} ms (${(p / c.startMs).toFixed(1)}x)` : '') +
          (b ? `; baseline start ${b.startMs.toFixed(1)} ms, warm ${b.warmMs.toFixed(1)} ms` : ''),
      );
    }
    const s = median(start);
    const w = median(warm);
    const p = median(ps);
    const ticks = WINDOW_S * HZ;
    console.log('');
    console.log(`medians over ${ROUNDS} rounds, CPU per ${WINDOW_S} s at ${HZ} Hz; ${loadAverage()}:`);
    // ps reads every thread of the host, the agent only QEMU's: the ratio grows with the host's threads.
    console.log(`  ps -eLo pid,lwp,psr,comm:        ${p.toFixed(0).padStart(6)} ms (${((p * 1000) / ticks).toFixed(0)} us per run, ${psLines} host threads)`);
    console.log(`  agent, first ${WINDOW_S} s after spawn: ${s.toFixed(1).padStart(6)} ms   ps / agent ${(p / s).toFixed(1)}x (target >= ${TARGET}x)`);
    console.log(
      `  agent, warm (after ${WARMUP_S} s):      ${w.toFixed(1).padStart(6)} ms   ps / agent ${(p / w).toFixed(1)}x (target >= ${TARGET}x); ` +
        `${((w * 1000) / ticks).toFixed(0)} us per tick, ${((w * 1000) / ticks / threads).toFixed(2)} us per tracked thread`,
    );
    if (caEnv) {
      const n = median(startNoCa);
      console.log(`  agent, first ${WINDOW_S} s, spawned without ${CA_ENV}: ${n.toFixed(1).padStart(6)} ms   ps / agent ${(p / n).toFixed(1)}x (the same agent; node's start-up without this machine's CA file)`);
    }
    if (base) {
      const bs = median(baseStart);
      const bw = median(baseWarm);
      console.log(`  baseline ${base.ref}: first ${WINDOW_S} s ${bs.toFixed(1)} ms (${(p / bs).toFixed(1)}x), warm ${bw.toFixed(1)} ms (${(p / bw).toFixed(1)}x); this checkout / baseline: first ${WINDOW_S} s ${(s / bs).toFixed(2)}, warm ${(w / bw).toFixed(2)}`);
    }
    console.log(`  ${p / s >= TARGET && p / w >= TARGET ? 'PASS' : 'FAIL'}`);
  } finally {
    await Promise.all(guests.map((g) => g.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
