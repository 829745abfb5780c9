// Memory check of the live window: fills it with 500 hosts x 15 min at 1 Hz of realistic frames
// (64 vCPUs, 72 threads, 64 pCPUs each) and prints RSS and bytes per frame. Not a test: run
//   npx tsx scripts/measure-live-window.ts [hosts] [seconds] [--disk]
// --disk also ingests the first host's frames (plus 19 more hosts) into a SQLite store in a temp dir
// and prints the database bytes per frame.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ByteWriter } from '../lib/server/store/byte-codec';
import { LiveWindow } from '../lib/server/store/live-window';
import { openStore } from '../lib/server/store/store';
import { Structure } from '../lib/server/store/structure';
import { encodeRow } from '../lib/server/store/tick-codec';
import { violationBodyJson, type ViolationBody } from '../lib/server/store/violation-body';
import { FrameSplitter } from '../lib/wire/frame';
import { HostSimulator } from '../test/support/snapshot-factory';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const HOSTS = Number(args[0] ?? 500);
const SECONDS = Number(args[1] ?? 900);
const DISK = process.argv.includes('--disk');

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function gc(): void {
  const g: unknown = Reflect.get(globalThis, 'gc');
  if (typeof g === 'function') g();
}

async function measureMemory(): Promise<void> {
  gc();
  const before = process.memoryUsage();
  const window = new LiveWindow(SECONDS * 1000 + 1000);
  const w = new ByteWriter();
  let rowBytes = 0;
  let frames = 0;
  let nextId = 1;
  const started = Date.now();
  for (let h = 0; h < HOSTS; h++) {
    const sim = new HostSimulator({ host: `hv-${String(h).padStart(3, '0')}`, seed: h + 1, hotplugAt: 400 });
    const bodyIds = new Map<string, number>();
    const bodies = new Map<number, ViolationBody>();
    let st: Structure | null = null;
    const splitter = new FrameSplitter();
    for (let t = 0; t < SECONDS; t++) {
      const f = sim.next();
      const frame = splitter.split(f);
      if (!st || st.hash !== frame.tick.structure) st = new Structure(nextId++, frame.body, frame.tick.structure);
      const used = new Map<number, ViolationBody>();
      const ids = f.violations.map((v) => {
        const json = violationBodyJson(v);
        let id = bodyIds.get(json);
        if (id === undefined) {
          id = nextId++;
          bodyIds.set(json, id);
          const { since: _s, lastSeen: _l, ...body } = v;
          bodies.set(id, body);
        }
        const body = bodies.get(id);
        if (body) used.set(id, body);
        return id;
      });
      const row = encodeRow(w, st, frame.tick, ids);
      rowBytes += row.length;
      frames++;
      window.hostOrCreate(f.host, Number.NEGATIVE_INFINITY).insert(f.at, st, row, used);
    }
    if (h % 50 === 49) process.stderr.write(`  ${h + 1} hosts, ${frames} frames, rss ${mb(process.memoryUsage().rss)}\n`);
  }
  gc();
  const after = process.memoryUsage();
  const windowBytes = window.byteSize();
  console.log(`live window: ${HOSTS} hosts x ${SECONDS} s = ${frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  encoded rows:          ${(rowBytes / frames).toFixed(1)} bytes/frame (as stored in the database)`);
  console.log(`  window typed arrays:   ${mb(windowBytes)} = ${(windowBytes / frames).toFixed(1)} bytes/frame (sealed segments deflated)`);
  console.log(`  RSS: ${mb(before.rss)} before, ${mb(after.rss)} after = ${((after.rss - before.rss) / frames).toFixed(1)} bytes/frame`);
  console.log(`  heap used ${mb(after.heapUsed)} (structures, maps), external ${mb(after.external)} (typed arrays)`);
}

async function measureDisk(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-measure-'));
  try {
    const store = await openStore({ dataDir: dir });
    const hosts = 20;
    let frames = 0;
    const sims = Array.from({ length: hosts }, (_, h) => new HostSimulator({ host: `disk-${h}`, seed: h + 1 }));
    const splitter = new FrameSplitter();
    for (let t = 0; t < SECONDS; t++) {
      const batch = sims.map((s) => splitter.split(s.next()));
      await store.ingest(batch);
      frames += batch.length;
    }
    await store.close();
    let bytes = 0;
    for (const f of ['vcpumap.sqlite', 'vcpumap.sqlite-wal']) {
      try {
        bytes += statSync(path.join(dir, f)).size;
      } catch {
        // no WAL file after a clean close
      }
    }
    console.log(`sqlite: ${frames} frames of ${hosts} hosts, ${mb(bytes)} = ${(bytes / frames).toFixed(1)} bytes/frame on disk (ticks + residency + structures)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await measureMemory();
if (DISK) await measureDisk();
