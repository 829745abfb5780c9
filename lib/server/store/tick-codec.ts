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
//   exact mode          only when the tick has any of it (exact-codec.ts)
// The placement section comes first: sealed live-window segments keep only it (segment-codec.ts);
// everything after it is read only for a point snapshot.
// Pinned threads sit on their base pCPU and sleep, so most ticks carry no exceptions at all.
import type { Snapshot } from '../../model/snapshot';
import { expandTick, LONG_STATE, TICK_FORMAT, type CompactTick, type StateException, type TickExact, type VcpuException } from '../../wire/compact-tick';
import { ByteReader, MAX_VARINT, type ByteWriter } from './byte-codec';
import { exactPart, readExact, writeExact } from './exact-codec';
import { bitLength, busyDenominator, readBusyColumn, writeBusyColumn } from './busy-codec';
import type { Structure } from './structure';
import { withTimes, type ViolationBody } from './violation-body';

/** Thread states by code; "S" (sleeping) is code 0 and the base of the state column. */
export const STATES = ['S', 'R', 'D', 'I', 'T', 't', 'Z', 'X', 'P', 'W', 'K', 'x'] as const;
export const STATE_CODE = new Map<string, number>(STATES.map((s, i) => [s, i]));
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

const ONE = 49; // "1" in a tick's ran string

/**
 * One tick as the store handles it: a compact tick's values, per thread and per vCPU entry, with
 * its violations as stored body ids. Rows (this file) and chunks (chunk-codec.ts) hold records.
 */
export interface TickRecord {
  readonly at: number; // epoch ms
  readonly intervalMs: number | null;
  readonly pcpu: ArrayLike<number>; // per thread
  readonly ran: Uint8Array; // per thread: 1 ran since the previous sample
  readonly state: readonly string[]; // per thread
  /** vCPU entries whose placement differs from their thread's, or that have none: ascending. */
  readonly vcpus: readonly VcpuException[];
  readonly runNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly waitNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly busy: readonly (number | null)[]; // per pCPU
  readonly violations: readonly TickViolation[];
  /** Exact mode's values, as the tick had them (absent for sampled frames). */
  readonly exact?: TickExact;
}

/** The record of a tick that fits `st` (checkTickFits in lib/wire/frame-checks.ts); `bodyIds[i]` is the stored id of `t.violations[i]`'s body. */
export function recordOf(st: Structure, t: CompactTick, bodyIds: readonly number[]): TickRecord {
  const T = st.threadCount;
  if (t.pcpu.length !== T || t.ran.length !== T || t.state.length !== T || t.runNs.length !== st.vcpuCount || t.waitNs.length !== st.vcpuCount || t.busy.length !== st.cpuCount) {
    throw new Error(`store codec: tick of ${t.host} at ${t.at} does not fit structure ${st.id}`);
  }
  if (bodyIds.length !== t.violations.length) throw new Error(`store codec: ${t.violations.length} violations but ${bodyIds.length} body ids`);
  const ran = new Uint8Array(T);
  for (let i = 0; i < T; i++) ran[i] = t.ran.charCodeAt(i) === ONE ? 1 : 0;
  const state = new Array<string>(T);
  for (let i = 0; i < T; i++) state[i] = t.state.charAt(i);
  for (const [i, x] of t.states ?? []) state[i] = x;
  const vcpus = t.vcpus.filter(([k, pcpu, r, x]) => {
    const ti = st.index.vcpuThread[k] ?? -1;
    return ti < 0 || t.pcpu[ti] !== pcpu || (ran[ti] ?? 0) !== r || state[ti] !== x;
  });
  return {
    at: t.at,
    intervalMs: t.intervalMs,
    pcpu: t.pcpu,
    ran,
    state,
    vcpus,
    runNs: t.runNs,
    waitNs: t.waitNs,
    busy: t.busy,
    violations: t.violations.map((v, i) => ({ bodyId: bodyIds[i] ?? 0, since: v.since, lastSeen: v.lastSeen })),
    ...withExact(exactPart(t)),
  };
}

const withExact = (exact: TickExact | undefined): { exact?: TickExact } => (exact === undefined ? {} : { exact });

/** The compact tick of a record; `body(id)` returns a stored violation body. */
export function tickOf(st: Structure, rec: TickRecord, body: (id: number) => ViolationBody): CompactTick {
  const T = st.threadCount;
  const x = rec.exact;
  let ran = '';
  let state = '';
  const states: StateException[] = [];
  for (let k = 0; k < T; k++) {
    ran += rec.ran[k] === 1 ? '1' : '0';
    const x = rec.state[k] ?? 'S';
    if (x.length === 1 && x.charCodeAt(0) > 32 && x.charCodeAt(0) < 127) {
      state += x;
    } else {
      state += LONG_STATE;
      states.push([k, x]);
    }
  }
  return {
    tick: TICK_FORMAT,
    host: st.body.host,
    at: rec.at,
    intervalMs: rec.intervalMs,
    ...(x?.mode !== undefined ? { mode: x.mode } : {}),
    ...(x?.trace !== undefined ? { trace: x.trace } : {}),
    structure: st.hash,
    pcpu: Array.from(rec.pcpu),
    ran,
    state,
    ...(states.length > 0 ? { states } : {}),
    vcpus: rec.vcpus,
    runNs: rec.runNs,
    waitNs: rec.waitNs,
    busy: rec.busy,
    violations: rec.violations.map((v) => withTimes(body(v.bodyId), v.since, v.lastSeen)),
    ...(x?.residency !== undefined ? { residency: x.residency } : {}),
    ...(x?.vcpuExact !== undefined ? { vcpuExact: x.vcpuExact } : {}),
    ...(x?.cpuExact !== undefined ? { cpuExact: x.cpuExact } : {}),
  };
}

/** The row of a tick that fits `st`; `bodyIds[i]` is the stored id of `t.violations[i]`'s body. */
export function encodeRow(w: ByteWriter, st: Structure, t: CompactTick, bodyIds: readonly number[]): Uint8Array {
  return encodeRecord(w, st, recordOf(st, t, bodyIds));
}

/** The tick exactly as ingested (its snapshot: decodeTick). `body(id)` returns a stored violation body. */
export function decodeRow(st: Structure, row: Uint8Array, at: number, body: (id: number) => ViolationBody): CompactTick {
  return tickOf(st, decodeRecord(st, row, at), body);
}

export function encodeRecord(w: ByteWriter, st: Structure, rec: TickRecord): Uint8Array {
  const T = st.threadCount;
  const V = st.vcpuCount;
  w.reset();
  w.num(rec.intervalMs);

  for (let byte = 0; byte < Math.ceil(T / 8); byte++) {
    let b = 0;
    for (let k = 0; k < 8; k++) if (rec.ran[byte * 8 + k] === 1) b |= 1 << k;
    w.u8(b);
  }

  let n = 0;
  for (let i = 0; i < T; i++) if (rec.pcpu[i] !== st.basePcpu[i]) n++;
  w.varint(n);
  let prev = -1;
  for (let i = 0; i < T; i++) {
    const p = rec.pcpu[i] ?? 0;
    if (p === st.basePcpu[i]) continue;
    w.varint(i - prev - 1);
    w.varint(p);
    prev = i;
  }

  w.varint(rec.vcpus.length);
  prev = -1;
  for (const [k, pcpu, r, x] of rec.vcpus) {
    w.varint(k - prev - 1);
    w.varint(pcpu);
    w.u8(r);
    writeState(w, x);
    prev = k;
  }

  w.varint(rec.violations.length);
  for (const v of rec.violations) {
    w.varint(v.bodyId);
    w.rel(rec.at, v.since);
    w.rel(rec.at, v.lastSeen);
  }

  n = 0;
  for (let i = 0; i < T; i++) if (rec.state[i] !== 'S') n++;
  w.varint(n);
  prev = -1;
  for (let i = 0; i < T; i++) {
    const x = rec.state[i] ?? 'S';
    if (x === 'S') continue;
    w.varint(i - prev - 1);
    writeState(w, x);
    prev = i;
  }

  writeBusyColumn(w, rec.busy, busyDenominator(rec.intervalMs));

  const vcpuRan = vcpuRanOf(st, rec);
  let first = 0;
  for (const vm of st.body.vms) {
    const count = vm.vcpus.length;
    if (count === 0) continue;
    writeCounterGroup(w, rec.runNs, vcpuRan, first, count);
    writeCounterGroup(w, rec.waitNs, vcpuRan, first, count);
    first += count;
  }
  if (first !== V) throw new Error(`store codec: ${first} vCPU entries written of ${V}`);
  if (rec.exact !== undefined) writeExact(w, rec.exact);
  return w.finish();
}

/** Per vCPU entry, whether it ran (its own placement, else its thread's): the counters' idle test. */
export function vcpuRanOf(st: Structure, rec: TickRecord): Uint8Array {
  const V = st.vcpuCount;
  const out = new Uint8Array(V);
  for (let k = 0; k < V; k++) {
    const ti = st.index.vcpuThread[k] ?? -1;
    out[k] = ti >= 0 ? (rec.ran[ti] ?? 0) : 0;
  }
  for (const x of rec.vcpus) out[x[0]] = x[2];
  return out;
}

/**
 * The runNs (or waitNs) of one VM's vCPUs. Header 0: one num code each. Header w + 1: every value
 * packed in w bits (a VM's vCPUs have counters of similar size, so a shared width is close to what
 * the values carry). Header SKIP_IDLE + w + 1: only the vCPUs that ran are packed; the others are
 * 0 (a vCPU that did not run has no run time and, almost always, no wait).
 */
const SKIP_IDLE = 64;

/** Scratch for the values one group packs (a row is encoded at a time). */
let groupScratch = new Float64Array(64);

/** `values[first..first + count)`, one VM's; `ran[k]` is 1 when vCPU entry k ran. */
function writeCounterGroup(w: ByteWriter, values: readonly (number | null)[], ran: Uint8Array, first: number, count: number): void {
  let max = 0;
  let idleZero = true;
  let idle = 0;
  for (let i = first; i < first + count; i++) {
    const v = values[i] ?? null;
    if (v === null || !Number.isInteger(v) || v < 0 || v > MAX_VARINT || Object.is(v, -0)) {
      w.u8(0);
      for (let k = first; k < first + count; k++) w.num(values[k] ?? null);
      return;
    }
    if (ran[i] !== 1) {
      idle++;
      if (v !== 0) idleZero = false;
    }
    if (v > max) max = v;
  }
  const width = bitLength(max);
  if (groupScratch.length < count) groupScratch = new Float64Array(count * 2);
  const packed = groupScratch;
  let n = 0;
  const skipIdle = idle > 0 && idleZero;
  for (let i = first; i < first + count; i++) if (!skipIdle || ran[i] === 1) packed[n++] = values[i] ?? 0;
  w.u8((skipIdle ? SKIP_IDLE : 0) + width + 1);
  w.packed(packed.subarray(0, n), width);
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

function writeState(w: ByteWriter, state: string): void {
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

/** The placement (history column) of a record into `out`: threads, then vCPU entries without a thread. */
export function recordPlacement(st: Structure, rec: TickRecord, out: Placement): void {
  const T = st.threadCount;
  for (let i = 0; i < T; i++) {
    out.pcpu[i] = rec.pcpu[i] ?? 0;
    out.ran[i] = rec.ran[i] ?? 0;
  }
  for (const [k, pcpu, ran] of rec.vcpus) {
    const p = st.index.vcpuPlaced[k] ?? 0;
    if (p >= T) {
      out.pcpu[p] = pcpu;
      out.ran[p] = ran;
    }
  }
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
    const p = st.index.vcpuPlaced[i] ?? 0;
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

export function decodeRecord(st: Structure, row: Uint8Array, at: number): TickRecord {
  const r = new ByteReader(row);
  const intervalMs = r.num();
  const T = st.threadCount;
  const V = st.vcpuCount;
  const ranBytes = r.bytes(Math.ceil(T / 8));
  const ran = new Uint8Array(T);
  for (let k = 0; k < T; k++) ran[k] = ((ranBytes[k >> 3] ?? 0) >> (k & 7)) & 1;
  const pcpu = Uint16Array.from(st.basePcpu);
  let n = r.varint();
  let i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    if (i >= T) throw new Error(`store codec: pCPU exception for thread ${i} of ${T} (row does not match structure ${st.id})`);
    const p = r.varint();
    if (p > 65535) throw new Error(`store codec: pCPU ${p} of thread ${i} is out of range`);
    pcpu[i] = p;
  }
  const vcpus: VcpuException[] = [];
  n = r.varint();
  i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    const p = r.varint();
    const x = r.u8() === 1 ? 1 : 0;
    if (i >= V) throw new Error(`store codec: vCPU exception for entry ${i} of ${V} (row does not match structure ${st.id})`);
    vcpus.push([i, p, x, readState(r)]);
  }
  const violations: TickViolation[] = [];
  n = r.varint();
  while (n-- > 0) {
    const bodyId = r.varint();
    const since = r.rel(at);
    const lastSeen = r.rel(at);
    violations.push({ bodyId, since, lastSeen });
  }
  const state = new Array<string>(T).fill('S');
  n = r.varint();
  i = -1;
  while (n-- > 0) {
    i += r.varint() + 1;
    if (i >= T) throw new Error(`store codec: state of thread ${i} of ${T} (row does not match structure ${st.id})`);
    state[i] = readState(r);
  }
  const busy = readBusyColumn(r, st.cpuCount);
  const runNs: (number | null)[] = new Array<number | null>(V);
  const waitNs: (number | null)[] = new Array<number | null>(V);
  const partial: TickRecord = { at, intervalMs, pcpu, ran, state, vcpus, runNs, waitNs, busy, violations };
  const vcpuRan = vcpuRanOf(st, partial);
  let first = 0;
  for (const vm of st.body.vms) {
    if (vm.vcpus.length === 0) continue;
    readCounterGroup(r, vcpuRan, first, vm.vcpus.length, runNs);
    readCounterGroup(r, vcpuRan, first, vm.vcpus.length, waitNs);
    first += vm.vcpus.length;
  }
  const exact = r.done ? undefined : readExact(r);
  if (!r.done) throw new Error(`store codec: ${row.length - r.pos} trailing bytes in a row of structure ${st.id}`);
  return exact === undefined ? partial : { ...partial, exact };
}

/** The snapshot exactly as ingested. */
export function decodeTick(st: Structure, row: Uint8Array, at: number, body: (id: number) => ViolationBody): Snapshot {
  return expandTick(st.body, decodeRow(st, row, at, body));
}

/**
 * True when `row` holds a whole tick, false when it was cut to its placement section (sealed
 * live-window segments, segment-codec.ts): then decodeTick needs the row from the database.
 */
export function isWholeRow(st: Structure, row: Uint8Array): boolean {
  return decodePlacement(st, row, 0, newPlacement(st.placedCount), null).pos < row.length;
}
