// Where a history answer comes from, decided without a database: the live window covers its
// host's ticks from `coverage` on; before that the database has rows and chunks (full resolution,
// while retained) and per-minute residency. A step of a minute or more, or a window older than
// full retention, is answered from residency for whole minutes (the same answer whether it comes
// from the window or the database), except minutes whose residency is not written yet (the
// host's open minute, minutes queued for compaction): those come from their ticks. Pure.
import { MAX_COLUMNS } from './history';
import { MINUTE_MS, minuteOf } from './residency';
import { StoreRequestError } from './store-errors';

export interface HistoryAsk {
  readonly from: number; // epoch ms
  readonly to: number;
  readonly stepMs?: number;
}

export interface HistoryFacts {
  /** The window has every tick of the host from here on (epoch ms; +Infinity: no window). */
  readonly coverage: number;
  /** Full-resolution ticks before this are pruned (epoch ms, minute-aligned). */
  readonly horizon: number;
  /** The host's newest stored tick (epoch ms; NaN when unknown). */
  readonly newest: number;
  /** Closed minutes whose residency is not written yet. */
  readonly pending: ReadonlySet<number>;
  /** The host has ticks in the database (else only the window is read). */
  readonly inDatabase: boolean;
}

export interface TickRange {
  readonly from: number;
  readonly to: number;
  readonly limit?: number;
}

export interface HistoryPlan {
  /** null: one column per tick; else the bucket width in ms. */
  readonly step: number | null;
  readonly residencyMode: boolean;
  /** The minutes (inclusive, minute-aligned) read from the residency table, except `skip`. */
  readonly residency: { readonly from: number; readonly to: number; readonly skip: ReadonlySet<number> } | null;
  /** Ticks read from the database, ascending ranges; of these only those before `dbBefore` are used. */
  readonly ranges: readonly TickRange[];
  readonly dbBefore: number;
  /** Ticks read from the live window: memFrom <= at <= last. */
  readonly memFrom: number;
  readonly last: number;
}

/** Throws StoreRequestError for a window or step that cannot be answered. */
export function checkAsk(ask: HistoryAsk): void {
  const { from, to, stepMs } = ask;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new StoreRequestError(`history: from and to must be epoch ms, got ${from} and ${to}`);
  if (from > to) throw new StoreRequestError(`history: from (${from}) is after to (${to})`);
  if (stepMs !== undefined && !(Number.isFinite(stepMs) && stepMs > 0)) throw new StoreRequestError(`history: stepMs must be a positive number of ms, got ${stepMs}`);
}

/** True when the plan depends on the stored full-resolution cutoff (the window does not cover `from`). */
export function needsHorizon(ask: HistoryAsk, coverage: number): boolean {
  return minuteOf(ask.from) < coverage;
}

export function planHistory(ask: HistoryAsk, facts: HistoryFacts): HistoryPlan {
  checkAsk(ask);
  const { from, to, stepMs } = ask;
  const { coverage, horizon } = facts;
  const residencyMode = (stepMs !== undefined && stepMs >= MINUTE_MS) || (from < coverage && from < horizon);
  const step = residencyMode ? Math.ceil((stepMs ?? MINUTE_MS) / MINUTE_MS) * MINUTE_MS : (stepMs ?? null);
  if (step !== null && (to - from) / step > MAX_COLUMNS) {
    throw new StoreRequestError(`history: ${Math.ceil((to - from) / step)} buckets of ${step} ms, more than ${MAX_COLUMNS}: ask for a larger stepMs`);
  }
  const first = residencyMode ? minuteOf(from) : from;
  const last = residencyMode ? minuteOf(to) + MINUTE_MS - 1 : to;
  const db = facts.inDatabase && first < coverage;
  if (!db) return { step, residencyMode, residency: null, ranges: [], dbBefore: coverage, memFrom: first, last };
  if (!residencyMode) {
    const range: TickRange = { from: first, to: Math.min(last, coverage), ...(step === null ? { limit: MAX_COLUMNS + 1 } : {}) };
    return { step, residencyMode, residency: null, ranges: [range], dbBefore: coverage, memFrom: Math.max(first, coverage), last };
  }
  // Minutes that start before the window's coverage come from the residency table, except the
  // host's newest minute, still open (no residency yet), and queued ones: from their ticks.
  const boundary = Math.ceil(coverage / MINUTE_MS) * MINUTE_MS;
  const open = Number.isFinite(facts.newest) && minuteOf(facts.newest) >= horizon ? minuteOf(facts.newest) : Number.POSITIVE_INFINITY;
  const lastClosed = Math.min(minuteOf(last), boundary - MINUTE_MS, open - MINUTE_MS);
  const ranges: TickRange[] = [];
  for (const m of [...facts.pending].sort((a, b) => a - b)) {
    if (m >= first && m <= lastClosed && m >= horizon) ranges.push({ from: m, to: m + MINUTE_MS - 1 });
  }
  const openFrom = Math.max(first, open);
  const openTo = Math.min(last, boundary - 1);
  if (openFrom <= openTo) ranges.push({ from: openFrom, to: openTo });
  return {
    step,
    residencyMode,
    residency: lastClosed >= first ? { from: first, to: lastClosed, skip: facts.pending } : null,
    ranges,
    dbBefore: Number.POSITIVE_INFINITY,
    memFrom: Math.max(first, boundary),
    last,
  };
}
