import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { AnalyzePool } from './analyze-pool';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const read = (f: string): string => readFileSync(`${FIX}/${f}`, 'utf8');
let script = '';
const pools: AnalyzePool[] = [];
const newPool = (opts: Omit<ConstructorParameters<typeof AnalyzePool>[0], 'script'>): AnalyzePool => {
  const p = new AnalyzePool({ script, ...opts });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  // The worker as the server runs it: bundled (scripts/build-agent.mjs does the same into dist/),
  // inside the repository so that its packages resolve from node_modules.
  const dir = path.resolve(import.meta.dirname, '../../.tmp');
  mkdirSync(dir, { recursive: true });
  script = path.join(mkdtempSync(path.join(dir, 'analyze-worker-')), 'analyze-worker.mjs');
  await build({ entryPoints: [path.join(import.meta.dirname, 'analyze-worker.ts')], outfile: script, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
}, 30_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(path.dirname(script), { recursive: true, force: true });
});

/** One process with many threads, each line about 40 bytes. */
function bigPs(threads: number): string {
  const lines = ['  PID   LWP PSR STAT COMMAND'];
  for (let i = 0; i < threads; i++) lines.push(`  500 ${1000 + i}   3 Sl   CPU ${i}/KVM`);
  return lines.join('\n');
}

/** Largest gap between ticks of a 10 ms timer while `work` runs: how long the event loop was held. */
async function loopHeldWhile<T>(work: Promise<T>): Promise<{ result: T; maxGapMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 10);
  try {
    return { result: await work, maxGapMs };
  } finally {
    clearInterval(timer);
  }
}

describe('AnalyzePool', () => {
  it('analyses a paste in a worker and answers the snapshot as JSON', async () => {
    const pool = newPool({ budgetMs: 10_000 });
    const out = await pool.run({ ps: read('probe1.ps.txt'), queryCpusFast: read('probe1.query-cpus-fast.json'), host: 'hv' }, 1000);
    expect(out.kind).toBe('done');
    const snap = out.kind === 'done' ? (JSON.parse(out.json) as Snapshot) : null;
    expect(snap?.host).toBe('hv');
    expect(snap?.vms[0]?.vcpus.map((v) => v.tid)).toEqual([7474, 7475]);
    expect(snap?.unobserved).toEqual(['affinity', 'runQueue']);
  });

  it('names every field that cannot be read', async () => {
    const pool = newPool({ budgetMs: 10_000 });
    const out = await pool.run({ ps: read('probe1.ps.txt'), queryCpusFast: '{"return": [', pins: 'vms: [' }, 1);
    expect(out.kind).toBe('bad');
    if (out.kind !== 'bad') return;
    expect(Object.keys(out.fields ?? {}).sort()).toEqual(['pins', 'queryCpusFast']);
    expect(out.fields?.queryCpusFast).toMatch(/not JSON/);
  });

  it('gives up a paste over its time budget without holding the event loop, then serves the next one', async () => {
    const pool = newPool({ workers: 1, budgetMs: 200 });
    const { result, maxGapMs } = await loopHeldWhile(pool.run({ ps: bigPs(60_000) }, 1));
    expect(result.kind).toBe('bad');
    expect(result.kind === 'bad' ? result.error : '').toMatch(/took longer than 200 ms/);
    expect(maxGapMs).toBeLessThan(150);
    // The worker was replaced: the pool still answers.
    const next = await newPool({ workers: 1, budgetMs: 10_000 }).run({ ps: read('probe2.ps.txt') }, 1);
    expect(next.kind).toBe('done');
    expect((await pool.run({ ps: read('probe2.ps.txt') }, 1)).kind).toMatch(/done|bad/);
  });

  it('refuses a paste that needs more memory than the worker has', async () => {
    const pool = newPool({ workers: 1, budgetMs: 20_000, maxHeapMb: 16 });
    const out = await pool.run({ ps: bigPs(60_000) }, 1);
    expect(out.kind).toBe('bad');
    expect(out.kind === 'bad' ? out.error : '').toMatch(/needs more than 16 MB/);
  });

  it('says busy when every worker is analysing', async () => {
    const pool = newPool({ workers: 1, budgetMs: 10_000 });
    const first = pool.run({ ps: bigPs(2000) }, 1);
    expect((await pool.run({ ps: read('probe2.ps.txt') }, 1)).kind).toBe('busy');
    expect((await first).kind).toBe('done');
  });
});
