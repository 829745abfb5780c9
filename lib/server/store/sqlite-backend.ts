// SQLite (better-sqlite3) behind backend.ts: one file, WAL, synchronous=NORMAL (a commit survives
// a process crash; an OS crash may lose the last transactions), prepared statements, schema
// versioned with PRAGMA user_version, checkpoints in a worker (sqlite-checkpointer.ts). One server
// process per file.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Backend, HostRow, Queries, ResidencyRow, StoredChunk, StoredText, StoredTick } from './backend';
import { JOURNAL_SIZE_LIMIT, SqliteCheckpointer } from './sqlite-checkpointer';

const SCHEMA_VERSION = 2;
const BUSY_TIMEOUT_MS = 5000;
const PAGE_SIZE = 8192; // bytes, for a new database file

const SCHEMA = `
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  checked_to INTEGER NOT NULL DEFAULT 0          -- epoch ms: residency verified before it
);
-- AUTOINCREMENT: ids are never reused after prune deletes rows, so cached ids stay valid.
CREATE TABLE structures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id INTEGER NOT NULL,
  hash TEXT NOT NULL,                            -- sha256 of body
  body TEXT NOT NULL,                            -- JSON, key order as written: deflated, a blob (rows of older releases: text)
  last_at INTEGER NOT NULL,                      -- epoch ms of a recent use (raised hourly)
  UNIQUE (host_id, hash)
);
CREATE TABLE violation_bodies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id INTEGER NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  last_at INTEGER NOT NULL,
  UNIQUE (host_id, hash)
);
CREATE TABLE ticks (
  host_id INTEGER NOT NULL,
  at INTEGER NOT NULL,                           -- epoch ms
  structure_id INTEGER NOT NULL,
  row BLOB NOT NULL,                             -- tick-codec.ts
  PRIMARY KEY (host_id, at)
) WITHOUT ROWID;
CREATE TABLE residency (
  host_id INTEGER NOT NULL,
  minute INTEGER NOT NULL,                       -- epoch ms, minute-aligned
  ticks INTEGER NOT NULL,
  data BLOB NOT NULL,                            -- residency.ts
  PRIMARY KEY (host_id, minute)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Version 2: ticks of closed minutes move from rows to columnar chunks. */
const CHUNKS = `
CREATE TABLE chunks (
  host_id INTEGER NOT NULL,
  first_at INTEGER NOT NULL,                     -- epoch ms of its first tick
  last_at INTEGER NOT NULL,
  minute INTEGER NOT NULL,                       -- epoch ms, minute-aligned
  structure_id INTEGER NOT NULL,
  ticks INTEGER NOT NULL,
  data BLOB NOT NULL,                            -- chunk-codec.ts
  PRIMARY KEY (host_id, first_at)
);
CREATE INDEX chunks_last_at ON chunks (host_id, last_at);
`;

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new Error(`sqlite: ${what} is ${typeof v}, expected a number`);
}

function bytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error(`sqlite: ${what} is ${typeof v}, expected a blob`);
}

function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`sqlite: ${what} is ${typeof v}, expected text`);
}

function field(row: unknown, key: string): unknown {
  if (typeof row !== 'object' || row === null) throw new Error(`sqlite: expected a row, got ${typeof row}`);
  return Reflect.get(row, key);
}

function tick(row: unknown): StoredTick {
  return { at: num(field(row, 'at'), 'ticks.at'), structureId: num(field(row, 'structure_id'), 'ticks.structure_id'), row: bytes(field(row, 'row'), 'ticks.row') };
}

function chunk(row: unknown): StoredChunk {
  return {
    firstAt: num(field(row, 'first_at'), 'chunks.first_at'),
    lastAt: num(field(row, 'last_at'), 'chunks.last_at'),
    minute: num(field(row, 'minute'), 'chunks.minute'),
    structureId: num(field(row, 'structure_id'), 'chunks.structure_id'),
    ticks: num(field(row, 'ticks'), 'chunks.ticks'),
    data: bytes(field(row, 'data'), 'chunks.data'),
  };
}

function storedText(row: unknown, table: string): StoredText {
  return { id: num(field(row, 'id'), `${table}.id`), json: text(field(row, 'body'), `${table}.body`) };
}

// A structure's JSON is stored deflated, as a blob in its TEXT column (SQLite keeps a blob a blob
// whatever the column's affinity): a 64-vCPU host's 24 KB of JSON is 2.2 KB, and a host stores one
// per re-pin, hot-plug or VM start. Rows written as text before stay text and read as before.
const STRUCTURE_DEFLATE = { level: 9 } as const;

function storedStructure(row: unknown): StoredText {
  const body = field(row, 'body');
  if (!(body instanceof Uint8Array)) return storedText(row, 'structures');
  return { id: num(field(row, 'id'), 'structures.id'), json: utf8.decode(inflateRawSync(body)) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function openSqliteBackend(file: string, onError: (err: Error) => void): Promise<Backend> {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new Error(`sqlite: cannot open ${file}: ${err instanceof Error ? err.message : String(err)} (is the data directory writable?)`, { cause: err });
  }
  try {
    // A new file only (an existing one keeps its page size): 8 KiB pages hold a 64-vCPU host's
    // residency row (~1.3 KB) in its b-tree leaf, where 4 KiB pages of a WITHOUT ROWID table put
    // every row over ~1 KB on an overflow page of its own, three quarters empty (1.8x the bytes
    // of the residency table, scripts/measure-store.ts). Set before WAL mode, which fixes it.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    migrate(db, file);
  } catch (err) {
    db.close();
    throw new Error(`sqlite: cannot use ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const s = {
    ensureHost: db.prepare('INSERT INTO hosts (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id'),
    hostId: db.prepare('SELECT id FROM hosts WHERE name = ?'),
    hosts: db.prepare('SELECT id, name, checked_to FROM hosts ORDER BY name'),
    setHostChecked: db.prepare('UPDATE hosts SET checked_to = max(checked_to, ?) WHERE id = ?'),
    ensureStructure: db.prepare(
      'INSERT INTO structures (host_id, hash, body, last_at) VALUES (?, ?, ?, ?) ON CONFLICT (host_id, hash) DO UPDATE SET last_at = max(last_at, excluded.last_at) RETURNING id, body',
    ),
    touchStructure: db.prepare('UPDATE structures SET last_at = max(last_at, ?) WHERE id = ?'),
    structure: db.prepare('SELECT id, body FROM structures WHERE id = ?'),
    ensureBody: db.prepare(
      'INSERT INTO violation_bodies (host_id, hash, body, last_at) VALUES (?, ?, ?, ?) ON CONFLICT (host_id, hash) DO UPDATE SET last_at = max(last_at, excluded.last_at) RETURNING id, body',
    ),
    touchBody: db.prepare('UPDATE violation_bodies SET last_at = max(last_at, ?) WHERE id = ?'),
    body: db.prepare('SELECT id, body FROM violation_bodies WHERE id = ?'),
    insertTick: db.prepare('INSERT INTO ticks (host_id, at, structure_id, row) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    ticksInRange: db.prepare('SELECT at, structure_id, row FROM ticks WHERE host_id = ? AND at >= ? AND at <= ? ORDER BY at LIMIT ?'),
    tickAt: db.prepare('SELECT at, structure_id, row FROM ticks WHERE host_id = ? AND at = ?'),
    tickAtOrBefore: db.prepare('SELECT at, structure_id, row FROM ticks WHERE host_id = ? AND at <= ? ORDER BY at DESC LIMIT 1'),
    tickAtOrAfter: db.prepare('SELECT at, structure_id, row FROM ticks WHERE host_id = ? AND at >= ? ORDER BY at LIMIT 1'),
    newestRow: db.prepare('SELECT max(at) AS at FROM ticks WHERE host_id = ?'),
    newestChunk: db.prepare('SELECT max(last_at) AS at FROM chunks WHERE host_id = ?'),
    deleteTickAt: db.prepare('DELETE FROM ticks WHERE host_id = ? AND at = ?'),
    insertChunk: db.prepare(
      'INSERT INTO chunks (host_id, first_at, last_at, minute, structure_id, ticks, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id, first_at) DO UPDATE SET last_at = excluded.last_at, minute = excluded.minute, structure_id = excluded.structure_id, ticks = excluded.ticks, data = excluded.data',
    ),
    chunksInRange: db.prepare('SELECT first_at, last_at, minute, structure_id, ticks, data FROM chunks WHERE host_id = ? AND last_at >= ? AND first_at <= ? ORDER BY first_at'),
    chunkAtOrBefore: db.prepare('SELECT first_at, last_at, minute, structure_id, ticks, data FROM chunks WHERE host_id = ? AND first_at <= ? ORDER BY first_at DESC LIMIT 1'),
    chunkAtOrAfter: db.prepare('SELECT first_at, last_at, minute, structure_id, ticks, data FROM chunks WHERE host_id = ? AND last_at >= ? ORDER BY last_at LIMIT 1'),
    deleteChunk: db.prepare('DELETE FROM chunks WHERE host_id = ? AND first_at = ?'),
    chunkCounts: db.prepare('SELECT minute, sum(ticks) AS n FROM chunks WHERE host_id = ? AND minute >= ? AND minute < ? GROUP BY minute'),
    deleteChunksBefore: db.prepare('DELETE FROM chunks WHERE host_id = ? AND minute < ?'),
    tickCounts: db.prepare('SELECT (at / 60000) * 60000 AS minute, count(*) AS n FROM ticks WHERE host_id = ? AND at >= ? AND at < ? GROUP BY minute'),
    deleteTicks: db.prepare('DELETE FROM ticks WHERE host_id = ? AND at < ?'),
    residency: db.prepare('SELECT minute, ticks, data FROM residency WHERE host_id = ? AND minute >= ? AND minute <= ? ORDER BY minute'),
    residencyCounts: db.prepare('SELECT minute, ticks FROM residency WHERE host_id = ? AND minute >= ? AND minute < ?'),
    upsertResidency: db.prepare(
      'INSERT INTO residency (host_id, minute, ticks, data) VALUES (?, ?, ?, ?) ON CONFLICT (host_id, minute) DO UPDATE SET ticks = excluded.ticks, data = excluded.data',
    ),
    deleteResidency: db.prepare('DELETE FROM residency WHERE minute < ?'),
    deleteStructures: db.prepare('DELETE FROM structures WHERE last_at < ?'),
    deleteBodies: db.prepare('DELETE FROM violation_bodies WHERE last_at < ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };

  // better-sqlite3 is synchronous: each query runs to completion before the promise is returned.
  const q: Queries = {
    ensureHost: async (name) => num(field(s.ensureHost.get(name), 'id'), 'hosts.id'),
    hostId: async (name) => {
      const r = s.hostId.get(name);
      return r === undefined ? null : num(field(r, 'id'), 'hosts.id');
    },
    hosts: async () =>
      s.hosts.all().map((r): HostRow => ({ id: num(field(r, 'id'), 'hosts.id'), name: text(field(r, 'name'), 'hosts.name'), checkedTo: num(field(r, 'checked_to'), 'hosts.checked_to') })),
    setHostChecked: async (hostId, minute) => {
      s.setHostChecked.run(minute, hostId);
    },
    ensureStructure: async (hostId, hash, json, at) => storedStructure(s.ensureStructure.get(hostId, hash, deflateRawSync(json, STRUCTURE_DEFLATE), at)),
    touchStructure: async (id, at) => s.touchStructure.run(at, id).changes > 0,
    structures: async (ids) => ids.flatMap((id) => {
      const r = s.structure.get(id);
      return r === undefined ? [] : [storedStructure(r)];
    }),
    ensureViolationBody: async (hostId, hash, json, at) => storedText(s.ensureBody.get(hostId, hash, json, at), 'violation_bodies'),
    touchViolationBody: async (id, at) => s.touchBody.run(at, id).changes > 0,
    violationBodies: async (ids) => ids.flatMap((id) => {
      const r = s.body.get(id);
      return r === undefined ? [] : [storedText(r, 'violation_bodies')];
    }),
    insertTicks: async (ticks) => ticks.map((t) => s.insertTick.run(t.hostId, t.at, t.structureId, t.row).changes > 0),
    ticksInRange: async (hostId, from, to, limit) => s.ticksInRange.all(hostId, from, to, limit ?? -1).map(tick),
    ticksAt: async (hostId, ats) => ats.flatMap((at) => {
      const r = s.tickAt.get(hostId, at);
      return r === undefined ? [] : [tick(r)];
    }),
    tickAtOrBefore: async (hostId, at) => {
      const r = s.tickAtOrBefore.get(hostId, at);
      return r === undefined ? null : tick(r);
    },
    tickAtOrAfter: async (hostId, at) => {
      const r = s.tickAtOrAfter.get(hostId, at);
      return r === undefined ? null : tick(r);
    },
    newestAt: async (hostId) => {
      const a = field(s.newestRow.get(hostId), 'at');
      const b = field(s.newestChunk.get(hostId), 'at');
      const at = [a, b].filter((x) => x !== null).map((x) => num(x, 'newest tick'));
      return at.length === 0 ? null : Math.max(...at);
    },
    deleteTicksAt: async (hostId, ats) => {
      for (const at of ats) s.deleteTickAt.run(hostId, at);
    },
    insertChunk: async (hostId, c) => {
      s.insertChunk.run(hostId, c.firstAt, c.lastAt, c.minute, c.structureId, c.ticks, c.data);
    },
    chunksInRange: async (hostId, from, to) => s.chunksInRange.all(hostId, from, to).map(chunk),
    chunkAtOrBefore: async (hostId, at) => {
      const r = s.chunkAtOrBefore.get(hostId, at);
      return r === undefined ? null : chunk(r);
    },
    chunkAtOrAfter: async (hostId, at) => {
      const r = s.chunkAtOrAfter.get(hostId, at);
      return r === undefined ? null : chunk(r);
    },
    deleteChunks: async (hostId, firstAts) => {
      for (const at of firstAts) s.deleteChunk.run(hostId, at);
    },
    chunkCountsByMinute: async (hostId, from, to) =>
      new Map(s.chunkCounts.all(hostId, from, to).map((r) => [num(field(r, 'minute'), 'chunks.minute'), num(field(r, 'n'), 'sum(chunks.ticks)')])),
    deleteChunksBefore: async (hostId, minute) => {
      s.deleteChunksBefore.run(hostId, minute);
    },
    tickCountsByMinute: async (hostId, from, to) =>
      new Map(s.tickCounts.all(hostId, from, to).map((r) => [num(field(r, 'minute'), 'minute'), num(field(r, 'n'), 'count')])),
    deleteTicksBefore: async (hostId, at) => {
      s.deleteTicks.run(hostId, at);
    },
    residency: async (hostId, fromMinute, toMinute) =>
      s.residency.all(hostId, fromMinute, toMinute).map(
        (r): ResidencyRow => ({ minute: num(field(r, 'minute'), 'residency.minute'), ticks: num(field(r, 'ticks'), 'residency.ticks'), data: bytes(field(r, 'data'), 'residency.data') }),
      ),
    residencyCounts: async (hostId, from, to) =>
      new Map(s.residencyCounts.all(hostId, from, to).map((r) => [num(field(r, 'minute'), 'residency.minute'), num(field(r, 'ticks'), 'residency.ticks')])),
    upsertResidency: async (hostId, r) => {
      s.upsertResidency.run(hostId, r.minute, r.ticks, r.data);
    },
    deleteResidencyBefore: async (minute) => {
      s.deleteResidency.run(minute);
    },
    deleteUnusedBefore: async (at) => {
      s.deleteStructures.run(at);
      s.deleteBodies.run(at);
    },
    getMeta: async (key) => {
      const r = s.getMeta.get(key);
      return r === undefined ? null : text(field(r, 'value'), 'meta.value');
    },
    setMeta: async (key, value) => {
      s.setMeta.run(key, value);
    },
    notify: async () => undefined,
  };

  const checkpointer = await SqliteCheckpointer.start(file, (err) => {
    onError(err);
    // The worker is gone or failing: let commits checkpoint again, or the WAL grows without end.
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  if (checkpointer) db.pragma('wal_autocheckpoint = 0');

  // Transactions and reads are serialized: the connection is shared, and a read between the
  // statements of an open transaction would see its uncommitted rows.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  };
  let open = true;
  const assertOpen = (): void => {
    if (!open) throw new Error(`sqlite: ${file} is closed`);
  };

  return {
    kind: 'sqlite',
    read: (fn) =>
      serial(async () => {
        assertOpen();
        return fn(q);
      }),
    write: (fn) =>
      serial(async () => {
        assertOpen();
        s.begin.run();
        try {
          const r = await fn(q);
          s.commit.run();
          return r;
        } catch (err) {
          if (db.inTransaction) s.rollback.run();
          throw err;
        }
      }),
    close: async () => {
      await chain;
      if (!open) return;
      open = false;
      await checkpointer?.stop();
      db.close();
    },
  };
}

/**
 * Creates the schema, or brings an older one up to date in one transaction. Version 1 (rows
 * only) gains the chunks table; its rows stay as they are and are compacted into chunks minute by
 * minute once the store runs (FrameStore.prune), so nothing is dropped or rewritten at start.
 */
function migrate(db: Database.Database, file: string): void {
  const version = num(db.pragma('user_version', { simple: true }), 'user_version');
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw new Error(`sqlite: ${file} has schema version ${version}, newer than this server's ${SCHEMA_VERSION}: upgrade the server or point it at another data directory`);
  }
  if (version !== 0 && version !== 1) throw new Error(`sqlite: ${file} has unknown schema version ${version}`);
  db.transaction(() => {
    if (version === 0) db.exec(SCHEMA);
    db.exec(CHUNKS);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
