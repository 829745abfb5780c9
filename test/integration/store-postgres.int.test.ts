// The store's behaviour suite against a real PostgreSQL 15 (a throw-away cluster), plus what only
// PostgreSQL does: several server replicas on one database that fan out frames to each other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { hostFrames } from '../support/snapshot-factory';
import { openStore } from '../../lib/server/store/store';
import { snapshotStore, type SnapshotStore as FrameStore } from '../support/snapshot-store';
import { storeSuite } from '../support/store-suite';
import { startPostgres, type TestPostgres } from './helpers/postgres';

let server: TestPostgres | null = null;
let databases = 0;
const dataDir = mkdtempSync(path.join(tmpdir(), 'vcpumap-pgstore-'));

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A new, empty database on the test cluster. */
async function newDatabaseUrl(): Promise<string> {
  if (!server) throw new Error('PostgreSQL is not running');
  const name = `store_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

storeSuite('PostgreSQL', () => ({
  newDatabase: async () => ({ databaseUrl: await newDatabaseUrl(), dataDir }),
}));

/** Resolves once `pred` holds, polling; rejects after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PostgreSQL columnar store', () => {
  it('answers plain SQL on vcpumap_vcpu_placement: one row per vCPU and tick of every closed minute', async () => {
    const url = await newDatabaseUrl();
    const frames = hostFrames({ host: 'hv-sql', start: 1_764_000_000_000 }, 190); // minutes 0-2 close, minute 3 stays open
    const s = snapshotStore(await openStore({ databaseUrl: url, dataDir }));
    await s.ingest(frames);
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const res = await c.query('SELECT vm, vcpu, pcpu, at FROM vcpumap_vcpu_placement WHERE host = $1 ORDER BY at, vm, vcpu', ['hv-sql']);
      const closed = frames.filter((f) => f.at < 1_764_000_000_000 + 180_000);
      const expected = closed.flatMap((f) => f.vms.flatMap((vm) => vm.vcpus.map((v) => ({ vm: vm.name, vcpu: v.index, pcpu: v.pcpu, at: String(f.at) })))).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : a.vcpu - b.vcpu));
      expect(res.rows).toStrictEqual(expected);
    } finally {
      await c.end();
    }
  });

  it('migrates a database of the rows-only format (schema 1) and keeps what it holds', async () => {
    const url = await newDatabaseUrl();
    const frames = hostFrames({ host: 'hv-v1', start: 1_764_000_000_000 }, 30);
    let s = snapshotStore(await openStore({ databaseUrl: url, dataDir }));
    await s.ingest(frames);
    const latest = await s.latest('hv-v1');
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('DROP VIEW vcpumap_vcpu_placement');
      await c.query('DROP TABLE vcpumap_chunk_vcpus, vcpumap_chunks');
      await c.query("UPDATE vcpumap_meta SET value = '1' WHERE key = 'schema_version'");
    } finally {
      await c.end();
    }
    s = snapshotStore(await openStore({ databaseUrl: url, dataDir }));
    expect(await s.latest('hv-v1')).toStrictEqual(latest);
    expect(await s.nearest('hv-v1', frames[3]?.at ?? 0)).toStrictEqual(frames[3]);
    await s.prune(1_764_000_000_000 + 600_000);
    expect(await s.nearest('hv-v1', frames[3]?.at ?? 0)).toStrictEqual(frames[3]);
    await s.close();
  });
});

describe('PostgreSQL replicas', () => {
  const opened: FrameStore[] = [];
  const errors: Error[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    errors.length = 0;
  });

  async function replicas(url: string, n: number): Promise<FrameStore[]> {
    // started together: schema creation must not race
    const stores = (await Promise.all(Array.from({ length: n }, () => openStore({ databaseUrl: url, dataDir, onError: (e) => errors.push(e) })))).map(snapshotStore);
    opened.push(...stores);
    return stores;
  }

  it('a frame ingested on A reaches B through onFrame within a second, and B serves it', async () => {
    const [a, b] = await replicas(await newDatabaseUrl(), 2);
    if (!a || !b) throw new Error('no stores');
    const onA: Snapshot[] = [];
    const onB: Snapshot[] = [];
    a.onFrame((f) => onA.push(f));
    b.onFrame((f) => onB.push(f));
    const frames = hostFrames({ host: 'hv-replicated', hotplugAt: 5 }, 12);
    const [first, ...rest] = frames;
    if (!first) throw new Error('no frame');

    const started = Date.now();
    await a.ingest([first]);
    await until(() => onB.length === 1, 1000, "B's onFrame");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(onB[0]).toStrictEqual(first);
    expect(await b.latest('hv-replicated')).toStrictEqual(first);
    expect((await b.hosts()).map((h) => h.host)).toStrictEqual(['hv-replicated']);

    await a.ingest(rest);
    await until(() => onB.length === frames.length, 1000, 'the rest of the frames on B');
    expect(onB).toStrictEqual(frames);
    expect(await b.latest('hv-replicated')).toStrictEqual(frames.at(-1));
    expect(await b.history('hv-replicated', 0, 9e15)).toStrictEqual(await a.history('hv-replicated', 0, 9e15));
    // A saw its own frames once: its own notifications are ignored
    expect(onA).toHaveLength(frames.length);
    // and the other way round
    const more = hostFrames({ host: 'hv-other', seed: 3 }, 3);
    await b.ingest(more);
    await until(() => onA.length === frames.length + 3, 1000, "B's frames on A");
    expect(await a.latest('hv-other')).toStrictEqual(more.at(-1));
    expect(errors).toStrictEqual([]);
  });

  it('catches up after its LISTEN connection drops', async () => {
    const url = await newDatabaseUrl();
    const [a, b] = await replicas(url, 2);
    if (!a || !b) throw new Error('no stores');
    const onB: Snapshot[] = [];
    b.onFrame((f) => onB.push(f));
    const frames = hostFrames({ host: 'hv-blip' }, 6);
    await a.ingest(frames.slice(0, 2));
    await until(() => onB.length === 2, 1000, 'frames before the blip');

    // Drop every LISTEN connection (a network blip, a PostgreSQL restart), then keep ingesting.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    } finally {
      await admin.end();
    }
    await a.ingest(frames.slice(2));
    await until(() => onB.length === frames.length, 15_000, 'frames after the reconnect');
    expect(onB).toStrictEqual(frames);
    expect(await b.latest('hv-blip')).toStrictEqual(frames.at(-1));
    expect(errors.some((e) => /LISTEN connection .* dropped/.test(e.message))).toBe(true);
  });

  it('says which database it cannot reach', async () => {
    await expect(openStore({ databaseUrl: 'postgres://vcpumap@127.0.0.1:1/nowhere', dataDir })).rejects.toThrow(/127\.0\.0\.1:1\/nowhere/);
  });
});
