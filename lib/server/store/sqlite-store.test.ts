import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSuite } from '../../../test/support/store-suite';
import { openStore } from './store';

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
    expect(db.pragma('user_version', { simple: true })).toBe(1);
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
