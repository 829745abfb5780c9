// A live heatmap's history: the window fetched from /history, then one column appended per
// snapshot that arrives over SSE, old columns dropped off the front. `base` counts the columns ever
// dropped, so a renderer can keep what it drew for the columns that stay (tick i of the history is
// column base + i); `epoch` changes when the history is replaced wholesale and all must be redrawn.
import type { Snapshot, Violation } from '../model/snapshot';
import type { History, HistoryThread } from '../api/history';
import { ExactHistoryBuilder, type CpuHistory } from '../wire/exact-history';
import { toTick, type CompactTick } from '../wire/compact-tick';
import { historyColumn } from '../wire/history-column';
import type { StructureBody } from '../wire/structure-body';

export interface LiveHistory {
  readonly epoch: number;
  readonly base: number;
  readonly history: History;
}

let epochs = 0;

export function liveHistory(history: History): LiveHistory {
  epochs += 1;
  return { epoch: epochs, base: 0, history };
}

/**
 * The history with the frame (a structure and one tick) appended as its newest column and the
 * ticks older than `tick.at - windowMs` dropped. The column is the server's (historyColumn): a
 * vCPU without a thread has its own row, as in /history. A frame not newer than the last tick, of
 * another host, or a bucketed history (stepMs set) leaves it as it is.
 */
export function appendFrame(lh: LiveHistory, body: StructureBody, tick: CompactTick, windowMs: number): LiveHistory {
  const h = lh.history;
  const last = h.ticks[h.ticks.length - 1];
  if (h.stepMs !== null || tick.host !== h.host || (last !== undefined && tick.at <= last)) return lh;

  const threads: HistoryThread[] = [...h.threads];
  const indexOf = new Map<string, number>();
  threads.forEach((t, i) => indexOf.set(t.key, i));
  const col = historyColumn(body, tick);
  const pcpuOf: (number | null)[] = [];
  const ranOf: (0 | 1)[] = [];
  const runOf: (number | null)[] = [];
  const waitOf: (number | null)[] = [];
  col.placed.forEach((p, row) => {
    let i = indexOf.get(p.key);
    if (i === undefined) {
      i = threads.length;
      threads.push({ ...p });
      indexOf.set(p.key, i);
    }
    pcpuOf[i] = col.pcpu[row] ?? 0;
    ranOf[i] = col.ran[row] === 1 ? 1 : 0;
    runOf[i] = col.runNs[row] ?? null;
    waitOf[i] = col.waitNs[row] ?? null;
  });
  const pcpuRow = Array.from({ length: threads.length }, (_, i) => pcpuOf[i] ?? null);
  const ranRow = Array.from({ length: threads.length }, (_, i): 0 | 1 => ranOf[i] ?? 0);

  const from = tick.at - windowMs;
  let drop = 0;
  while (drop < h.ticks.length && (h.ticks[drop] ?? 0) < from) drop++;

  const byId = new Map<string, Violation>();
  for (const v of h.violations) if (v.lastSeen >= from) byId.set(v.id, v);
  for (const v of tick.violations) byId.set(v.id, v);

  const history: History = {
    ...h,
    from,
    to: tick.at,
    ticks: [...h.ticks.slice(drop), tick.at],
    threads,
    pcpu: [...h.pcpu.slice(drop), pcpuRow],
    ran: [...(h.ran ?? h.ticks.map(() => [])).slice(drop), ranRow],
    ...(h.runNs && h.waitNs
      ? {
          runNs: [...h.runNs.slice(drop), Array.from({ length: threads.length }, (_, i) => runOf[i] ?? null)],
          waitNs: [...h.waitNs.slice(drop), Array.from({ length: threads.length }, (_, i) => waitOf[i] ?? null)],
        }
      : {}),
    ...exactColumns(h, body, tick, col.placed.map((p) => indexOf.get(p.key) ?? -1), threads.length, drop),
    violations: [...byId.values()],
  };
  return { epoch: lh.epoch, base: lh.base + drop, history };
}

/**
 * The exact fields of a history asked for with counters (runNs present) with the tick's appended
 * as the newest column (ExactHistoryBuilder, as the server builds them) and `drop` old columns
 * dropped; older columns without them get nulls. Nothing when neither has any.
 */
function exactColumns(h: History, body: StructureBody, tick: CompactTick, rowOf: readonly number[], rows: number, drop: number): Partial<History> {
  const had = h.residency !== undefined || h.cpuExact !== undefined;
  if (h.runNs === undefined || (!had && tick.mode !== 'exact')) return {};
  const b = new ExactHistoryBuilder(1, rows);
  b.add(0, body, tick, rowOf);
  const x = b.finish();
  const cpus = [...new Set([...(h.cpus ?? []), ...(x?.cpus ?? [])])].sort((a, c) => a - c);
  const keep = h.ticks.length - drop;
  // Rows widened to every thread (new threads), pCPUs to the union of both (a new watched pCPU).
  const widen = <T>(row: readonly (T | null)[] | undefined): (T | null)[] => Array.from({ length: rows }, (_, i) => row?.[i] ?? null);
  const byCpu = (row: readonly (CpuHistory | null)[] | undefined, ids: readonly number[] | undefined): (CpuHistory | null)[] =>
    cpus.map((c) => {
      const i = ids?.indexOf(c) ?? -1;
      return i < 0 ? null : (row?.[i] ?? null);
    });
  const kept = <T>(grid: readonly (readonly (T | null)[])[] | undefined, last: readonly (T | null)[] | undefined): (T | null)[][] => [
    ...Array.from({ length: keep }, (_, i) => widen(grid?.[drop + i])),
    widen(last),
  ];
  return {
    residency: kept(h.residency, x?.residency[0]),
    migrations: kept(h.migrations, x?.migrations[0]),
    wakeLatencyNs: kept(h.wakeLatencyNs, x?.wakeLatencyNs[0]),
    cpus,
    cpuExact: [...Array.from({ length: keep }, (_, i) => byCpu(h.cpuExact?.[drop + i], h.cpus)), byCpu(x?.cpuExact[0], x?.cpus)],
  };
}

/**
 * Whether frames were missed between a fetched history and the live stream: the stream's first
 * frame after the history's end is more than 1.5 frame intervals after the history's newest tick
 * (`newestAt`; its fetch's end when it has none). The stream sends the frames after it opened (and
 * its newest at once), so on a page slow to load the frames between the fetch and the stream were
 * in neither. A host that was silent before the page loaded also reads as missed: one fetch more.
 */
export function missedAfterFetch(newestAt: number, firstLiveAt: number, intervalMs: number | null): boolean {
  return intervalMs !== null && intervalMs > 0 && firstLiveAt - newestAt > 1.5 * intervalMs;
}

/** appendFrame for a whole snapshot (its own static part is its structure). */
export function appendSnapshot(lh: LiveHistory, s: Snapshot, windowMs: number): LiveHistory {
  if (lh.history.stepMs !== null || s.host !== lh.history.host) return lh;
  return appendFrame(lh, s, toTick(s, ''), windowMs);
}

/**
 * Whether a view asks its history for counters: the VM page always (run and wait time over
 * time), the host page for a host in exact mode (shared cells, who else ran over the window).
 */
export function wantsCounters(page: 'host' | 'vm', snapshot: Snapshot): boolean {
  return page === 'vm' || snapshot.mode === 'exact';
}
