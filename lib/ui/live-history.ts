// A live heatmap's history: the window fetched from /history, then one column appended per
// snapshot that arrives over SSE, old columns dropped off the front. `base` counts the columns ever
// dropped, so a renderer can keep what it drew for the columns that stay (tick i of the history is
// column base + i); `epoch` changes when the history is replaced wholesale and all must be redrawn.
import type { Snapshot, Violation } from '../model/snapshot';
import type { History, HistoryThread } from '../api/history';
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
    violations: [...byId.values()],
  };
  return { epoch: lh.epoch, base: lh.base + drop, history };
}

/** appendFrame for a whole snapshot (its own static part is its structure). */
export function appendSnapshot(lh: LiveHistory, s: Snapshot, windowMs: number): LiveHistory {
  if (lh.history.stepMs !== null || s.host !== lh.history.host) return lh;
  return appendFrame(lh, s, toTick(s, ''), windowMs);
}
