// The disk figure of bench:ingest: bytes of a SQLite data directory per thread-sample (one thread
// of one frame), for the realistic mix, with every full minute compacted into chunks; and where
// those bytes are (pages per table, from SQLite's dbstat).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Bytes of the SQLite files of a data directory (the database, its WAL and shared memory). */
export function dataDirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) if (f.startsWith('vcpumap.sqlite')) n += statSync(path.join(dir, f)).size;
  return n;
}

export interface TableBytes {
  readonly name: string; // a table, with its indexes
  readonly bytes: number; // pages
  readonly payload: number; // bytes of the rows themselves
}

/** Pages of each table of the data directory's database (its indexes counted with it), largest first. */
export function tableBytes(dir: string): TableBytes[] {
  const db = new Database(path.join(dir, 'vcpumap.sqlite'), { readonly: true });
  try {
    const owner = new Map<string, string>();
    for (const r of db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')").all()) {
      const { name, tbl_name } = r as { name: string; tbl_name: string };
      owner.set(name, tbl_name);
    }
    const out = new Map<string, { bytes: number; payload: number }>();
    for (const r of db.prepare('SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name').all()) {
      const { name, bytes, payload } = r as { name: string; bytes: number; payload: number };
      const table = owner.get(name) ?? name;
      const t = out.get(table) ?? { bytes: 0, payload: 0 };
      t.bytes += bytes;
      t.payload += payload;
      out.set(table, t);
    }
    return [...out].map(([name, t]) => ({ name, ...t })).sort((a, b) => b.bytes - a.bytes);
  } finally {
    db.close();
  }
}
