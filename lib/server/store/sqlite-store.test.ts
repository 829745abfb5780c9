import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { hostFrames } from '../../../test/support/snapshot-factory';
import { storeSuite } from '../../../test/support/store-suite';
import { FrameSplitter } from '../../wire/frame';
import { openStore } from './store';

const T0 = 1_764_000_000_000; // minute-aligned epoch ms
const splitter = new FrameSplitter();

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'vcpumap-store-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeSuite('SQLite', () => ({
  newDatabase: async () => ({ dataDir: path.join(tempDir(), 'data') }),
}));

describe('SQLite specifics', () => {
  it('creates the data directory and a WAL database with a versioned schema', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const s = await openStore({ dataDir });
    await s.close();
    const db = new Database(path.join(dataDir, 'vcpumap.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('migrates a data directory of the rows-only format (schema 1): nothing lost, its rows compacted into chunks by prune', async () => {
    const dataDir = tempDir();
    const frames = hostFrames({ host: 'hv-old', start: T0 }, 40); // one minute: still rows at close
    let s = await openStore({ dataDir });
    await s.ingest(frames.map((f) => splitter.split(f)));
    const before = { latest: await s.latest('hv-old'), history: await s.history('hv-old', T0, T0 + 60_000) };
    await s.close();
    // What a server of schema 1 left: the same tables, no chunks.
    const file = path.join(dataDir, 'vcpumap.sqlite');
    let db = new Database(file);
    expect(db.prepare('SELECT count(*) AS n FROM chunks').get()).toEqual({ n: 0 });
    db.exec('DROP TABLE chunks');
    db.pragma('user_version = 1');
    db.close();

    s = await openStore({ dataDir });
    expect(await s.latest('hv-old')).toStrictEqual(before.latest);
    expect(await s.history('hv-old', T0, T0 + 60_000)).toStrictEqual(before.history);
    await s.prune(T0 + 10 * 60_000);
    expect(await s.history('hv-old', T0, T0 + 60_000)).toStrictEqual(before.history);
    expect(await s.nearest('hv-old', frames[7]?.at ?? 0)).toStrictEqual(frames[7]);
    await s.close();
    db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM ticks').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT sum(ticks) AS n FROM chunks').get()).toEqual({ n: 40 });
    db.close();
  });

  it('refuses a database from a newer server, and a file that is not a database', async () => {
    const dataDir = tempDir();
    const db = new Database(path.join(dataDir, 'vcpumap.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    await expect(openStore({ dataDir })).rejects.toThrow(/schema version 99, newer/);
    const other = tempDir();
    writeFileSync(path.join(other, 'vcpumap.sqlite'), 'not a database, just text that is long enough to have a header'.repeat(20));
    await expect(openStore({ dataDir: other })).rejects.toThrow(/vcpumap\.sqlite/);
  });

  it('refuses a DATABASE_URL it does not understand instead of ignoring it', async () => {
    await expect(openStore({ dataDir: tempDir(), databaseUrl: 'mysql://u:secret@db/x' })).rejects.toThrow(/postgres:\/\/ or postgresql:\/\//);
    await expect(openStore({ dataDir: tempDir(), databaseUrl: 'mysql://u:secret@db/x' })).rejects.not.toThrow(/secret/);
  });
});
