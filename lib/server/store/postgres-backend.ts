// PostgreSQL (pg) behind backend.ts, for several server replicas on one database: a pg.Pool for
// queries and transactions, and a dedicated client that LISTENs for the frames other replicas
// store (postgres-listener.ts). Tables are prefixed vcpumap_; binary columns are BYTEA; the schema
// is created under an advisory lock so that replicas starting together do not race.
import pg from 'pg';
import type { Backend, HostRow, Queries, ResidencyRow, StoredChunk, StoredText, StoredTick } from './backend';
import { PostgresListener } from './postgres-listener';
import { NOTIFY_CHANNEL } from './replica-notify';

const SCHEMA_VERSION = 2;
const SCHEMA_LOCK = 7_663_707_500; // pg_advisory_lock key for schema changes ("vcpu" + 00)

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS vcpumap_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS vcpumap_hosts (
     id SERIAL PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     checked_to BIGINT NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS vcpumap_structures (
     id BIGSERIAL PRIMARY KEY,
     host_id INTEGER NOT NULL,
     hash TEXT NOT NULL,
     body TEXT NOT NULL,
     last_at BIGINT NOT NULL,
     UNIQUE (host_id, hash))`,
  `CREATE TABLE IF NOT EXISTS vcpumap_violation_bodies (
     id BIGSERIAL PRIMARY KEY,
     host_id INTEGER NOT NULL,
     hash TEXT NOT NULL,
     body TEXT NOT NULL,
     last_at BIGINT NOT NULL,
     UNIQUE (host_id, hash))`,
  `CREATE TABLE IF NOT EXISTS vcpumap_ticks (
     host_id INTEGER NOT NULL,
     at BIGINT NOT NULL,
     structure_id BIGINT NOT NULL,
     row BYTEA NOT NULL,
     PRIMARY KEY (host_id, at))`,
  `CREATE TABLE IF NOT EXISTS vcpumap_residency (
     host_id INTEGER NOT NULL,
     minute BIGINT NOT NULL,
     ticks INTEGER NOT NULL,
     data BYTEA NOT NULL,
     PRIMARY KEY (host_id, minute))`,
];

/**
 * Version 2: ticks of closed minutes move from rows to columnar chunks, and each chunk's vCPU
 * placement is also kept as plain SQL arrays, which the view vcpumap_vcpu_placement unnests into
 * one row per vCPU and tick (docs/api.md) for operators' own queries.
 */
const CHUNKS = [
  `CREATE TABLE IF NOT EXISTS vcpumap_chunks (
     host_id INTEGER NOT NULL,
     first_at BIGINT NOT NULL,
     last_at BIGINT NOT NULL,
     minute BIGINT NOT NULL,
     structure_id BIGINT NOT NULL,
     ticks INTEGER NOT NULL,
     data BYTEA NOT NULL,
     ats BIGINT[] NOT NULL,
     PRIMARY KEY (host_id, first_at))`,
  `CREATE INDEX IF NOT EXISTS vcpumap_chunks_last_at ON vcpumap_chunks (host_id, last_at)`,
  `CREATE TABLE IF NOT EXISTS vcpumap_chunk_vcpus (
     host_id INTEGER NOT NULL,
     first_at BIGINT NOT NULL,
     vm TEXT NOT NULL,
     pid INTEGER NOT NULL,
     vcpu INTEGER NOT NULL,
     tid INTEGER NOT NULL,
     pcpus SMALLINT[] NOT NULL,
     PRIMARY KEY (host_id, first_at, pid, vcpu),
     FOREIGN KEY (host_id, first_at) REFERENCES vcpumap_chunks (host_id, first_at) ON DELETE CASCADE)`,
  `CREATE OR REPLACE VIEW vcpumap_vcpu_placement AS
     SELECT h.name AS host, v.vm, v.pid, v.vcpu, v.tid, s.pcpu, s.at
     FROM vcpumap_chunk_vcpus v
     JOIN vcpumap_chunks c ON c.host_id = v.host_id AND c.first_at = v.first_at
     JOIN vcpumap_hosts h ON h.id = v.host_id
     CROSS JOIN LATERAL unnest(v.pcpus, c.ats) AS s(pcpu, at)`,
];

type Run = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

/** BIGINT columns arrive as strings: epoch ms and ids stay below 2^53. */
function num(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`postgres: ${what} is ${JSON.stringify(v)}, expected an integer`);
  return n;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error(`postgres: ${what} is ${typeof v}, expected bytea`);
}

function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`postgres: ${what} is ${typeof v}, expected text`);
}

function col(row: unknown, key: string): unknown {
  if (typeof row !== 'object' || row === null) throw new Error(`postgres: expected a row, got ${typeof row}`);
  return Reflect.get(row, key);
}

function tick(r: unknown): StoredTick {
  return { at: num(col(r, 'at'), 'ticks.at'), structureId: num(col(r, 'structure_id'), 'ticks.structure_id'), row: bytes(col(r, 'row'), 'ticks.row') };
}

function chunk(r: unknown): StoredChunk {
  return {
    firstAt: num(col(r, 'first_at'), 'chunks.first_at'),
    lastAt: num(col(r, 'last_at'), 'chunks.last_at'),
    minute: num(col(r, 'minute'), 'chunks.minute'),
    structureId: num(col(r, 'structure_id'), 'chunks.structure_id'),
    ticks: num(col(r, 'ticks'), 'chunks.ticks'),
    data: bytes(col(r, 'data'), 'chunks.data'),
  };
}

const CHUNK_COLUMNS = 'first_at, last_at, minute, structure_id, ticks, data';
const bytea = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function storedText(r: unknown, table: string): StoredText {
  return { id: num(col(r, 'id'), `${table}.id`), json: text(col(r, 'body'), `${table}.body`) };
}

function first(res: pg.QueryResult, what: string): unknown {
  const r: unknown = res.rows[0];
  if (r === undefined) throw new Error(`postgres: ${what} returned no row`);
  return r;
}

function queries(run: Run): Queries {
  // Structures and violation bodies are both deduplicated text keyed by (host, hash). The table
  // name comes from this union only, never from input.
  const ensureBody = async (
    table: 'vcpumap_structures' | 'vcpumap_violation_bodies',
    hostId: number,
    hash: string,
    json: string,
    at: number,
  ): Promise<StoredText> =>
    storedText(
      first(
        await run(
          `INSERT INTO ${table} AS t (host_id, hash, body, last_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (host_id, hash) DO UPDATE SET last_at = GREATEST(t.last_at, EXCLUDED.last_at) RETURNING id, body`,
          [hostId, hash, json, at],
        ),
        table,
      ),
      table.replace('vcpumap_', ''),
    );
  return {
    ensureHost: async (name) =>
      num(col(first(await run('INSERT INTO vcpumap_hosts (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id', [name]), 'ensureHost'), 'id'), 'hosts.id'),
    hostId: async (name) => {
      const r: unknown = (await run('SELECT id FROM vcpumap_hosts WHERE name = $1', [name])).rows[0];
      return r === undefined ? null : num(col(r, 'id'), 'hosts.id');
    },
    hosts: async () =>
      (await run('SELECT id, name, checked_to FROM vcpumap_hosts ORDER BY name')).rows.map(
        (r: unknown): HostRow => ({ id: num(col(r, 'id'), 'hosts.id'), name: text(col(r, 'name'), 'hosts.name'), checkedTo: num(col(r, 'checked_to'), 'hosts.checked_to') }),
      ),
    setHostChecked: async (hostId, minute) => {
      await run('UPDATE vcpumap_hosts SET checked_to = GREATEST(checked_to, $1) WHERE id = $2', [minute, hostId]);
    },
    ensureStructure: (hostId, hash, json, at) => ensureBody('vcpumap_structures', hostId, hash, json, at),
    touchStructure: async (id, at) => ((await run('UPDATE vcpumap_structures SET last_at = GREATEST(last_at, $1) WHERE id = $2', [at, id])).rowCount ?? 0) > 0,
    structures: async (ids) => (await run('SELECT id, body FROM vcpumap_structures WHERE id = ANY($1::bigint[])', [ids])).rows.map((r: unknown) => storedText(r, 'structures')),
    ensureViolationBody: (hostId, hash, json, at) => ensureBody('vcpumap_violation_bodies', hostId, hash, json, at),
    touchViolationBody: async (id, at) => ((await run('UPDATE vcpumap_violation_bodies SET last_at = GREATEST(last_at, $1) WHERE id = $2', [at, id])).rowCount ?? 0) > 0,
    violationBodies: async (ids) => (await run('SELECT id, body FROM vcpumap_violation_bodies WHERE id = ANY($1::bigint[])', [ids])).rows.map((r: unknown) => storedText(r, 'violation_bodies')),
    insertTicks: async (ticks) => {
      if (ticks.length === 0) return [];
      const res = await run(
        `INSERT INTO vcpumap_ticks (host_id, at, structure_id, row)
         SELECT u.hid, u.at, u.sid, u.row FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::bytea[]) AS u(hid, at, sid, row)
         ON CONFLICT DO NOTHING RETURNING host_id, at`,
        [ticks.map((t) => t.hostId), ticks.map((t) => t.at), ticks.map((t) => t.structureId), ticks.map((t) => Buffer.from(t.row.buffer, t.row.byteOffset, t.row.byteLength))],
      );
      const inserted = new Set(res.rows.map((r: unknown) => `${num(col(r, 'host_id'), 'ticks.host_id')} ${num(col(r, 'at'), 'ticks.at')}`));
      return ticks.map((t) => inserted.has(`${t.hostId} ${t.at}`));
    },
    ticksInRange: async (hostId, from, to, limit) =>
      (await run('SELECT at, structure_id, row FROM vcpumap_ticks WHERE host_id = $1 AND at >= $2 AND at <= $3 ORDER BY at LIMIT $4', [hostId, Math.ceil(from), Math.floor(to), limit ?? null])).rows.map(tick),
    ticksAt: async (hostId, ats) =>
      (await run('SELECT at, structure_id, row FROM vcpumap_ticks WHERE host_id = $1 AND at = ANY($2::bigint[]) ORDER BY at', [hostId, ats])).rows.map(tick),
    tickAtOrBefore: async (hostId, at) => {
      const r: unknown = (await run('SELECT at, structure_id, row FROM vcpumap_ticks WHERE host_id = $1 AND at <= $2 ORDER BY at DESC LIMIT 1', [hostId, Math.floor(at)])).rows[0];
      return r === undefined ? null : tick(r);
    },
    tickAtOrAfter: async (hostId, at) => {
      const r: unknown = (await run('SELECT at, structure_id, row FROM vcpumap_ticks WHERE host_id = $1 AND at >= $2 ORDER BY at LIMIT 1', [hostId, Math.ceil(at)])).rows[0];
      return r === undefined ? null : tick(r);
    },
    newestAt: async (hostId) => {
      const v = col(
        first(await run('SELECT GREATEST((SELECT max(at) FROM vcpumap_ticks WHERE host_id = $1), (SELECT max(last_at) FROM vcpumap_chunks WHERE host_id = $1)) AS at', [hostId]), 'newestAt'),
        'at',
      );
      return v === null ? null : num(v, 'newest tick');
    },
    deleteTicksAt: async (hostId, ats) => {
      if (ats.length > 0) await run('DELETE FROM vcpumap_ticks WHERE host_id = $1 AND at = ANY($2::bigint[])', [hostId, ats]);
    },
    insertChunk: async (hostId, c, placement) => {
      await run(
        `INSERT INTO vcpumap_chunks AS t (host_id, first_at, last_at, minute, structure_id, ticks, data, ats) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint[])
         ON CONFLICT (host_id, first_at) DO UPDATE SET last_at = EXCLUDED.last_at, minute = EXCLUDED.minute, structure_id = EXCLUDED.structure_id, ticks = EXCLUDED.ticks, data = EXCLUDED.data, ats = EXCLUDED.ats`,
        [hostId, c.firstAt, c.lastAt, c.minute, c.structureId, c.ticks, bytea(c.data), placement?.ats ?? []],
      );
      await run('DELETE FROM vcpumap_chunk_vcpus WHERE host_id = $1 AND first_at = $2', [hostId, c.firstAt]);
      const vcpus = placement?.vcpus ?? [];
      if (vcpus.length === 0) return;
      // Arrays of arrays must be rectangular in SQL: each vCPU's pCPUs go as an array literal.
      await run(
        `INSERT INTO vcpumap_chunk_vcpus (host_id, first_at, vm, pid, vcpu, tid, pcpus)
         SELECT $1::integer, $2::bigint, u.vm, u.pid, u.vcpu, u.tid, u.pcpus::smallint[]
         FROM unnest($3::text[], $4::integer[], $5::integer[], $6::integer[], $7::text[]) AS u(vm, pid, vcpu, tid, pcpus)`,
        [hostId, c.firstAt, vcpus.map((v) => v.vm), vcpus.map((v) => v.pid), vcpus.map((v) => v.vcpu), vcpus.map((v) => v.tid), vcpus.map((v) => `{${v.pcpus.join(',')}}`)],
      );
    },
    chunksInRange: async (hostId, from, to) =>
      (await run(`SELECT ${CHUNK_COLUMNS} FROM vcpumap_chunks WHERE host_id = $1 AND last_at >= $2 AND first_at <= $3 ORDER BY first_at`, [hostId, Math.ceil(from), Math.floor(to)])).rows.map(chunk),
    chunkAtOrBefore: async (hostId, at) => {
      const r: unknown = (await run(`SELECT ${CHUNK_COLUMNS} FROM vcpumap_chunks WHERE host_id = $1 AND first_at <= $2 ORDER BY first_at DESC LIMIT 1`, [hostId, Math.floor(at)])).rows[0];
      return r === undefined ? null : chunk(r);
    },
    chunkAtOrAfter: async (hostId, at) => {
      const r: unknown = (await run(`SELECT ${CHUNK_COLUMNS} FROM vcpumap_chunks WHERE host_id = $1 AND last_at >= $2 ORDER BY last_at LIMIT 1`, [hostId, Math.ceil(at)])).rows[0];
      return r === undefined ? null : chunk(r);
    },
    deleteChunks: async (hostId, firstAts) => {
      if (firstAts.length > 0) await run('DELETE FROM vcpumap_chunks WHERE host_id = $1 AND first_at = ANY($2::bigint[])', [hostId, firstAts]);
    },
    chunkCountsByMinute: async (hostId, from, to) =>
      new Map(
        (await run('SELECT minute, sum(ticks) AS n FROM vcpumap_chunks WHERE host_id = $1 AND minute >= $2 AND minute < $3 GROUP BY minute', [hostId, Math.ceil(from), Math.ceil(to)])).rows.map((r: unknown) => [
          num(col(r, 'minute'), 'chunks.minute'),
          num(col(r, 'n'), 'sum(chunks.ticks)'),
        ]),
      ),
    deleteChunksBefore: async (hostId, minute) => {
      await run('DELETE FROM vcpumap_chunks WHERE host_id = $1 AND minute < $2', [hostId, Math.ceil(minute)]);
    },
    tickCountsByMinute: async (hostId, from, to) =>
      new Map(
        (await run('SELECT (at / 60000) * 60000 AS minute, count(*) AS n FROM vcpumap_ticks WHERE host_id = $1 AND at >= $2 AND at < $3 GROUP BY 1', [hostId, Math.ceil(from), Math.ceil(to)])).rows.map(
          (r: unknown) => [num(col(r, 'minute'), 'minute'), num(col(r, 'n'), 'count')],
        ),
      ),
    deleteTicksBefore: async (hostId, at) => {
      await run('DELETE FROM vcpumap_ticks WHERE host_id = $1 AND at < $2', [hostId, Math.ceil(at)]);
    },
    residency: async (hostId, fromMinute, toMinute) =>
      (await run('SELECT minute, ticks, data FROM vcpumap_residency WHERE host_id = $1 AND minute >= $2 AND minute <= $3 ORDER BY minute', [hostId, fromMinute, toMinute])).rows.map(
        (r: unknown): ResidencyRow => ({ minute: num(col(r, 'minute'), 'residency.minute'), ticks: num(col(r, 'ticks'), 'residency.ticks'), data: bytes(col(r, 'data'), 'residency.data') }),
      ),
    residencyCounts: async (hostId, from, to) =>
      new Map(
        (await run('SELECT minute, ticks FROM vcpumap_residency WHERE host_id = $1 AND minute >= $2 AND minute < $3', [hostId, Math.ceil(from), Math.ceil(to)])).rows.map((r: unknown) => [
          num(col(r, 'minute'), 'residency.minute'),
          num(col(r, 'ticks'), 'residency.ticks'),
        ]),
      ),
    upsertResidency: async (hostId, r) => {
      await run(
        `INSERT INTO vcpumap_residency (host_id, minute, ticks, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (host_id, minute) DO UPDATE SET ticks = EXCLUDED.ticks, data = EXCLUDED.data`,
        [hostId, r.minute, r.ticks, bytea(r.data)],
      );
    },
    deleteResidencyBefore: async (minute) => {
      await run('DELETE FROM vcpumap_residency WHERE minute < $1', [Math.ceil(minute)]);
    },
    deleteUnusedBefore: async (at) => {
      if (!Number.isFinite(at)) return;
      await run('DELETE FROM vcpumap_structures WHERE last_at < $1', [Math.ceil(at)]);
      await run('DELETE FROM vcpumap_violation_bodies WHERE last_at < $1', [Math.ceil(at)]);
    },
    getMeta: async (key) => {
      const r: unknown = (await run('SELECT value FROM vcpumap_meta WHERE key = $1', [key])).rows[0];
      return r === undefined ? null : text(col(r, 'value'), 'meta.value');
    },
    setMeta: async (key, value) => {
      await run('INSERT INTO vcpumap_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, value]);
    },
    notify: async (payloads) => {
      if (payloads.length === 0) return;
      await run('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [NOTIFY_CHANNEL, payloads]);
    },
  };
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

export async function openPostgresBackend(url: string, onError: (err: Error) => void): Promise<Backend> {
  const where = describe(url);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // An idle pooled connection that breaks (server restart) is reported, not thrown: the pool
  // replaces it on the next query.
  pool.on('error', (err) => onError(new Error(`postgres ${where}: idle connection failed: ${err.message}`, { cause: err })));
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`postgres ${where}: cannot prepare the schema: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const poolQueries = queries((sql, params) => pool.query(sql, params));
  let listener: PostgresListener | null = null;
  let open = true;
  const assertOpen = (): void => {
    if (!open) throw new Error(`postgres ${where}: store is closed`);
  };

  return {
    kind: 'postgres',
    read: async (fn) => {
      assertOpen();
      return fn(poolQueries);
    },
    write: async (fn) => {
      assertOpen();
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const r = await fn(queries((sql, params) => client.query(sql, params)));
        await client.query('COMMIT');
        return r;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    listen: async (l) => {
      listener = new PostgresListener(url, where, NOTIFY_CHANNEL, l, onError);
      await listener.start();
    },
    close: async () => {
      if (!open) return;
      open = false;
      await listener?.stop();
      await pool.end();
    },
  };
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    try {
      const r: unknown = (await client.query("SELECT to_regclass('vcpumap_meta') IS NOT NULL AS present")).rows[0];
      const present = col(r, 'present') === true;
      const row: unknown = present ? (await client.query('SELECT value FROM vcpumap_meta WHERE key = $1', ['schema_version'])).rows[0] : undefined;
      const version = row === undefined ? null : Number(text(col(row, 'value'), 'meta.value'));
      if (version !== null && version > SCHEMA_VERSION) {
        throw new Error(`the database has schema version ${version}, newer than this server's ${SCHEMA_VERSION}: upgrade the server`);
      }
      if (version !== null && version !== 1 && version !== SCHEMA_VERSION) throw new Error(`the database has unknown schema version ${version}`);
      // Version 1 (rows only) gains the chunks; its rows are compacted once the store runs.
      await client.query('BEGIN');
      try {
        for (const sql of [...SCHEMA, ...CHUNKS]) await client.query(sql);
        await client.query('INSERT INTO vcpumap_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', ['schema_version', String(SCHEMA_VERSION)]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
    }
  } finally {
    client.release();
  }
}
