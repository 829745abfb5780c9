// A throw-away PostgreSQL cluster for integration tests: Debian's postgresql 15 binaries, run as
// the `postgres` system user (PostgreSQL refuses to run as root), in a fresh temp directory, on
// 127.0.0.1 and a free port, with its unix socket inside the temp directory. Missing parts fail
// loudly: a test that cannot reach a real PostgreSQL must never pass.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const USER = 'vcpumap';
const DATABASE = 'vcpumap';

export interface TestPostgres {
  readonly url: string; // postgres://vcpumap@127.0.0.1:PORT/vcpumap
  stop(): Promise<void>;
}

function cannotRun(what: string): Error {
  return new Error(`INTEGRATION TESTS CANNOT RUN: ${what}. Run scripts/setup-os.sh as root (apt-get install postgresql-15).`);
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`id printed no number for ${name}`);
    return { uid, gid };
  } catch (err) {
    throw cannotRun(`there is no "${name}" system user (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Runs a PostgreSQL binary as the postgres user; on failure, the error carries its output. */
async function asPostgres(dir: string, bin: string, args: readonly string[]): Promise<void> {
  try {
    await run('runuser', ['-u', 'postgres', '--', path.join(BIN, bin), ...args], { cwd: dir, timeout: 120_000 });
  } catch (err) {
    throw new Error(`${bin} ${args.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}\n${outputOf(err)}`, { cause: err });
  }
}

/** stdout and stderr that execFile attaches to its error. */
function outputOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const out = 'stdout' in err ? String(err.stdout) : '';
  const errText = 'stderr' in err ? String(err.stderr) : '';
  return out + errText;
}

async function waitForConnections(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres' });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (err) {
      last = err;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`PostgreSQL on 127.0.0.1:${port} did not accept connections within ${deadlineMs} ms: ${last instanceof Error ? last.message : String(last)}`);
}

export async function startPostgres(): Promise<TestPostgres> {
  if (process.getuid?.() !== 0) throw cannotRun('not root (PostgreSQL is started as the postgres user through runuser)');
  const missing = ['initdb', 'pg_ctl', 'postgres'].filter((b) => !existsSync(path.join(BIN, b)));
  if (missing.length > 0) throw cannotRun(`missing ${missing.map((b) => path.join(BIN, b)).join(', ')}`);
  const owner = await systemUser('postgres');

  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-pg-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'socket');
  const log = path.join(dir, 'postgres.log');
  let started = false;
  const stop = async (): Promise<void> => {
    try {
      if (started) await asPostgres(dir, 'pg_ctl', ['-D', data, 'stop', '-m', 'immediate', '-w']);
    } finally {
      started = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    mkdirSync(socket);
    for (const p of [dir, socket]) chownSync(p, owner.uid, owner.gid);
    await asPostgres(dir, 'initdb', ['-D', data, '--auth=trust', '-U', USER, '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const options = ['-c listen_addresses=127.0.0.1', `-p ${port}`, `-k ${socket}`, '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'].join(' ');
    try {
      await asPostgres(dir, 'pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '(no log)';
      throw new Error(`${err instanceof Error ? err.message : String(err)}\npostgres.log:\n${tail}`, { cause: err });
    }
    started = true;
    await waitForConnections(port, 30_000);
    const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    return { url: `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
