// Per-minute residency of one host: for every thread, on which pCPUs it was seen and in how many
// ticks, plus the violations seen in that minute. It is what remains of a minute once its
// full-resolution rows are pruned, and what history with a step of a minute or more reads.
// Stored as one row per (host, minute) with a binary column:
//   varint groups; per group: structure id, varint entries, then (placed-index gap, pcpu, ticks)
//   varint violations; per violation: body id, since rel minute, lastSeen rel minute
//   (since the columnar store; absent in minutes written before it)
//   varint groups; per group: structure id, varint entries, then (placed-index gap, runNs sum,
//   waitNs sum (num codes), ticks with a value): the run and wait time of each vCPU in the minute
// Entries refer to a structure's placed threads (structure.ts), which give the thread keys.
import { ByteReader, ByteWriter } from './byte-codec';
import type { Structure } from './structure';
import type { Placement, TickRecord, TickViolation } from './tick-codec';

/** A vCPU's run and wait time summed over a minute, and over how many ticks that knew them. */
export interface CounterSums {
  runNs: number;
  waitNs: number;
  ticks: number;
}

export const MINUTE_MS = 60_000;

/** pcpu < 65536 (snapshot pCPU ids are <= 8191), so (placed index, pcpu) fits one number key. */
const PCPU_SPAN = 65_536;

export interface ViolationSeen {
  since: number; // epoch ms
  lastSeen: number; // epoch ms
}

export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

export class ResidencyMinute {
  ticks = 0;
  /** structure id -> (placed index * PCPU_SPAN + pcpu) -> ticks */
  readonly groups = new Map<number, Map<number, number>>();
  /** body id -> the latest times it was seen with */
  readonly violations = new Map<number, ViolationSeen>();
  /** structure id -> placed index -> run and wait time (vCPU rows only) */
  readonly counters = new Map<number, Map<number, CounterSums>>();

  constructor(readonly minute: number) {}

  addTick(st: Structure, placement: Placement, violations: readonly TickViolation[]): void {
    this.ticks++;
    let g = this.groups.get(st.id);
    if (!g) {
      g = new Map();
      this.groups.set(st.id, g);
    }
    for (let i = 0; i < st.placedCount; i++) {
      const key = i * PCPU_SPAN + (placement.pcpu[i] ?? 0);
      g.set(key, (g.get(key) ?? 0) + 1);
    }
    for (const v of violations) noteViolation(this.violations, v.bodyId, v.since, v.lastSeen);
  }

  /** Adds the run and wait times of a tick's vCPUs (to their placed rows). */
  addCounters(st: Structure, rec: TickRecord): void {
    let g = this.counters.get(st.id);
    for (let p = 0; p < st.placedCount; p++) {
      const k = st.index.placedVcpu[p] ?? -1;
      if (k < 0) continue;
      const run = rec.runNs[k] ?? null;
      const wait = rec.waitNs[k] ?? null;
      if (run === null && wait === null) continue;
      if (!g) this.counters.set(st.id, (g = new Map()));
      let c = g.get(p);
      if (!c) g.set(p, (c = { runNs: 0, waitNs: 0, ticks: 0 }));
      c.runNs += run ?? 0;
      c.waitNs += wait ?? 0;
      c.ticks++;
    }
  }

  /** Adds another partial count of the same minute (a frame stored after its rows were pruned). */
  merge(other: ResidencyMinute): void {
    this.ticks += other.ticks;
    for (const [sid, og] of other.groups) {
      let g = this.groups.get(sid);
      if (!g) {
        g = new Map();
        this.groups.set(sid, g);
      }
      for (const [k, n] of og) g.set(k, (g.get(k) ?? 0) + n);
    }
    for (const [id, v] of other.violations) noteViolation(this.violations, id, v.since, v.lastSeen);
    for (const [sid, og] of other.counters) {
      let g = this.counters.get(sid);
      if (!g) this.counters.set(sid, (g = new Map()));
      for (const [p, c] of og) {
        const mine = g.get(p);
        if (mine) {
          mine.runNs += c.runNs;
          mine.waitNs += c.waitNs;
          mine.ticks += c.ticks;
        } else {
          g.set(p, { ...c });
        }
      }
    }
  }

  /** Calls fn(structureId, placedIndex, pcpu, ticks) for every entry. */
  forEachEntry(fn: (structureId: number, placed: number, pcpu: number, ticks: number) => void): void {
    for (const [sid, g] of this.groups) {
      for (const [k, n] of g) fn(sid, Math.floor(k / PCPU_SPAN), k % PCPU_SPAN, n);
    }
  }

  encode(): Uint8Array {
    const w = new ByteWriter(512);
    w.varint(this.groups.size);
    for (const [sid, g] of this.groups) {
      w.varint(sid);
      const keys = [...g.keys()].sort((a, b) => a - b);
      w.varint(keys.length);
      let prevPlaced = 0;
      for (const k of keys) {
        const placed = Math.floor(k / PCPU_SPAN);
        w.varint(placed - prevPlaced);
        w.varint(k % PCPU_SPAN);
        w.varint(g.get(k) ?? 0);
        prevPlaced = placed;
      }
    }
    w.varint(this.violations.size);
    for (const [id, v] of this.violations) {
      w.varint(id);
      w.rel(this.minute, v.since);
      w.rel(this.minute, v.lastSeen);
    }
    w.varint(this.counters.size);
    for (const [sid, g] of this.counters) {
      w.varint(sid);
      const keys = [...g.keys()].sort((a, b) => a - b);
      w.varint(keys.length);
      let prev = 0;
      for (const p of keys) {
        const c = g.get(p);
        w.varint(p - prev);
        w.num(c?.runNs ?? 0);
        w.num(c?.waitNs ?? 0);
        w.varint(c?.ticks ?? 0);
        prev = p;
      }
    }
    return w.finish();
  }

  static decode(minute: number, ticks: number, data: Uint8Array): ResidencyMinute {
    const m = new ResidencyMinute(minute);
    m.ticks = ticks;
    const r = new ByteReader(data);
    let groups = r.varint();
    while (groups-- > 0) {
      const sid = r.varint();
      const g = new Map<number, number>();
      let n = r.varint();
      let placed = 0;
      while (n-- > 0) {
        placed += r.varint();
        const pcpu = r.varint();
        g.set(placed * PCPU_SPAN + pcpu, r.varint());
      }
      m.groups.set(sid, g);
    }
    let nv = r.varint();
    while (nv-- > 0) {
      const id = r.varint();
      const since = r.rel(minute);
      const lastSeen = r.rel(minute);
      m.violations.set(id, { since, lastSeen });
    }
    if (!r.done) {
      let groups = r.varint();
      while (groups-- > 0) {
        const sid = r.varint();
        const g = new Map<number, CounterSums>();
        let n = r.varint();
        let p = 0;
        while (n-- > 0) {
          p += r.varint();
          g.set(p, { runNs: r.num() ?? 0, waitNs: r.num() ?? 0, ticks: r.varint() });
        }
        m.counters.set(sid, g);
      }
    }
    if (!r.done) throw new Error(`store: residency of minute ${new Date(minute).toISOString()} has ${data.length - r.pos} trailing bytes`);
    return m;
  }

  /** Ids of the structures the entries refer to. */
  structureIds(): number[] {
    return [...new Set([...this.groups.keys(), ...this.counters.keys()])];
  }
}

/** Keeps, per body id, the times of its latest sighting. */
export function noteViolation(into: Map<number, ViolationSeen>, bodyId: number, since: number, lastSeen: number): void {
  const prev = into.get(bodyId);
  if (!prev || lastSeen >= prev.lastSeen) into.set(bodyId, { since, lastSeen });
}
