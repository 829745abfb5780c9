// Where one frame's CPU goes on the ingest path, stage by stage, without HTTP: the JSON of a
// bench:ingest body, its validation (parseIngestBody), resolveFrames, the store's ingest (SQLite in
// a temp dir), and a closed minute's compaction (encodeChunk, decodeChunk). Not a test: run
//   npx tsx scripts/measure-ingest-cpu.ts [hosts] [frames per host] [batch]
// Each stage is timed in CPU time of the process (all its threads: GC helpers count) after a
// warm-up; MEASURE_ONLY=<stage prefix> times one stage (e.g. under node --cpu-prof), 'store' the
// store's ingest alone. On a shared machine compare stages within one run, not across runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseIngestBody } from '../lib/server/ingest-body';
import { resolveFrames } from '../lib/server/resolve-frames';
import { encodeChunk, decodeChunk } from '../lib/server/store/chunk-codec';
import { openStore } from '../lib/server/store/store';
import { Structure } from '../lib/server/store/structure';
import { recordOf, encodeRow, decodeRecord } from '../lib/server/store/tick-codec';
import { ByteWriter } from '../lib/server/store/byte-codec';
import { hashStructure } from '../lib/wire/frame';
import { parseStructure } from '../lib/wire/parse';
import { framePool } from './bench/ingest-frames';
import { ingestBody } from './bench/post';

const HOSTS = Number(process.argv[2] ?? 50);
const PER_HOST = Number(process.argv[3] ?? 120);
const BATCH = Number(process.argv[4] ?? 1);

const ONLY = process.env.MEASURE_ONLY;

function time(label: string, n: number, fn: () => void): void {
  if (ONLY !== undefined && !label.startsWith(ONLY)) return;
  // Warm until the JIT has settled, then time for about a second.
  const w0 = performance.now();
  while (performance.now() - w0 < 300) fn();
  // CPU time, not wall time: the machine is shared.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 1000) {
    fn();
    reps++;
  }
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / (reps * n);
  console.log(`  ${label.padEnd(44)} ${us.toFixed(1).padStart(8)} us per frame`);
}

const pool = framePool(120, true);
const hosts = Array.from({ length: HOSTS }, (_, i) => pool.forHost(`host-${String(i).padStart(4, '0')}`));
const base = Date.now() - 3_600_000;
const bodies: string[] = [];
for (let i = 0; i < PER_HOST; i += BATCH) {
  for (const h of hosts) {
    const parts: string[] = [];
    for (let k = i; k < Math.min(PER_HOST, i + BATCH); k++) parts.push(h.frame(k, base + 1000 * k));
    bodies.push(ingestBody(h, parts, false));
  }
}
const frames = HOSTS * PER_HOST;
console.log(`${HOSTS} hosts x ${PER_HOST} frames, ${BATCH} per body (${bodies[0]?.length} bytes), ${pool.threads} threads`);
const structures = hosts.map((h) => parseStructure(JSON.parse(h.structure ?? 'null'), ''));
const known = new Map(structures.map((s) => { const h = hashStructure(s); return [`${s.host}\n${h.hash}`, h.body]; }));
const json = bodies.map((b) => JSON.parse(b) as unknown);
time('JSON.parse', frames, () => { for (const b of bodies) JSON.parse(b); });
time('parseIngestBody (schema, checks)', frames, () => { for (const j of json) parseIngestBody(j); });
const batches = json.map((j) => parseIngestBody(j));
time('resolveFrames', frames, () => { for (const b of batches) resolveFrames(b, (host, hash) => known.get(`${host}\n${hash}`)); });
const resolved = batches.map((b) => resolveFrames(b, (host, hash) => known.get(`${host}\n${hash}`)));
const first = resolved[0]?.[0];
if (!first) throw new Error('no frame');
const st = new Structure(1, first.body, first.tick.structure);
const oneHost = resolved.flat().filter((f) => f.host === first.host);
const w = new ByteWriter(8192);
time('encodeRow', oneHost.length, () => { for (const f of oneHost) encodeRow(w, st, f.tick, f.tick.violations.map((_, k) => k + 1)); });
const rows = oneHost.map((f) => encodeRow(w, st, f.tick, f.tick.violations.map((_, k) => k + 1)));
time('decodeRecord', rows.length, () => rows.forEach((r, i) => decodeRecord(st, r, oneHost[i]?.at ?? 0)));
const recs = oneHost.slice(0, 60).map((f) => recordOf(st, f.tick, f.tick.violations.map((_, k) => k + 1)));
time('encodeChunk (per tick of a minute)', recs.length, () => { encodeChunk(st, recs); });
const chunk = encodeChunk(st, recs);
time('decodeChunk (per tick of a minute)', recs.length, () => { decodeChunk(st, chunk); });

if (ONLY !== undefined && ONLY !== 'store') process.exit(0);
const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-measure-ingest-'));
try {
  const store = await openStore({ dataDir: dir });
  // first contact: structures
  const firsts = resolved.slice(0, HOSTS);
  for (const f of firsts) await store.ingest(f);
  const t0 = performance.now();
  let n = 0;
  // as many concurrent requests as the bench's 16 posters
  for (let i = HOSTS; i < resolved.length; i += 16) {
    const group = resolved.slice(i, i + 16);
    await Promise.all(group.map((f) => store.ingest(f)));
    for (const g of group) n += g.length;
  }
  const ms = performance.now() - t0;
  console.log(`  store.ingest, 16 requests at a time       ${((ms * 1000) / n).toFixed(1).padStart(8)} us per frame (${n} frames, incl. minutes closed on the way)`);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
