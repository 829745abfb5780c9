// WAL checkpoints off the ingest path. SQLite's automatic checkpoint runs inside whichever commit
// crosses the threshold and fsyncs the database file: tens of ms on the main thread, a p99 spike in
// ingest. A worker thread with its own connection checkpoints instead: PASSIVE (never blocks the
// writer) every EVERY_MS; but under a steady stream of commits a PASSIVE checkpoint never lets the
// WAL start over, so past RESTART_BYTES it follows with a RESTART, but only when the PASSIVE left a
// few frames to copy (RESTART_MAX_FRAMES), so that it holds the writer for a moment only.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const EVERY_MS = 250;
const RESTART_BYTES = 128 * 1024 * 1024;
// The most WAL frames a RESTART may still have to copy (it blocks the writer meanwhile; past
// SQLite's busy timeout the writer's commit fails with SQLITE_BUSY): otherwise wait for a later turn.
const RESTART_MAX_FRAMES = 256;
const JOURNAL_SIZE_LIMIT = 128 * 1024 * 1024; // the WAL file is cut back to this after a restart

// CommonJS, evaluated in the worker: no file to locate next to a bundled server.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit);
let failing = false;
// Returns how many WAL frames are still to copy after it, or -1 when it failed.
function checkpoint(mode) {
  try {
    const r = db.pragma('wal_checkpoint(' + mode + ')')[0];
    failing = false;
    return r && r.log >= 0 ? r.log - r.checkpointed : 0;
  } catch (err) {
    if (!failing) parentPort.postMessage({ error: String(err && err.message ? err.message : err) });
    failing = true;
    return -1;
  }
}
const timer = setInterval(() => {
  let size = 0;
  try { size = fs.statSync(workerData.file + '-wal').size; } catch {}
  const left = checkpoint('PASSIVE');
  // A RESTART holds the writer while it copies what PASSIVE left: only when that is a few frames.
  if (size > workerData.restartBytes && left >= 0 && left <= workerData.restartMaxFrames) checkpoint('RESTART');
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.postMessage({ stopped: true });
});
parentPort.postMessage({ started: true });
`;

export { JOURNAL_SIZE_LIMIT };

export class SqliteCheckpointer {
  private constructor(private readonly worker: Worker) {}

  /**
   * Starts checkpointing `file` in a worker; resolves null when no worker can run here (the caller
   * then keeps SQLite's automatic checkpoints). Failures later go to `onError`.
   */
  static async start(file: string, onError: (err: Error) => void): Promise<SqliteCheckpointer | null> {
    let driver: string;
    try {
      driver = createRequire(import.meta.url).resolve('better-sqlite3');
    } catch {
      return null;
    }
    let worker: Worker;
    try {
      worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs: EVERY_MS, restartBytes: RESTART_BYTES, restartMaxFrames: RESTART_MAX_FRAMES, journalSizeLimit: JOURNAL_SIZE_LIMIT } });
    } catch {
      return null;
    }
    const started = await new Promise<boolean>((resolve) => {
      worker.once('message', (m: unknown) => resolve(typeof m === 'object' && m !== null && 'started' in m));
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    });
    if (!started) {
      await worker.terminate();
      return null;
    }
    worker.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'error' in m) onError(new Error(`sqlite: background checkpoint of ${file} failed: ${String(m.error)}`));
    });
    worker.on('error', (err) => onError(new Error(`sqlite: the checkpoint worker for ${file} died: ${err.message}`, { cause: err })));
    worker.unref();
    return new SqliteCheckpointer(worker);
  }

  /** A last checkpoint, then the worker's connection is closed. */
  async stop(): Promise<void> {
    // Keep the process alive until the worker has closed its connection (it is unref'd while idle).
    this.worker.ref();
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && 'stopped' in m) resolve();
      });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage('stop');
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    await this.worker.terminate();
  }
}
