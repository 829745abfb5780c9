// Test oracle: what a History must contain, computed straight from the ingested frames (no codec,
// no store: each frame's column from historyColumn, the function the store and the dashboard
// use), and a comparison that does not depend on column order.
import type { Snapshot, Violation } from '../../lib/model/snapshot';
import type { History } from '../../lib/api/history';
import { toTick } from '../../lib/wire/compact-tick';
import { historyColumn } from '../../lib/wire/history-column';

interface PlacedValue {
  key: string;
  pcpu: number;
  ran: boolean;
}

function placed(f: Snapshot): PlacedValue[] {
  const col = historyColumn(f, toTick(f, ''));
  return col.placed.map((p, row) => ({ key: p.key, pcpu: col.pcpu[row] ?? 0, ran: col.ran[row] === 1 }));
}

export interface ExpectedHistory {
  ticks: number[];
  /** per thread key (sorted), one value per tick/bucket */
  pcpu: Record<string, (number | null)[]>;
  ran: Record<string, (0 | 1)[]> | null;
  share: Record<string, number[]> | null;
  violations: Violation[]; // sorted by id
}

function sorted<V>(m: Map<string, V>): Record<string, V> {
  return Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function expectedHistory(frames: readonly Snapshot[], from: number, to: number, stepMs: number | null): ExpectedHistory {
  const inWindow = frames.filter((f) => f.at >= from && f.at <= to).sort((a, b) => a.at - b.at);
  const keys = new Set<string>();
  for (const f of inWindow) for (const p of placed(f)) keys.add(p.key);
  const byId = new Map<string, Violation>();
  for (const f of inWindow) {
    for (const v of f.violations) {
      const prev = byId.get(v.id);
      if (!prev || v.lastSeen >= prev.lastSeen) byId.set(v.id, v);
    }
  }
  const violations = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (stepMs === null) {
    const pcpu = new Map<string, (number | null)[]>([...keys].map((k) => [k, []]));
    const ran = new Map<string, (0 | 1)[]>([...keys].map((k) => [k, []]));
    for (const f of inWindow) {
      const values = new Map(placed(f).map((p) => [p.key, p]));
      for (const k of keys) {
        const p = values.get(k);
        pcpu.get(k)?.push(p ? p.pcpu : null);
        ran.get(k)?.push(p?.ran ? 1 : 0);
      }
    }
    return { ticks: inWindow.map((f) => f.at), pcpu: sorted(pcpu), ran: sorted(ran), share: null, violations };
  }
  const buckets = new Map<number, Snapshot[]>();
  for (const f of inWindow) {
    const b = Math.floor(f.at / stepMs) * stepMs;
    const list = buckets.get(b) ?? [];
    list.push(f);
    buckets.set(b, list);
  }
  const starts = [...buckets.keys()].sort((a, b) => a - b);
  const pcpu = new Map<string, (number | null)[]>([...keys].map((k) => [k, []]));
  const share = new Map<string, number[]>([...keys].map((k) => [k, []]));
  for (const b of starts) {
    const list = buckets.get(b) ?? [];
    const counts = new Map<string, Map<number, number>>();
    for (const f of list) {
      for (const p of placed(f)) {
        const m = counts.get(p.key) ?? new Map<number, number>();
        m.set(p.pcpu, (m.get(p.pcpu) ?? 0) + 1);
        counts.set(p.key, m);
      }
    }
    for (const k of keys) {
      const m = counts.get(k);
      let best: number | null = null;
      let n = 0;
      for (const [cpu, c] of m ?? []) {
        if (c > n || (c === n && best !== null && cpu < best)) {
          best = cpu;
          n = c;
        }
      }
      pcpu.get(k)?.push(best);
      share.get(k)?.push(n / list.length);
    }
  }
  return { ticks: starts, pcpu: sorted(pcpu), ran: null, share: sorted(share), violations };
}

/** The history's columns keyed by thread key, for comparison with ExpectedHistory. */
export function byThreadKey(h: History): ExpectedHistory {
  const col = (rows: readonly (readonly (number | null)[])[], i: number): (number | null)[] => rows.map((r) => r[i] ?? null);
  const pcpu = new Map(h.threads.map((t, i) => [t.key, col(h.pcpu, i)]));
  const ran = h.ran ? new Map(h.threads.map((t, i) => [t.key, (h.ran ?? []).map((r): 0 | 1 => (r[i] === 1 ? 1 : 0))])) : null;
  const share = h.share ? new Map(h.threads.map((t, i) => [t.key, (h.share ?? []).map((r) => r[i] ?? 0)])) : null;
  return { ticks: h.ticks, pcpu: sorted(pcpu), ran: ran && sorted(ran), share: share && sorted(share), violations: [...h.violations].sort((a, b) => (a.id < b.id ? -1 : 1)) };
}
