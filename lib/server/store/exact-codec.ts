// Exact mode's part of a stored tick (lib/wire/compact-tick.ts TickExact): mode, trace, the
// residency of each thread, each vCPU entry's residency, migrations and wake-up latency, and each
// watched pCPU's other tasks and interrupts. Sparse, as the tick carries them; written after a
// row's counters (tick-codec.ts) and after a chunk's columns (chunk-codec.ts), so rows and chunks
// of sampled frames, and those stored before exact mode, are the bytes they were.
//
// Layout (varints unless noted; counts are num codes, byte-codec.ts):
//   u8 flags     1 mode, 2 trace, 4 residency, 8 vcpuExact, 16 cpuExact, 32 trace.cutToReadNs
//   mode         u8: 0 sampled, 1 exact
//   trace        events, lostEvents, then cutToReadNs with flag 32
//   residency    count, then (thread gap, triples n, (pcpu, ns, switchIns) * n)
//   vcpuExact    count, then (entry gap, u8 has: 1 residency, 2 migrations, 4 wake, 8 wake null;
//                residency as above, migrations, p50, p99, max, count)
//   cpuExact     count, then (index gap, u8 has: 1 others, 2 othersRest, 4 irqs, 8 lostEvents;
//                others: n, (pid or null, tid, comm, ns, switchIns, u8 kernel | 2 when vm, vm);
//                othersRest: tasks, ns; irqs: n, (irq, name, count); lostEvents)
import type { SnapshotIrq, SnapshotOtherTask } from '../../model/snapshot';
import type { CpuExact, ThreadResidency, TickExact, VcpuExact } from '../../wire/compact-tick';
import type { ByteReader, ByteWriter } from './byte-codec';

const MODE = 1;
const TRACE = 2;
const RESIDENCY = 4;
const VCPU = 8;
const CPU = 16;
const CUT_TO_READ = 32;

/** True when the tick has anything of exact mode to store. */
export function hasExact(x: TickExact): boolean {
  return x.mode !== undefined || x.trace !== undefined || x.residency !== undefined || x.vcpuExact !== undefined || x.cpuExact !== undefined;
}

/** Only the exact part of a tick (or record): what writeExact stores. */
export function exactPart(x: TickExact): TickExact | undefined {
  if (!hasExact(x)) return undefined;
  return {
    ...(x.mode !== undefined ? { mode: x.mode } : {}),
    ...(x.trace !== undefined ? { trace: x.trace } : {}),
    ...(x.residency !== undefined ? { residency: x.residency } : {}),
    ...(x.vcpuExact !== undefined ? { vcpuExact: x.vcpuExact } : {}),
    ...(x.cpuExact !== undefined ? { cpuExact: x.cpuExact } : {}),
  };
}

const count = (w: ByteWriter, v: number): void => w.num(v);
const readCount = (r: ByteReader): number => r.num() ?? 0;

function writeTriples(w: ByteWriter, flat: readonly number[], from: number): void {
  w.varint((flat.length - from) / 3);
  for (let i = from; i + 2 < flat.length; i += 3) {
    w.varint(flat[i] ?? 0);
    count(w, flat[i + 1] ?? 0);
    count(w, flat[i + 2] ?? 0);
  }
}

function readTriples(r: ByteReader, into: number[]): number[] {
  let n = r.varint();
  while (n-- > 0) into.push(r.varint(), readCount(r), readCount(r));
  return into;
}

export function writeExact(w: ByteWriter, x: TickExact): void {
  const flags =
    (x.mode !== undefined ? MODE : 0) |
    (x.trace !== undefined ? TRACE : 0) |
    (x.trace?.cutToReadNs !== undefined ? CUT_TO_READ : 0) |
    (x.residency !== undefined ? RESIDENCY : 0) |
    (x.vcpuExact !== undefined ? VCPU : 0) |
    (x.cpuExact !== undefined ? CPU : 0);
  w.u8(flags);
  if (x.mode !== undefined) w.u8(x.mode === 'exact' ? 1 : 0);
  if (x.trace !== undefined) {
    count(w, x.trace.events);
    count(w, x.trace.lostEvents);
    if (x.trace.cutToReadNs !== undefined) count(w, x.trace.cutToReadNs);
  }
  if (x.residency !== undefined) {
    w.varint(x.residency.length);
    let prev = -1;
    for (const t of x.residency) {
      const k = t[0] ?? 0;
      w.varint(k - prev - 1);
      prev = k;
      writeTriples(w, t, 1);
    }
  }
  if (x.vcpuExact !== undefined) {
    w.varint(x.vcpuExact.length);
    let prev = -1;
    for (const v of x.vcpuExact) {
      w.varint(v.entry - prev - 1);
      prev = v.entry;
      const wake = v.wakeLatencyNs;
      w.u8((v.residency !== undefined ? 1 : 0) | (v.migrations !== undefined ? 2 : 0) | (wake !== undefined && wake !== null ? 4 : 0) | (wake === null ? 8 : 0));
      if (v.residency !== undefined) writeTriples(w, v.residency, 0);
      if (v.migrations !== undefined) count(w, v.migrations);
      if (wake !== undefined && wake !== null) for (const n of wake) count(w, n);
    }
  }
  if (x.cpuExact !== undefined) {
    w.varint(x.cpuExact.length);
    let prev = -1;
    for (const c of x.cpuExact) {
      w.varint(c.index - prev - 1);
      prev = c.index;
      w.u8((c.others !== undefined ? 1 : 0) | (c.othersRest !== undefined ? 2 : 0) | (c.irqs !== undefined ? 4 : 0) | (c.lostEvents !== undefined ? 8 : 0));
      if (c.others !== undefined) {
        w.varint(c.others.length);
        for (const o of c.others) {
          w.num(o.pid);
          w.varint(o.tid);
          w.string(o.comm);
          count(w, o.ns);
          count(w, o.switchIns);
          w.u8((o.kernel ? 1 : 0) | (o.vm !== undefined ? 2 : 0));
          if (o.vm !== undefined) w.string(o.vm);
        }
      }
      if (c.othersRest !== undefined) {
        count(w, c.othersRest.tasks);
        count(w, c.othersRest.ns);
      }
      if (c.irqs !== undefined) {
        w.varint(c.irqs.length);
        for (const q of c.irqs) {
          w.string(q.irq);
          w.string(q.name);
          count(w, q.count);
        }
      }
      if (c.lostEvents !== undefined) count(w, c.lostEvents);
    }
  }
}

export function readExact(r: ByteReader): TickExact {
  const flags = r.u8();
  if (flags >= 64 || (flags & (TRACE | CUT_TO_READ)) === CUT_TO_READ) throw new Error(`store codec: unknown exact-mode flags ${flags} at byte ${r.pos - 1}`);
  const out: { -readonly [K in keyof TickExact]: TickExact[K] } = {};
  if (flags & MODE) out.mode = r.u8() === 1 ? 'exact' : 'sampled';
  if (flags & TRACE) {
    const events = readCount(r);
    const lostEvents = readCount(r);
    out.trace = flags & CUT_TO_READ ? { events, lostEvents, cutToReadNs: readCount(r) } : { events, lostEvents };
  }
  if (flags & RESIDENCY) {
    const list: ThreadResidency[] = [];
    let k = -1;
    for (let n = r.varint(); n > 0; n--) {
      k += r.varint() + 1;
      list.push(readTriples(r, [k]));
    }
    out.residency = list;
  }
  if (flags & VCPU) {
    const list: VcpuExact[] = [];
    let e = -1;
    for (let n = r.varint(); n > 0; n--) {
      e += r.varint() + 1;
      const has = r.u8();
      const residency = has & 1 ? readTriples(r, []) : undefined;
      const migrations = has & 2 ? readCount(r) : undefined;
      const wake = has & 4 ? ([readCount(r), readCount(r), readCount(r), readCount(r)] as const) : has & 8 ? null : undefined;
      list.push({
        entry: e,
        ...(residency !== undefined ? { residency } : {}),
        ...(migrations !== undefined ? { migrations } : {}),
        ...(wake !== undefined ? { wakeLatencyNs: wake } : {}),
      });
    }
    out.vcpuExact = list;
  }
  if (flags & CPU) {
    const list: CpuExact[] = [];
    let i = -1;
    for (let n = r.varint(); n > 0; n--) {
      i += r.varint() + 1;
      const has = r.u8();
      let others: SnapshotOtherTask[] | undefined;
      if (has & 1) {
        others = [];
        for (let m = r.varint(); m > 0; m--) {
          const pid = r.num();
          const tid = r.varint();
          const comm = r.string();
          const ns = readCount(r);
          const switchIns = readCount(r);
          const bits = r.u8();
          others.push({ pid, tid, comm, ns, switchIns, kernel: (bits & 1) === 1, ...(bits & 2 ? { vm: r.string() } : {}) });
        }
      }
      const othersRest = has & 2 ? { tasks: readCount(r), ns: readCount(r) } : undefined;
      let irqs: SnapshotIrq[] | undefined;
      if (has & 4) {
        irqs = [];
        for (let m = r.varint(); m > 0; m--) irqs.push({ irq: r.string(), name: r.string(), count: readCount(r) });
      }
      const lostEvents = has & 8 ? readCount(r) : undefined;
      list.push({
        index: i,
        ...(others !== undefined ? { others } : {}),
        ...(othersRest !== undefined ? { othersRest } : {}),
        ...(irqs !== undefined ? { irqs } : {}),
        ...(lostEvents !== undefined ? { lostEvents } : {}),
      });
    }
    out.cpuExact = list;
  }
  return out;
}
