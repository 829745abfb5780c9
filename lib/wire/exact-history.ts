// Exact mode in history (docs/api.md "History", `counters=1`): per column (tick or bucket) and
// thread row, the residency, migrations and wake-up latency of its vCPU (or, for other threads,
// the thread's residency); per column and pCPU, the other tasks, interrupts and lost events. A
// tick's values as they came; a bucket's merged over its ticks: residency, migrations, counts and
// ns summed (per pCPU, per task, per IRQ), wake-up latency as the largest p99 and max and the
// count-weighted median of the ticks' p50, at most MAX_OTHERS tasks per pCPU with the rest summed
// in othersRest. Pure and safe in the browser: history.ts feeds it decoded records, the live
// dashboard one tick per frame (lib/ui/live-history.ts).
import type { SnapshotCpu, SnapshotIrq, SnapshotOtherTask, SnapshotResidency, SnapshotWakeLatency } from '../model/snapshot';
import type { History } from '../api/history';
import type { TickExact } from './compact-tick';
import type { StructureBody } from './structure-body';
import { structureIndex } from './structure-index';

/** Tasks kept per pCPU and bucket (the agent keeps 16 per tick). */
export const MAX_OTHERS = 16;

export type CpuHistory = Pick<SnapshotCpu, 'others' | 'othersRest' | 'irqs' | 'lostEvents'>;
export type ExactHistory = Required<Pick<History, 'residency' | 'migrations' | 'wakeLatencyNs' | 'cpus' | 'cpuExact'>>;

interface CellSums {
  residency: Map<number, { ns: number; switchIns: number }> | null;
  migrations: number | null;
  wakes: [p50: number, p99: number, max: number, count: number][];
  wakeNull: boolean;
}

interface CpuSums {
  others: Map<string, SnapshotOtherTask> | null;
  rest: { tasks: number; ns: number } | null;
  irqs: Map<string, SnapshotIrq> | null;
  lost: number | null;
}

export class ExactHistoryBuilder {
  private readonly cells = new Map<number, CellSums>(); // column * rows + row
  private readonly cpuCells = new Map<string, CpuSums>(); // `${column}:${cpu}`
  private readonly cpuIds = new Set<number>();

  constructor(
    private readonly columns: number,
    private readonly rows: number,
  ) {}

  /** One tick of structure `body` in column `col`: its exact part `x`; `rowOf[p]` is the history row of placed entry p (or -1). */
  add(col: number, body: StructureBody, x: TickExact | undefined, rowOf: ArrayLike<number>): void {
    if (x === undefined) return;
    const index = structureIndex(body);
    const T = index.threadCount;
    const threadRes = new Map<number, readonly number[]>();
    for (const r of x.residency ?? []) threadRes.set(r[0] ?? -1, r);
    const vcpuEx = new Map((x.vcpuExact ?? []).map((v) => [v.entry, v]));
    for (let p = 0; p < index.placedCount; p++) {
      const row = rowOf[p] ?? -1;
      if (row < 0) continue;
      const entry = index.placedVcpu[p] ?? -1;
      const v = entry >= 0 ? vcpuEx.get(entry) : undefined;
      const own = p < T ? threadRes.get(p) : undefined;
      const flat = v?.residency ?? (own === undefined ? undefined : own.slice(1));
      if (flat === undefined && v === undefined) continue;
      const c = this.cell(col, row);
      if (flat !== undefined) {
        c.residency ??= new Map();
        for (let i = 0; i + 2 < flat.length; i += 3) {
          const pcpu = flat[i] ?? 0;
          const sum = c.residency.get(pcpu) ?? { ns: 0, switchIns: 0 };
          sum.ns += flat[i + 1] ?? 0;
          sum.switchIns += flat[i + 2] ?? 0;
          c.residency.set(pcpu, sum);
        }
      }
      if (v?.migrations !== undefined) c.migrations = (c.migrations ?? 0) + v.migrations;
      if (v?.wakeLatencyNs === null) c.wakeNull = true;
      else if (v?.wakeLatencyNs !== undefined) c.wakes.push([...v.wakeLatencyNs]);
    }
    for (const ce of x.cpuExact ?? []) {
      const cpu = body.topology.cpus[ce.index]?.cpu;
      if (cpu === undefined) continue;
      this.cpuIds.add(cpu);
      const key = `${col}:${cpu}`;
      let s = this.cpuCells.get(key);
      if (!s) this.cpuCells.set(key, (s = { others: null, rest: null, irqs: null, lost: null }));
      if (ce.others !== undefined) {
        s.others ??= new Map();
        for (const o of ce.others) {
          const k = `${o.tid}\n${o.pid}\n${o.comm}\n${o.vm ?? ''}`;
          const cur = s.others.get(k);
          s.others.set(k, cur === undefined ? { ...o } : { ...cur, ns: cur.ns + o.ns, switchIns: cur.switchIns + o.switchIns });
        }
      }
      if (ce.othersRest !== undefined) s.rest = { tasks: (s.rest?.tasks ?? 0) + ce.othersRest.tasks, ns: (s.rest?.ns ?? 0) + ce.othersRest.ns };
      if (ce.irqs !== undefined) {
        s.irqs ??= new Map();
        for (const q of ce.irqs) {
          const cur = s.irqs.get(q.irq);
          s.irqs.set(q.irq, cur === undefined ? { ...q } : { ...cur, count: cur.count + q.count });
        }
      }
      if (ce.lostEvents !== undefined) s.lost = (s.lost ?? 0) + ce.lostEvents;
    }
  }

  private cell(col: number, row: number): CellSums {
    const key = col * this.rows + row;
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { residency: null, migrations: null, wakes: [], wakeNull: false }));
    return c;
  }

  /** The history's exact fields; null when no tick of the answer had any (sampled hosts). */
  finish(): ExactHistory | null {
    if (this.cells.size === 0 && this.cpuCells.size === 0) return null;
    const grid = <T>(w: number): (T | null)[][] => Array.from({ length: this.columns }, () => new Array<T | null>(w).fill(null));
    const residency = grid<SnapshotResidency[]>(this.rows);
    const migrations = grid<number>(this.rows);
    const wakeLatencyNs = grid<SnapshotWakeLatency>(this.rows);
    for (const [key, c] of this.cells) {
      const col = Math.floor(key / this.rows);
      const row = key % this.rows;
      const r = residency[col];
      const m = migrations[col];
      const w = wakeLatencyNs[col];
      if (!r || !m || !w) continue;
      if (c.residency !== null) r[row] = [...c.residency].sort((a, b) => a[0] - b[0]).map(([pcpu, s]) => ({ pcpu, ns: s.ns, switchIns: s.switchIns }));
      m[row] = c.migrations;
      w[row] = mergeWakes(c.wakes);
    }
    const cpus = [...this.cpuIds].sort((a, b) => a - b);
    const cpuIndex = new Map(cpus.map((c, i) => [c, i]));
    const cpuExact = grid<CpuHistory>(cpus.length);
    for (const [key, s] of this.cpuCells) {
      const [colText, cpuText] = key.split(':');
      const row = cpuExact[Number(colText)];
      const i = cpuIndex.get(Number(cpuText));
      if (!row || i === undefined) continue;
      row[i] = cpuHistory(s);
    }
    return { residency, migrations, wakeLatencyNs, cpus, cpuExact };
  }
}

/** A bucket's wake-up latency: the largest p99 and max, the count-weighted median p50, the count summed. */
function mergeWakes(wakes: readonly (readonly [number, number, number, number])[]): SnapshotWakeLatency | null {
  const [first] = wakes;
  if (first === undefined) return null;
  if (wakes.length === 1) return { p50: first[0], p99: first[1], max: first[2], count: first[3] };
  let count = 0;
  let p99 = 0;
  let max = 0;
  for (const w of wakes) {
    count += w[3];
    p99 = Math.max(p99, w[1]);
    max = Math.max(max, w[2]);
  }
  const byP50 = [...wakes].sort((a, b) => a[0] - b[0]);
  let seen = 0;
  let p50 = byP50[byP50.length - 1]?.[0] ?? 0;
  for (const w of byP50) {
    seen += w[3];
    if (seen * 2 >= count) {
      p50 = w[0];
      break;
    }
  }
  return { p50, p99, max, count };
}

function cpuHistory(s: CpuSums): CpuHistory {
  let others: SnapshotOtherTask[] | undefined;
  let rest = s.rest;
  if (s.others !== null) {
    const all = [...s.others.values()].sort((a, b) => b.ns - a.ns || a.tid - b.tid);
    others = all.slice(0, MAX_OTHERS);
    for (const o of all.slice(MAX_OTHERS)) rest = { tasks: (rest?.tasks ?? 0) + 1, ns: (rest?.ns ?? 0) + o.ns };
  }
  return {
    ...(others !== undefined ? { others } : {}),
    ...(rest !== null ? { othersRest: rest } : {}),
    ...(s.irqs !== null ? { irqs: [...s.irqs.values()].sort((a, b) => b.count - a.count || (a.irq < b.irq ? -1 : 1)) } : {}),
    ...(s.lost !== null ? { lostEvents: s.lost } : {}),
  };
}
