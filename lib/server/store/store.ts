// The server's frame store: what the route handlers call. Frames (lib/wire/frame.ts) arrive
// validated and fitted to their structure (resolve-frames.ts); the store keeps a live window per host in memory and persists everything to SQLite
// (default, `${dataDir}/vcpumap.sqlite`) or PostgreSQL (`databaseUrl` postgres:// or
// postgresql://, shared by several server replicas).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { History } from '../../api/history';
import type { HostSummary, HostViolation } from '../../api/hosts';
import type { Snapshot } from '../../model/snapshot';
import type { Frame } from '../../wire/frame';
import type { StructureBody } from '../../wire/structure-body';
import { FrameStoreImpl } from './frame-store';

export { StoreRequestError } from './store-errors';

export interface HistoryOptions {
  readonly counters?: boolean;
}

export interface FrameStore {
  /**
   * Resolves only when the frames are durable (acknowledge after this). Frames of several hosts,
   * any order; a frame older than the host's newest is stored at its own time (an agent's backlog
   * after an outage). A duplicate (same host and at) is ignored.
   */
  ingest(frames: readonly Frame[]): Promise<void>;
  /**
   * The static part this store has for `host` under `hash` (lib/wire/structure-body.ts), from
   * memory only: compact ticks name it. Undefined when not at hand (after a restart, or when
   * another replica stored it): the agent then sends it again.
   */
  knownStructure(host: string, hash: string): StructureBody | undefined;
  hosts(): Promise<HostSummary[]>;
  latest(host: string): Promise<Snapshot | null>;
  /** The stored snapshot nearest to `at` (full-resolution range only; the earlier one on a tie). */
  nearest(host: string, at: number): Promise<Snapshot | null>;
  /**
   * Throws StoreRequestError for a bad window or step (map it to 400). `counters` adds runNs and
   * waitNs, read from the database (the live window keeps placement only).
   */
  history(host: string, from: number, to: number, stepMs?: number, opts?: HistoryOptions): Promise<History>;
  /** Violations in each host's latest snapshot. */
  activeViolations(): Promise<HostViolation[]>;
  /** Every newly stored frame, ingested here or (PostgreSQL) by another replica. Returns unsubscribe. */
  onFrame(listener: (f: Frame) => void): () => void;
  /** Retention: writes missing per-minute residency, drops full-resolution rows older than retainFullMs and minute rows older than retainMinutesMs. Call about once a minute. */
  prune(now: number): Promise<void>;
  close(): Promise<void>;
  /**
   * Settles once every host's live window has been read back from the database after open (open
   * loads only each host's newest tick, so that time to ready does not grow with the data). Never
   * rejects: a failure is reported to onError and that host's reads go to the database.
   */
  readonly windowsFilled: Promise<void>;
}

export interface StoreOptions {
  databaseUrl?: string;
  dataDir: string;
  retainFullMs?: number; // default 24 h
  retainMinutesMs?: number; // default 30 d
  liveWindowMs?: number; // default 15 min
  /** Where background failures go (PostgreSQL LISTEN reconnects, replica catch-up); default console.error. */
  onError?: (err: Error) => void;
}

export const DEFAULT_RETAIN_FULL_MS = 24 * 3600_000;
export const DEFAULT_RETAIN_MINUTES_MS = 30 * 24 * 3600_000;
export const DEFAULT_LIVE_WINDOW_MS = 15 * 60_000;

export function isPostgresUrl(url: string | undefined): boolean {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(opts: StoreOptions): Promise<FrameStore> {
  const settings = {
    retainFullMs: opts.retainFullMs ?? DEFAULT_RETAIN_FULL_MS,
    retainMinutesMs: opts.retainMinutesMs ?? DEFAULT_RETAIN_MINUTES_MS,
    liveWindowMs: opts.liveWindowMs ?? DEFAULT_LIVE_WINDOW_MS,
    onError: opts.onError ?? ((err: Error) => console.error(`vcpumap store: ${err.message}`)),
  };
  for (const [k, v] of Object.entries(settings)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v > 0)) throw new Error(`store: ${k} must be a positive number of ms, got ${v}`);
  }
  if (settings.retainFullMs < 60_000) throw new Error(`store: retainFullMs must be at least a minute, got ${settings.retainFullMs}`);
  if (opts.databaseUrl !== undefined && isPostgresUrl(opts.databaseUrl)) {
    const { openPostgresBackend } = await import('./postgres-backend');
    return FrameStoreImpl.open(await openPostgresBackend(opts.databaseUrl, settings.onError), settings);
  }
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    throw new Error(`store: DATABASE_URL must start with postgres:// or postgresql:// (got "${opts.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}"); leave it unset for SQLite under the data directory`);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const { openSqliteBackend } = await import('./sqlite-backend');
  return FrameStoreImpl.open(await openSqliteBackend(path.join(opts.dataDir, 'vcpumap.sqlite'), settings.onError), settings);
}
