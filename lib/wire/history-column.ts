// One frame as one column of history: per history row (the structure's placed entries,
// structure-index.ts: every thread, then the vCPU entries without a thread), where it was, whether
// it ran since the previous tick, and the run and wait time of its vCPU. The server's store writes
// and reads these columns, the dashboard appends one per live frame (lib/ui/live-history.ts), and
// the tests' oracle derives the expected history with it: all three agree by construction.
// A vCPU entry without a thread keeps its own placement (the vCPU did run there); a vCPU entry
// with a thread is that thread's row. Pure, safe in the browser.
import type { CompactTick } from './compact-tick';
import type { StructureBody } from './structure-body';
import { structureIndex, type PlacedThread } from './structure-index';

export interface HistoryColumn {
  /** The rows, in placed order (their `key` is the history thread key). */
  readonly placed: readonly PlacedThread[];
  readonly pcpu: Uint16Array; // per row
  readonly ran: Uint8Array; // per row: 1 ran since the previous tick (0: the pCPU is stale)
  /** Per row: its vCPU's ns on CPU and waiting in the interval; null for a thread that is no vCPU, or unknown. */
  readonly runNs: readonly (number | null)[];
  readonly waitNs: readonly (number | null)[];
}

const ONE = 49; // "1" in a tick's ran string

export function historyColumn(body: StructureBody, tick: CompactTick): HistoryColumn {
  const index = structureIndex(body);
  const T = index.threadCount;
  const n = index.placedCount;
  const pcpu = new Uint16Array(n);
  const ran = new Uint8Array(n);
  for (let k = 0; k < T; k++) {
    pcpu[k] = tick.pcpu[k] ?? 0;
    ran[k] = tick.ran.charCodeAt(k) === ONE ? 1 : 0;
  }
  if (n > T) {
    for (const [entry, p, r] of tick.vcpus) {
      const row = index.vcpuPlaced[entry] ?? -1;
      if (row < T) continue;
      pcpu[row] = p;
      ran[row] = r;
    }
  }
  const runNs = new Array<number | null>(n);
  const waitNs = new Array<number | null>(n);
  for (let row = 0; row < n; row++) {
    const v = index.placedVcpu[row] ?? -1;
    runNs[row] = v >= 0 ? (tick.runNs[v] ?? null) : null;
    waitNs[row] = v >= 0 ? (tick.waitNs[v] ?? null) : null;
  }
  return { placed: index.placed, pcpu, ran, runNs, waitNs };
}
