// Assembles a History from stored ticks (full resolution) and per-minute residency. Pure: the
// store gathers the ticks (live window or database) and the minutes, this file only shapes them.
import type { Violation } from '../../model/snapshot';
import { compareViolations } from '../../model/violations';
import type { TickView } from './live-window';
import { noteViolation, type ResidencyMinute, type ViolationSeen } from './residency';
import type { History, HistoryThread } from '../../api/history';
import { StoreRequestError } from './store-errors';
import type { PlacedThread, Structure } from './structure';
import { decodePlacement, decodeRecord, newPlacement, type Placement, type TickViolation } from './tick-codec';
import { ExactHistoryBuilder } from '../../wire/exact-history';
import { withTimes, type ViolationBody } from './violation-body';

/** Most columns one history answer may have; beyond it the caller must ask for a (larger) step. */
export const MAX_COLUMNS = 20_000;

const PCPU_SPAN = 65_536;
const ROLE_RANK = { vcpu: 0, emulator: 1, iothread: 2, vhost: 3, other: 4, unknown: 5 } as const;

export interface HistoryParts {
  readonly ticks: readonly TickView[]; // ascending by time
  readonly minutes: readonly ResidencyMinute[]; // residency (bucketed answers only)
  readonly structureOf: (id: number) => Structure; // for the minutes' entries
  /** Add runNs and waitNs: every tick's row must be whole (from the database). */
  readonly counters?: boolean;
}

export interface AssembledHistory {
  readonly history: Omit<History, 'violations'>;
  /** body id -> latest sighting; resolve with resolveViolations once the bodies are at hand. */
  readonly violationRefs: Map<number, ViolationSeen>;
}

export function assembleHistory(host: string, from: number, to: number, stepMs: number | null, parts: HistoryParts): AssembledHistory {
  const structures = new Map<number, Structure>();
  for (const m of parts.minutes) for (const id of m.structureIds()) structures.set(id, parts.structureOf(id));
  for (const t of parts.ticks) structures.set(t.st.id, t.st);
  const { threads, mapping } = threadTable(structures.values());
  const refs = new Map<number, ViolationSeen>();
  const shaped = stepMs === null ? fullResolution(parts.ticks, threads, mapping, refs) : bucketed(stepMs, parts, threads, mapping, refs);
  const history = parts.counters === true ? { ...shaped, ...counters(stepMs, parts, shaped.ticks, threads.length, mapping) } : shaped;
  return { history: { host, from, to, stepMs, ...history }, violationRefs: refs };
}

/** Violations from their latest sightings, distinct by id, in the order of docs/api.md. */
export function resolveViolations(refs: ReadonlyMap<number, ViolationSeen>, bodyOf: (id: number) => ViolationBody): Violation[] {
  const byId = new Map<string, Violation>();
  for (const [bodyId, seen] of refs) {
    const v = withTimes(bodyOf(bodyId), seen.since, seen.lastSeen);
    const prev = byId.get(v.id);
    if (!prev || v.lastSeen >= prev.lastSeen) byId.set(v.id, v);
  }
  return [...byId.values()].sort(compareViolations);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every thread of the structures, vCPUs first; per structure, placed index -> column. */
function threadTable(structures: Iterable<Structure>): { threads: HistoryThread[]; mapping: Map<number, Int32Array> } {
  const byKey = new Map<string, PlacedThread>();
  const list = [...structures].sort((a, b) => a.id - b.id);
  for (const st of list) for (const p of st.placed) byKey.set(p.key, p);
  const threads: HistoryThread[] = [...byKey.values()].sort(compareThreads).map((p) => ({ ...p }));
  const column = new Map<string, number>(threads.map((t, i) => [t.key, i]));
  const mapping = new Map<number, Int32Array>();
  for (const st of list) {
    const m = new Int32Array(st.placedCount);
    st.placed.forEach((p, i) => {
      m[i] = column.get(p.key) ?? -1;
    });
    mapping.set(st.id, m);
  }
  return { threads, mapping };
}

function compareThreads(a: PlacedThread, b: PlacedThread): number {
  const av = a.role === 'vcpu' ? 0 : 1;
  const bv = b.role === 'vcpu' ? 0 : 1;
  if (av !== bv) return av - bv;
  return (
    compareText(a.vm, b.vm) ||
    a.pid - b.pid ||
    (a.vcpu ?? -1) - (b.vcpu ?? -1) ||
    ROLE_RANK[a.role] - ROLE_RANK[b.role] ||
    a.tid - b.tid ||
    compareText(a.key, b.key)
  );
}

type Shaped = Pick<History, 'ticks' | 'threads' | 'pcpu' | 'ran' | 'share' | 'runNs' | 'waitNs'>;

function fullResolution(ticks: readonly TickView[], threads: HistoryThread[], mapping: Map<number, Int32Array>, refs: Map<number, ViolationSeen>): Shaped {
  if (ticks.length > MAX_COLUMNS) throw tooMany(ticks.length);
  const n = threads.length;
  const times: number[] = [];
  const pcpu: (number | null)[][] = [];
  const ran: (0 | 1)[][] = [];
  let scratch: Placement = newPlacement(0);
  const vs: TickViolation[] = [];
  for (const t of ticks) {
    if (scratch.pcpu.length < t.st.placedCount) scratch = newPlacement(t.st.placedCount);
    vs.length = 0;
    decodePlacement(t.st, t.row, t.at, scratch, vs);
    const m = mapping.get(t.st.id);
    const prow = new Array<number | null>(n).fill(null);
    const rrow = new Array<0 | 1>(n).fill(0);
    if (m) {
      for (let i = 0; i < m.length; i++) {
        const col = m[i] ?? -1;
        if (col < 0) continue;
        prow[col] = scratch.pcpu[i] ?? 0;
        rrow[col] = scratch.ran[i] === 1 ? 1 : 0;
      }
    }
    times.push(t.at);
    pcpu.push(prow);
    ran.push(rrow);
    for (const v of vs) noteViolation(refs, v.bodyId, v.since, v.lastSeen);
  }
  return { ticks: times, threads, pcpu, ran, share: null };
}

interface Bucket {
  ticks: number;
  readonly counts: Map<number, number>; // column * PCPU_SPAN + pcpu -> ticks
}

function bucketed(stepMs: number, parts: HistoryParts, threads: HistoryThread[], mapping: Map<number, Int32Array>, refs: Map<number, ViolationSeen>): Shaped {
  const buckets = new Map<number, Bucket>();
  const bucketAt = (t: number): Bucket => {
    const start = Math.floor(t / stepMs) * stepMs;
    let b = buckets.get(start);
    if (!b) {
      b = { ticks: 0, counts: new Map() };
      buckets.set(start, b);
    }
    return b;
  };
  for (const m of parts.minutes) {
    const b = bucketAt(m.minute);
    b.ticks += m.ticks;
    m.forEachEntry((sid, placed, pcpu, n) => {
      const col = mapping.get(sid)?.[placed] ?? -1;
      if (col < 0) return;
      const key = col * PCPU_SPAN + pcpu;
      b.counts.set(key, (b.counts.get(key) ?? 0) + n);
    });
    for (const [id, v] of m.violations) noteViolation(refs, id, v.since, v.lastSeen);
  }
  let scratch: Placement = newPlacement(0);
  const vs: TickViolation[] = [];
  for (const t of parts.ticks) {
    if (scratch.pcpu.length < t.st.placedCount) scratch = newPlacement(t.st.placedCount);
    vs.length = 0;
    decodePlacement(t.st, t.row, t.at, scratch, vs);
    const b = bucketAt(t.at);
    b.ticks++;
    const m = mapping.get(t.st.id);
    if (m) {
      for (let i = 0; i < m.length; i++) {
        const col = m[i] ?? -1;
        if (col < 0) continue;
        const key = col * PCPU_SPAN + (scratch.pcpu[i] ?? 0);
        b.counts.set(key, (b.counts.get(key) ?? 0) + 1);
      }
    }
    for (const v of vs) noteViolation(refs, v.bodyId, v.since, v.lastSeen);
  }
  if (buckets.size > MAX_COLUMNS) throw tooMany(buckets.size);
  const starts = [...buckets.keys()].sort((a, b) => a - b);
  const n = threads.length;
  const pcpu: (number | null)[][] = [];
  const share: number[][] = [];
  for (const start of starts) {
    const b = buckets.get(start);
    if (!b) continue;
    const best = new Array<number | null>(n).fill(null);
    const bestCount = new Array<number>(n).fill(0);
    for (const [key, count] of b.counts) {
      const col = Math.floor(key / PCPU_SPAN);
      const p = key % PCPU_SPAN;
      const cur = best[col] ?? null;
      if (count > (bestCount[col] ?? 0) || (count === bestCount[col] && cur !== null && p < cur)) {
        best[col] = p;
        bestCount[col] = count;
      }
    }
    pcpu.push(best);
    share.push(bestCount.map((c) => (b.ticks > 0 ? c / b.ticks : 0)));
  }
  return { ticks: starts, threads, pcpu, ran: null, share };
}

function tooMany(columns: number): Error {
  return new StoreRequestError(`the window has ${columns} columns, more than ${MAX_COLUMNS}: ask for a larger stepMs`);
}

/** Per column (tick or bucket), per thread: the vCPU's run and wait time (summed for buckets). */
function counters(stepMs: number | null, parts: HistoryParts, columns: readonly number[], n: number, mapping: Map<number, Int32Array>): Pick<History, 'runNs' | 'waitNs' | 'residency' | 'migrations' | 'wakeLatencyNs' | 'cpus' | 'cpuExact'> {
  const index = new Map<number, number>(columns.map((t, i) => [t, i]));
  const runNs = columns.map(() => new Array<number | null>(n).fill(null));
  const waitNs = columns.map(() => new Array<number | null>(n).fill(null));
  const add = (col: number, row: number, run: number | null, wait: number | null): void => {
    const r = runNs[col];
    const w = waitNs[col];
    if (!r || !w) return;
    if (run !== null) r[row] = (r[row] ?? 0) + run;
    if (wait !== null) w[row] = (w[row] ?? 0) + wait;
  };
  const columnOf = (at: number): number | undefined => index.get(stepMs === null ? at : Math.floor(at / stepMs) * stepMs);
  for (const m of parts.minutes) {
    const col = columnOf(m.minute);
    if (col === undefined) continue;
    for (const [sid, g] of m.counters) {
      const map = mapping.get(sid);
      for (const [placed, c] of g) {
        const row = map?.[placed] ?? -1;
        if (row >= 0 && c.ticks > 0) add(col, row, c.runNs, c.waitNs);
      }
    }
  }
  const exact = new ExactHistoryBuilder(columns.length, n);
  for (const t of parts.ticks) {
    const col = columnOf(t.at);
    const map = mapping.get(t.st.id);
    if (col === undefined || !map) continue;
    const rec = decodeRecord(t.st, t.row, t.at);
    for (let p = 0; p < t.st.placedCount; p++) {
      const k = t.st.index.placedVcpu[p] ?? -1;
      const row = map[p] ?? -1;
      if (k >= 0 && row >= 0) add(col, row, rec.runNs[k] ?? null, rec.waitNs[k] ?? null);
    }
    exact.add(col, t.st.body, rec.exact, map);
  }
  return { runNs, waitNs, ...exact.finish() };
}
