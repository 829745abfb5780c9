// Where the store's bytes go, for bench:ingest's realistic mix (scripts/bench/realistic-mix.ts).
// Not a test: run
//   npx tsx scripts/measure-store.ts [hosts] [seconds]
// Ingests `hosts` x `seconds` frames at 1 Hz into a SQLite store in a temp dir (batches of 100, as
// bench:ingest's fill does), closes it, and prints bytes per thread-sample per table (pages, and
// the rows' own bytes: the rest is what pages leave empty). Then one minute's chunk column by
// column: what each part of the tick costs in it (the bytes saved by making that part constant).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeChunk } from '../lib/server/store/chunk-codec';
import { openStore } from '../lib/server/store/store';
import { Structure } from '../lib/server/store/structure';
import { recordOf, type TickRecord } from '../lib/server/store/tick-codec';
import { FrameSplitter } from '../lib/wire/frame';
import { dataDirBytes, tableBytes } from './bench/disk';
import { RealisticHost } from './bench/realistic-mix';

const HOSTS = Number(process.argv[2] ?? 20);
const SECONDS = Number(process.argv[3] ?? 900);

async function disk(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-measure-store-'));
  try {
    const store = await openStore({ dataDir: dir });
    const splitter = new FrameSplitter();
    const sim = new RealisticHost({ host: 'measure', seed: 1 });
    sim.next(); // no interval yet
    const pool = Array.from({ length: 120 }, () => sim.next()); // as bench:ingest cycles them
    const threads = pool[0]?.vms.reduce((n, vm) => n + vm.threads.length, 0) ?? 0;
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    for (let h = 0; h < HOSTS; h++) {
      const host = `measure-${h}`;
      for (let i = 0; i < SECONDS; i += 100) {
        const batch = [];
        for (let k = i; k < Math.min(SECONDS, i + 100); k++) {
          const s = pool[k % pool.length];
          if (s) batch.push(splitter.split({ ...s, host, at: end - (SECONDS - k) * 1000 }));
        }
        await store.ingest(batch);
      }
    }
    await store.close();
    const samples = HOSTS * SECONDS * threads;
    const per = (b: number): string => (b / samples).toFixed(2);
    console.log(`SQLite, ${HOSTS} hosts x ${SECONDS} s of ${threads} threads: ${per(dataDirBytes(dir))} bytes per thread-sample`);
    for (const t of tableBytes(dir)) console.log(`  ${t.name.padEnd(20)} ${per(t.bytes)} (rows ${per(t.payload)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function chunkColumns(): void {
  const sim = new RealisticHost({ host: 'measure', seed: 2 });
  sim.next();
  const splitter = new FrameSplitter();
  const frames = Array.from({ length: 60 }, (_, i) => splitter.split({ ...sim.next(), at: 1_764_000_000_000 + i * 1000 }));
  const first = frames[0];
  if (!first) throw new Error('no frames');
  const st = new Structure(1, first.body, first.tick.structure);
  const recs = frames.map((f) => recordOf(st, f.tick, f.tick.violations.map((_, k) => k + 1)));
  const size = (rs: TickRecord[]): number => encodeChunk(st, rs).length;
  const whole = size(recs);
  const perTick = (b: number): string => `${(b / recs.length).toFixed(1)} B/tick`;
  console.log(`one minute's chunk: ${perTick(whole)} = ${(whole / recs.length / st.threadCount).toFixed(2)} bytes per thread-sample; of it:`);
  const base = recs[0];
  if (!base) throw new Error('no records');
  const parts: [string, (r: TickRecord) => TickRecord][] = [
    ['runNs', (r) => ({ ...r, runNs: r.runNs.map(() => 0) })],
    ['waitNs', (r) => ({ ...r, waitNs: r.waitNs.map(() => 0) })],
    ['busy', (r) => ({ ...r, busy: r.busy.map(() => 0) })],
    ['pcpu', (r) => ({ ...r, pcpu: base.pcpu })],
    ['state', (r) => ({ ...r, state: r.state.map(() => 'S') })],
    ['violations', (r) => ({ ...r, violations: [] })],
  ];
  for (const [name, flat] of parts) console.log(`  ${name.padEnd(11)} ${perTick(whole - size(recs.map(flat)))}`);
}

await disk();
chunkColumns();
