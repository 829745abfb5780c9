// One tick of one host as a compact byte row, relative to its structure (structure.ts). The row
// is self-contained (no reference to the previous tick), so ticks can be stored out of order, and
// it is the same bytes in memory (live-window.ts) and in the database.
//
// Layout (varints unless noted; columns in thread-table order):
//   intervalMs                              num code (byte-codec.ts)
//   -- placement: all that history needs, decoded without touching the rest --
//   ran                                     ceil(threads / 8) bytes, bit i = thread i ran
//   pCPU exceptions     count, then (gap, pcpu): threads whose pcpu is not their base pCPU
//   vCPU exceptions     count, then (gap, pcpu, ran u8, state): vCPU entries that differ from
//                       their thread (or have none)
//   violations          count, then (body id, since rel at, lastSeen rel at)
//   -- the rest --
//   state exceptions    count, then (gap, state): threads not in state "S"
//   busy                per pCPU, one column (busy-codec.ts)
//   runNs, waitNs       per VM: one group each, bit-packed at the width of the largest value
// The placement section comes first: sealed live-window segments keep only it (segment-codec.ts);
// everything after it is read only for a point snapshot.
// Pinned threads sit on their base pCPU and sleep, so most ticks carry no exceptions at all.
import type { Snapshot, SnapshotThread, SnapshotVcpu, SnapshotVm, Violation } from '../../model/snapshot';
import { assembleSnapshot } from '../../wire/assemble-snapshot';
import { ByteReader, MAX_VARINT, type ByteWriter } from './byte-codec';
import { bitLength, busyDenominator, readBusyColumn, writeBusyColumn } from './busy-codec';
import type { Structure } from './structure';
import { withTimes, type ViolationBody } from './violation-body';

/** Thread states by code; "S" (sleeping) is code 0 and the base of the state column. */
const STATES = ['S', 'R', 'D', 'I', 'T', 't', 'Z', 'X', 'P', 'W', 'K', 'x'] as const;
const STATE_CODE = new Map<string, number>(STATES.map((s, i) => [s, i]));
const STATE_INLINE = 255;

export interface TickViolation {
  readonly bodyId: number;
  readonly since: number; // epoch ms
  readonly lastSeen: number; // epoch ms
}

/** Where every placed thread (structure.placed) was in one tick. */
export interface Placement {
  readonly pcpu: Uint16Array; // length >= structure.placedCount
  readonly ran: Uint8Array; // 0 = stale observation
}

export function newPlacement(size: number): Placement {
  return { pcpu: new Uint16Array(size), ran: new Uint8Array(size) };
}

/**
 * Encodes the volatile values of `s`, whose static part must equal `st.body`. `bodyIds[i]` is
 * the stored id of `s.violations[i]`'s body.
 */
export function encodeTick(w: ByteWriter, st: Structure, s: Snapshot, bodyIds: readonly number[]): Uint8Array {
  if (bodyIds.length !== s.violations.length) {
    throw new Error(`store codec: ${s.violations.length} violations but ${bodyIds.length} body ids`);
  }
  w.reset();
  w.num(s.intervalMs);
  const threads = flatThreads(s.vms, st.threadCount);
  const vcpus = flatVcpus(s.vms, st.vcpuCount);

  // ran bitmap
  for (let byte = 0; byte < Math.ceil(threads.length / 8); byte++) {
    let bits = 0;
    for (let b = 0; b < 8; b++) {
      const t = threads[byte * 8 + b];
      if (t?.ran === true) bits |= 1 << b;
    }
    w.u8(bits);
  }

  // pCPU exceptions
  let n = 0;
  for (let i = 0; i < threads.length; i++) if (threads[i]?.pcpu !== st.basePcpu[i]) n++;
  w.varint(n);
  let prev = -1;
  for (let i = 0; i < threads.length; i++) {
    const t = threads[i];
    if (t === undefined || t.pcpu === st.basePcpu[i]) continue;
    w.varint(i - prev - 1);
    w.varint(t.pcpu);
    prev = i;
  }

  // vCPU exceptions
  n = 0;
  for (let i = 0; i < vcpus.length; i++) if (vcpuDiffers(st, vcpus, threads, i)) n++;
  w.varint(n);
  prev = -1;
  for (let i = 0; i < vcpus.length; i++) {
    const v = vcpus[i];
    if (v === undefined || !vcpuDiffers(st, vcpus, threads, i)) continue;
    w.varint(i - prev - 1);
    w.varint(v.pcpu);
    w.u8(v.ran ? 1 : 0);
    writeState(w, v.state);
    prev = i;
  }

  // violations
  w.varint(s.violations.length);
  for (let i = 0; i < s.violations.length; i++) {
    const v = s.violations[i];
    const id = bodyIds[i];
    if (v === undefined || id === undefined) continue;
    w.varint(id);
    w.rel(s.at, v.since);
    w.rel(s.at, v.lastSeen);
  }

  // state exceptions
  n = 0;
  for (const t of threads) if (t.state !== 'S') n++;
  w.varint(n);
  prev = -1;
  for (let i = 0; i < threads.length; i++) {
    const t = threads[i];
    if (t === undefined || t.state === 'S') continue;
    w.varint(i - prev - 1);
    writeState(w, t.state);
    prev = i;
  }

  writeBusyColumn(
    w,
    s.topology.cpus.map((c) => c.busy),
    busyDenominator(s.intervalMs),
  );

  for (const vm of s.vms) {
    if (vm.vcpus.length === 0) continue;
    const ran = vm.vcpus.map((v) => v.ran);
    writeCounterGroup(
      w,
      vm.vcpus.map((v) => v.runNs),
      ran,
    );
    writeCounterGroup(
      w,
      vm.vcpus.map((v) => v.waitNs),
      ran,
    );
  }

  return w.finish();
}

function vcpuDiffers(st: Structure, vcpus: readonly SnapshotVcpu[], threads: readonly SnapshotThread[], i: number): boolean {
  const v = vcpus[i];
  const ti = st.vcpuThread[i] ?? -1;
  const t = ti >= 0 ? threads[ti] : undefined;
  if (v === undefined) return false;
  if (t === undefined) return true;
  return v.pcpu !== t.pcpu || v.ran !== t.ran || v.state !== t.state;
}

function flatThreads(vms: readonly SnapshotVm[], count: number): SnapshotThread[] {
  const out: SnapshotThread[] = [];
  for (const vm of vms) for (const t of vm.threads) out.push(t);
  if (out.length !== count) throw new Error(`store codec: snapshot has ${out.length} threads, its structure ${count}`);
  return out;
}

function flatVcpus(vms: readonly SnapshotVm[], count: number): SnapshotVcpu[] {
  const out: SnapshotVcpu[] = [];
  for (const vm of vms) for (const v of vm.vcpus) out.push(v);
  if (out.length !== count) throw new Error(`store codec: snapshot has ${out.length} vCPUs, its structure ${count}`);
  return out;
}

/**
 * The runNs (or waitNs) of one VM's vCPUs. Header 0: one num code each. Header w + 1: every value
 * packed in w bits (a VM's vCPUs have counters of similar size, so a shared width is close to what
 * the values carry). Header SKIP_IDLE + w + 1: only the vCPUs that ran are packed; the others are
 * 0 (a vCPU that did not run has no run time and, almost always, no wait).
 */
const SKIP_IDLE = 64;

/** @internal Shared with compact-tick-row.ts. */
export function writeCounterGroup(w: ByteWriter, values: readonly (number | null)[], ran: readonly boolean[]): void {
  let max = 0;
  let idleZero = true;
  let idle = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    if (v === null || !Number.isInteger(v) || v < 0 || v > MAX_VARINT || Object.is(v, -0)) {
      w.u8(0);
      for (const x of values) w.num(x);
      return;
    }
    if (ran[i] === true) {
      if (v > max) max = v;
    } else {
      idle++;
      if (v !== 0) idleZero = false;
      if (v > max) max = v;
    }
  }
  const width = bitLength(max);
  if (idle > 0 && idleZero) {
    w.u8(SKIP_IDLE + width + 1);
    w.packed(
      values.filter((_, i) => ran[i] === true).map((v) => v ?? 0),
      width,
    );
  } else {
    w.u8(width + 1);
    w.packed(
      values.map((v) => v ?? 0),
      width,
    );
  }
}

function readCounterGroup(r: ByteReader, ran: ArrayLike<number>, first: number, count: number, out: (number | null)[]): void {
  const header = r.u8();
  if (header === 0) {
    for (let i = 0; i < count; i++) out[first + i] = r.num();
  } else if (header < SKIP_IDLE) {
    r.packed(count, header - 1, out, first);
  } else {
    let ranCount = 0;
    for (let i = 0; i < count; i++) if (ran[first + i] === 1) ranCount++;
    const packed = new Array<number>(ranCount);
    r.packed(ranCount, header - SKIP_IDLE - 1, packed, 0);
    let k = 0;
    for (let i = 0; i < count; i++) out[first + i] = ran[first + i] === 1 ? (packed[k++] ?? 0) : 0;
  }
}

/** @internal Shared with compact-tick-row.ts. */
export function writeState(w: ByteWriter, state: string): void {
  const code = STATE_CODE.get(state);
  if (code !== undefined) {
    w.u8(code);
  } else {
    w.u8(STATE_INLINE);
    w.string(state);
  }
}

function readState(r: ByteReader): string {
  const code = r.u8();
  if (code === STATE_INLINE) return r.string();
  const s = STATES[code];
  if (s === undefined) throw new Error(`store codec: unknown thread state code ${code} at byte ${r.pos - 1}`);
  return s;
}

/**
 * Decodes the placement section into `out` (pCPU and ran of every placed thread) and, when asked,
 * the tick's violations. Returns the reader positioned after the violations.
 */
export function decodePlacement(st: Structure, row: Uint8Array, at: number, out: Placement, violations: TickViolation[] | null): ByteReader {
  const r = new ByteReader(row);
  r.num(); // intervalMs
  const T = st.threadCount;
  const ranBytes = r.bytes(Math.ceil(T / 8));
  for (let i = 0; i < T; i++) out.ran[i] = ((ranBytes[i >> 3] ?? 0) >> (i & 7)) & 1;
  out.pcpu.set(st.basePcpu);
  let n = r.varint();
  let i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    const pcpu = r.varint();
    if (i >= T) throw new Error(`store codec: pCPU exception for thread ${i} of ${T} (row does not match structure ${st.id})`);
    out.pcpu[i] = pcpu;
  }
  n = r.varint();
  i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    const pcpu = r.varint();
    const ran = r.u8();
    readState(r);
    if (i >= st.vcpuCount) throw new Error(`store codec: vCPU exception for entry ${i} of ${st.vcpuCount} (row does not match structure ${st.id})`);
    const p = st.vcpuPlaced[i] ?? 0;
    if (p >= T) {
      out.pcpu[p] = pcpu;
      out.ran[p] = ran;
    }
  }
  n = r.varint();
  while (n-- > 0) {
    const bodyId = r.varint();
    const since = r.rel(at);
    const lastSeen = r.rel(at);
    violations?.push({ bodyId, since, lastSeen });
  }
  return r;
}

/** The snapshot exactly as ingested. `body(id)` returns a stored violation body. */
export function decodeTick(st: Structure, row: Uint8Array, at: number, body: (id: number) => ViolationBody): Snapshot {
  const r = new ByteReader(row);
  const intervalMs = r.num();
  const T = st.threadCount;
  const V = st.vcpuCount;
  const ranBytes = r.bytes(Math.ceil(T / 8));
  const pcpu: number[] = Array.from(st.basePcpu);
  let n = r.varint();
  let i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    pcpu[i] = r.varint();
  }
  const vcpuExc = new Map<number, { pcpu: number; ran: boolean; state: string }>();
  n = r.varint();
  i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    const p = r.varint();
    const ran = r.u8() === 1;
    vcpuExc.set(i, { pcpu: p, ran, state: readState(r) });
  }
  const violations: Violation[] = [];
  n = r.varint();
  while (n-- > 0) {
    const b = body(r.varint());
    const since = r.rel(at);
    const lastSeen = r.rel(at);
    violations.push(withTimes(b, since, lastSeen));
  }
  const state: string[] = new Array<string>(T).fill('S');
  n = r.varint();
  i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    state[i] = readState(r);
  }
  const runNs: (number | null)[] = new Array<number | null>(V);
  const waitNs: (number | null)[] = new Array<number | null>(V);
  const busy = readBusyColumn(r, st.cpuCount);
  const vcpuRan = new Uint8Array(V);
  for (let k = 0; k < V; k++) {
    const exc = vcpuExc.get(k);
    const ti = st.vcpuThread[k] ?? -1;
    vcpuRan[k] = exc !== undefined ? (exc.ran ? 1 : 0) : ti >= 0 ? ((ranBytes[ti >> 3] ?? 0) >> (ti & 7)) & 1 : 0;
  }
  let first = 0;
  for (const vm of st.body.vms) {
    if (vm.vcpus.length === 0) continue;
    readCounterGroup(r, vcpuRan, first, vm.vcpus.length, runNs);
    readCounterGroup(r, vcpuRan, first, vm.vcpus.length, waitNs);
    first += vm.vcpus.length;
  }
  if (!r.done) throw new Error(`store codec: ${row.length - r.pos} trailing bytes in a row of structure ${st.id}`);
  return assembleSnapshot(
    st.body,
    {
      host: st.body.host,
      at,
      intervalMs,
      threadPcpu: (k) => pcpu[k] ?? 0,
      threadRan: (k) => ((ranBytes[k >> 3] ?? 0) >> (k & 7)) % 2 === 1,
      threadState: (k) => state[k] ?? 'S',
      vcpuOwn: (k) => vcpuExc.get(k),
      runNs,
      waitNs,
      busy,
      violations,
    },
    `store codec, structure ${st.id}`,
  );
}

/**
 * True when `row` holds a whole tick, false when it was cut to its placement section (sealed
 * live-window segments, segment-codec.ts): then decodeTick needs the row from the database.
 */
export function isWholeRow(st: Structure, row: Uint8Array): boolean {
  return decodePlacement(st, row, 0, newPlacement(st.placedCount), null).pos < row.length;
}
