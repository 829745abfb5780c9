// The server's frame store: what the route handlers call. Frames (lib/wire/frame.ts) arrive
// validated and fitted to their structure (resolve-frames.ts); the store keeps a live window per host in memory and persists everything to SQLite
// (default, `${dataDir}/vcpumap.sqlite`) or PostgreSQL (`databaseUrl` postgres:// or
// postgresql://, shared by several server replicas).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Snapshot, SnapshotCpu, SnapshotResidency, SnapshotWakeLatency, Violation } from '../../model/snapshot';
import type { ThreadRole } from '../../model/types';
import type { Frame } from '../../wire/frame';
import type { StructureBody } from '../../wire/structure-body';
import { FrameStoreImpl } from './frame-store';

export { StoreRequestError } from './store-errors';

export interface HostSummary {
  host: string;
  lastSeen: number; // epoch ms of its newest frame
  vms: number;
  vcpus: number;
  violations: number; // in its newest frame
}

export interface HistoryThread {
  key: string; // `${vm}:${pid}:${tid}`
  vm: string;
  pid: number;
  tid: number;
  role: ThreadRole;
  vcpu: number | null;
  name: string;
}

export interface History {
  host: string;
  from: number; // epoch ms, as asked
  to: number; // epoch ms, as asked
  /** null: full resolution (one column per stored tick); else the bucket width in ms actually used. */
  stepMs: number | null;
  ticks: number[]; // epoch ms, ascending (bucket starts when stepMs is set); only ticks/buckets with data
  threads: HistoryThread[]; // every thread seen in the window (vCPUs first, then others), stable order
  /** [tickIndex][threadIndex]: pCPU, null when the thread did not exist then; for buckets the pCPU it spent most ticks on. */
  pcpu: (number | null)[][];
  /** Full resolution only: ran since the previous tick (0 = stale observation). */
  ran: (0 | 1)[][] | null;
  /** Buckets only: share (0..1) of the bucket's ticks on that pCPU. */
  share: number[][] | null;
  /**
   * Asked for with `counters` only (absent otherwise): [tickIndex][threadIndex] the vCPU's ns on
   * CPU (runNs) and waiting on a run queue (waitNs) in that tick, or for buckets summed over the
   * bucket; null for a thread that is no vCPU, or when unknown.
   */
  runNs?: (number | null)[][];
  waitNs?: (number | null)[][];
  /**
   * Exact mode, with `counters` only, and only when some tick of the answer was taken in exact
   * mode (docs/api.md "Exact mode"): [column][threadIndex] the thread's (its vCPU's) residency,
   * migrations and wake-up latency, merged over a bucket's ticks (exact-history.ts); null where
   * not known. Per pCPU: `cpus` (ids, ascending) and [column][cpuIndex] its other tasks,
   * interrupts and lost events.
   */
  residency?: (SnapshotResidency[] | null)[][];
  migrations?: (number | null)[][];
  wakeLatencyNs?: (SnapshotWakeLatency | null)[][];
  cpus?: number[];
  cpuExact?: (Pick<SnapshotCpu, 'others' | 'othersRest' | 'irqs' | 'lostEvents'> | null)[][];
  violations: Violation[]; // distinct by id over the window, since/lastSeen as stored (latest sighting)
}

export type HostViolation = Violation & { host: string };

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
