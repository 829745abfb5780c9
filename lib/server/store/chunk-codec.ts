// A chunk: the ticks of one host, one structure and one minute, stored column by column (the
// columnar store). A column holds one value per tick for one history row, thread, vCPU entry or
// pCPU, so what rarely changes costs next to nothing: a pinned vCPU's pCPU is one run, an idle
// thread's ran bits and state are one run each, a violation seen every tick is one presence run
// with a constant `since`. Integer columns pick their encoding per column (column-codec.ts:
// constant, runs, patched frame of reference, patched deltas); the chunk is then deflated.
// Layout (varints unless noted): the times first, not deflated (a reader that only needs them,
// as ingest does to drop duplicates, does not inflate), then the rest, deflated:
//   times            ticks n, first at (num), then n - 1 deltas (varints)
//   u8 version, threads T, vCPU entries V, pCPUs C, placed rows P
//   intervalMs       nullable numbers
//   per placed row   pCPU (ints), ran (bits)                 -- the history column (history-column.ts)
//   per thread       state codes (ints), then inline states: count, (tick, thread, string)
//   per unlinked     its state codes (ints): pCPU and ran are its placed row
//   vCPU exceptions  of linked entries: count, then (tick, entry, pcpu, ran u8, state)
//   violations       body ids m, per body: presence (bits), since and lastSeen of its sightings
//                    (nullable numbers); then the ticks whose order differs: (tick, ids)
//   per pCPU         busy as offset codes (busy-codec.ts) or exact numbers (nullable numbers)
//   per vCPU entry   waitNs, then runNs: u8 mode, then nullable numbers of every tick (FULL), or
//                    only of the ticks it ran in (RAN: it ran nothing and waited nothing in the
//                    others), or for runNs of those ticks the zigzag of interval - waitNs - runNs
//                    (SLEEP: near 0 for a vCPU that was runnable all the interval); the smallest
//   exact mode       only when a tick has any: count, then (tick gap, exact-codec.ts) per such tick
// Exact: every record comes back as it went in (tick-codec.ts TickRecord).
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { VcpuException } from '../../wire/compact-tick';
import { ByteReader, ByteWriter } from './byte-codec';
import { busyDenominator, fromOffsetCode, offsetCode } from './busy-codec';
import { readExact, writeExact } from './exact-codec';
import { intsCost, readBits, readInts, readNullableNumbers, writeBits, writeInts, writeIntsAsNullable, writeNullableNumbers } from './column-codec';
import type { Structure } from './structure';
import { STATE_CODE, STATES, vcpuRanOf, type TickRecord, type TickViolation } from './tick-codec';

/** 2: integer columns may also be in bit lengths (column-codec.ts LENGTHS); chunks of version 1 read as before. */
const VERSION = 2;
const INLINE = 255; // a state without a code: listed apart
const BUSY_CODES = 0;
const BUSY_EXACT = 1;
const DEFLATE = { level: 6 } as const;

/** The chunk of `records` (ascending by time, all of structure `st`), deflated. */
export function encodeChunk(st: Structure, records: readonly TickRecord[]): Uint8Array {
  const n = records.length;
  if (n === 0) throw new Error('store codec: a chunk needs at least one tick');
  const { threadCount: T, vcpuCount: V, cpuCount: C, placedCount: P } = st.index;
  const times = new ByteWriter(16 + n * 2);
  times.varint(n);
  times.num(records[0]?.at ?? 0);
  for (let i = 1; i < n; i++) {
    const d = (records[i]?.at ?? 0) - (records[i - 1]?.at ?? 0);
    if (!(Number.isInteger(d) && d > 0)) throw new Error(`store codec: chunk ticks must be ascending integer times (${records[i - 1]?.at}, ${records[i]?.at})`);
    times.varint(d);
  }
  const w = new ByteWriter(4096 + n * (P + V + C) * 2);
  w.u8(VERSION);
  for (const x of [T, V, C, P]) w.varint(x);
  const col = <X>(fn: (r: TickRecord) => X): X[] => records.map(fn);
  writeNullableNumbers(w, col((r) => r.intervalMs));

  // The history rows: threads, then the vCPU entries without a thread (their own placement).
  // Only the vCPU entries without a thread are looked up by entry (most structures have none).
  const own = st.index.unlinked.length === 0 ? [] : records.map((r) => new Map<number, VcpuException>(r.vcpus.map((x) => [x[0], x])));
  for (let p = 0; p < P; p++) {
    if (p < T) {
      writeInts(w, col((r) => r.pcpu[p] ?? 0));
      writeBits(w, (i) => records[i]?.ran[p] ?? 0, n);
    } else {
      const entry = st.index.unlinked[p - T] ?? -1;
      const xs = own.map((m, i) => {
        const x = m.get(entry);
        if (x === undefined) throw new Error(`store codec: tick ${records[i]?.at} lacks the placement of vCPU entry ${entry}, which has no thread`);
        return x;
      });
      writeInts(w, xs.map((x) => x[1]));
      writeBits(w, (i) => xs[i]?.[2] ?? 0, n);
    }
  }

  const inline: [tick: number, thread: number, state: string][] = [];
  for (let t = 0; t < T; t++) {
    writeInts(
      w,
      records.map((r, i) => {
        const x = r.state[t] ?? 'S';
        const code = x === 'S' ? 0 : STATE_CODE.get(x);
        if (code !== undefined) return code;
        inline.push([i, t, x]);
        return INLINE;
      }),
    );
  }
  writeInlineStates(w, inline);
  const unlinkedInline: [tick: number, entry: number, state: string][] = [];
  for (const entry of st.index.unlinked) {
    writeInts(
      w,
      own.map((m, i) => {
        const x = m.get(entry)?.[3] ?? 'S';
        const code = STATE_CODE.get(x);
        if (code !== undefined) return code;
        unlinkedInline.push([i, entry, x]);
        return INLINE;
      }),
    );
  }
  writeInlineStates(w, unlinkedInline);

  const linked: [number, VcpuException][] = [];
  records.forEach((r, i) => {
    for (const x of r.vcpus) if ((st.index.vcpuThread[x[0]] ?? -1) >= 0) linked.push([i, x]);
  });
  w.varint(linked.length);
  for (const [i, [entry, pcpu, ran, state]] of linked) {
    w.varint(i);
    w.varint(entry);
    w.varint(pcpu);
    w.u8(ran);
    w.string(state);
  }

  const bodies = new Map<number, (TickViolation | undefined)[]>();
  records.forEach((r, i) => {
    for (const v of r.violations) {
      let seen = bodies.get(v.bodyId);
      if (!seen) bodies.set(v.bodyId, (seen = new Array<TickViolation | undefined>(n)));
      if (seen[i] !== undefined) throw new Error(`store codec: violation body ${v.bodyId} twice in the tick at ${r.at}`);
      seen[i] = v;
    }
  });
  // A tick's violations come back in the order of their body ids' first sighting in the chunk;
  // a tick whose order differs (a new violation sorted before older ones) is listed with its own.
  const order = [...bodies.keys()];
  const rank = new Map(order.map((id, k) => [id, k]));
  const reordered: [tick: number, ids: number[]][] = [];
  records.forEach((r, i) => {
    let last = -1;
    for (const v of r.violations) {
      const k = rank.get(v.bodyId) ?? 0;
      if (k < last) {
        reordered.push([i, r.violations.map((x) => x.bodyId)]);
        return;
      }
      last = k;
    }
  });
  w.varint(order.length);
  for (const id of order) {
    const seen = bodies.get(id) ?? [];
    w.varint(id);
    writeBits(w, (i) => (seen[i] === undefined ? 0 : 1), n);
    const present = seen.filter((v): v is TickViolation => v !== undefined);
    writeNullableNumbers(w, present.map((v) => v.since));
    writeNullableNumbers(w, present.map((v) => v.lastSeen));
  }
  w.varint(reordered.length);
  for (const [i, ids] of reordered) {
    w.varint(i);
    w.varint(ids.length);
    for (const id of ids) w.varint(id);
  }

  const denominators = records.map((r) => busyDenominator(r.intervalMs));
  for (let c = 0; c < C; c++) {
    const values = col((r) => r.busy[c] ?? null);
    const codes = new Array<number | null>(n);
    let coded = true;
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? null;
      const code = v === null ? null : offsetCode(v, denominators[i] ?? 0);
      if (code !== null && code < 0) coded = false;
      codes[i] = code;
    }
    if (coded) {
      w.u8(BUSY_CODES);
      writeNullableNumbers(w, codes);
    } else {
      w.u8(BUSY_EXACT);
      writeNullableNumbers(w, values);
    }
  }

  const ran = records.map((r) => vcpuRanOf(st, r));
  const elapsed = records.map((r) => (r.intervalMs === null ? null : Math.round(r.intervalMs * 1e6)));
  for (let k = 0; k < V; k++) {
    const wait = col((r) => r.waitNs[k] ?? null);
    const ranK = ran.map((x) => x[k] ?? 0);
    writeCounter(w, wait, ranK, null, null);
    writeCounter(w, col((r) => r.runNs[k] ?? null), ranK, wait, elapsed);
  }
  const exact = records.flatMap((r, i) => (r.exact === undefined ? [] : [[i, r.exact] as const]));
  if (exact.length > 0) {
    w.varint(exact.length);
    let prev = -1;
    for (const [i, x] of exact) {
      w.varint(i - prev - 1);
      prev = i;
      writeExact(w, x);
    }
  }
  const head = times.finish();
  const body = deflateRawSync(w.finish(), DEFLATE);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The times of a chunk's ticks (epoch ms, ascending), and where its deflated part starts. */
export function chunkTimes(data: Uint8Array): { at: number[]; end: number } {
  const r = new ByteReader(data);
  const n = r.varint();
  const at = new Array<number>(n);
  at[0] = r.num() ?? 0;
  for (let i = 1; i < n; i++) at[i] = (at[i - 1] ?? 0) + r.varint();
  return { at, end: r.pos };
}

function writeInlineStates(w: ByteWriter, list: readonly (readonly [number, number, string])[]): void {
  w.varint(list.length);
  for (const [i, k, x] of list) {
    w.varint(i);
    w.varint(k);
    w.string(x);
  }
}

function readInlineStates(r: ByteReader): [number, number, string][] {
  const out: [number, number, string][] = [];
  let n = r.varint();
  while (n-- > 0) out.push([r.varint(), r.varint(), r.string()]);
  return out;
}

function stateOf(code: number): string {
  const s = STATES[code];
  if (s === undefined) throw new Error(`store codec: unknown thread state code ${code} in a chunk`);
  return s;
}

/** The records of a chunk of structure `st`, ascending by time. */
export function decodeChunk(st: Structure, data: Uint8Array): TickRecord[] {
  const { at, end } = chunkTimes(data);
  const n = at.length;
  const r = new ByteReader(new Uint8Array(inflateRawSync(data.subarray(end))));
  const version = r.u8();
  if (version !== VERSION && version !== 1) throw new Error(`store codec: chunk version ${version}, this server reads 1 and ${VERSION}`);
  const { threadCount: T, vcpuCount: V, cpuCount: C, placedCount: P } = st.index;
  const dims = [r.varint(), r.varint(), r.varint(), r.varint()];
  if (dims[0] !== T || dims[1] !== V || dims[2] !== C || dims[3] !== P) throw new Error(`store codec: a chunk of ${dims.join('/')} threads/vCPUs/pCPUs/rows does not match structure ${st.id}`);
  const intervalMs = readNullableNumbers(r, n);

  const pcpu = Array.from({ length: n }, () => new Uint16Array(T));
  const ran = Array.from({ length: n }, () => new Uint8Array(T));
  const ownPcpu: number[][] = [];
  const ownRan: Uint8Array[] = [];
  for (let p = 0; p < P; p++) {
    const values = readInts(r, n);
    const bits = new Uint8Array(n);
    readBits(r, n, bits);
    if (p < T) {
      for (let i = 0; i < n; i++) {
        const v = values[i] ?? 0;
        if (v > 65535) throw new Error(`store codec: pCPU ${v} in a chunk is out of range`);
        (pcpu[i] as Uint16Array)[p] = v;
        (ran[i] as Uint8Array)[p] = bits[i] ?? 0;
      }
    } else {
      ownPcpu.push(values);
      ownRan.push(bits);
    }
  }

  const state = Array.from({ length: n }, () => new Array<string>(T));
  for (let t = 0; t < T; t++) {
    const codes = readInts(r, n);
    for (let i = 0; i < n; i++) {
      const c = codes[i] ?? 0;
      if (c !== INLINE) (state[i] as string[])[t] = stateOf(c);
    }
  }
  for (const [i, t, x] of readInlineStates(r)) {
    const s = state[i];
    if (s === undefined || t >= T) throw new Error('store codec: an inline state outside the chunk');
    s[t] = x;
  }
  const unlinkedState = st.index.unlinked.map(() => new Array<string>(n));
  st.index.unlinked.forEach((_, u) => {
    const codes = readInts(r, n);
    for (let i = 0; i < n; i++) {
      const c = codes[i] ?? 0;
      if (c !== INLINE) (unlinkedState[u] as string[])[i] = stateOf(c);
    }
  });
  for (const [i, entry, x] of readInlineStates(r)) {
    const u = st.index.unlinked.indexOf(entry);
    const s = unlinkedState[u];
    if (s === undefined || i >= n) throw new Error('store codec: an inline vCPU state outside the chunk');
    s[i] = x;
  }

  const vcpus = Array.from({ length: n }, (): VcpuException[] => []);
  st.index.unlinked.forEach((entry, u) => {
    for (let i = 0; i < n; i++) vcpus[i]?.push([entry, ownPcpu[u]?.[i] ?? 0, (ownRan[u]?.[i] ?? 0) === 1 ? 1 : 0, unlinkedState[u]?.[i] ?? 'S']);
  });
  let linked = r.varint();
  while (linked-- > 0) {
    const i = r.varint();
    const entry = r.varint();
    const p = r.varint();
    const x = r.u8() === 1 ? 1 : 0;
    const s = r.string();
    if (i >= n || entry >= V) throw new Error('store codec: a vCPU exception outside the chunk');
    vcpus[i]?.push([entry, p, x, s]);
  }
  for (const list of vcpus) list.sort((a, b) => a[0] - b[0]);

  const violations = Array.from({ length: n }, (): TickViolation[] => []);
  let bodies = r.varint();
  while (bodies-- > 0) {
    const bodyId = r.varint();
    const present = new Uint8Array(n);
    readBits(r, n, present);
    let count = 0;
    for (let i = 0; i < n; i++) count += present[i] ?? 0;
    const since = readNullableNumbers(r, count);
    const lastSeen = readNullableNumbers(r, count);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (present[i] !== 1) continue;
      violations[i]?.push({ bodyId, since: since[k] ?? 0, lastSeen: lastSeen[k] ?? 0 });
      k++;
    }
  }
  let reordered = r.varint();
  while (reordered-- > 0) {
    const i = r.varint();
    const ids: number[] = [];
    let m = r.varint();
    while (m-- > 0) ids.push(r.varint());
    const list = violations[i];
    if (list === undefined || list.length !== ids.length) throw new Error('store codec: a violation order outside the chunk');
    const byId = new Map(list.map((v) => [v.bodyId, v]));
    violations[i] = ids.map((id) => {
      const v = byId.get(id);
      if (v === undefined) throw new Error(`store codec: violation body ${id} is not in the tick it orders`);
      return v;
    });
  }

  const busy = Array.from({ length: n }, () => new Array<number | null>(C));
  for (let c = 0; c < C; c++) {
    const mode = r.u8();
    const values = readNullableNumbers(r, n);
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? null;
      (busy[i] as (number | null)[])[c] = v === null || mode === BUSY_EXACT ? v : fromOffsetCode(v, busyDenominator(intervalMs[i] ?? null));
    }
  }

  const records: TickRecord[] = at.map((a, i) => ({
    at: a,
    intervalMs: intervalMs[i] ?? null,
    pcpu: pcpu[i] ?? new Uint16Array(T),
    ran: ran[i] ?? new Uint8Array(T),
    state: state[i] ?? [],
    vcpus: vcpus[i] ?? [],
    runNs: new Array<number | null>(V),
    waitNs: new Array<number | null>(V),
    busy: busy[i] ?? [],
    violations: violations[i] ?? [],
  }));
  const vran = records.map((rec) => vcpuRanOf(st, rec));
  const elapsed = records.map((rec) => (rec.intervalMs === null ? null : Math.round(rec.intervalMs * 1e6)));
  for (let k = 0; k < V; k++) {
    const ranK = vran.map((x) => x[k] ?? 0);
    const wait = readCounter(r, ranK, null, null);
    const run = readCounter(r, ranK, wait, elapsed);
    records.forEach((rec, i) => {
      (rec.waitNs as (number | null)[])[k] = wait[i] ?? null;
      (rec.runNs as (number | null)[])[k] = run[i] ?? null;
    });
  }
  if (!r.done) {
    let i = -1;
    for (let m = r.varint(); m > 0; m--) {
      i += r.varint() + 1;
      const rec = records[i];
      if (rec === undefined) throw new Error(`store codec: exact-mode values for tick ${i} of a chunk of ${n}`);
      records[i] = { ...rec, exact: readExact(r) };
    }
  }
  if (!r.done) throw new Error(`store codec: trailing bytes in a chunk of structure ${st.id}`);
  return records;
}

const FULL = 0;
const RAN = 1;
const SLEEP = 2;

/**
 * One counter column (ns) of a vCPU entry: the smallest exact form (see the layout above).
 * `wait` and `elapsed` (ns per tick) are given for runNs only.
 */
function writeCounter(w: ByteWriter, values: readonly (number | null)[], ran: readonly number[], wait: readonly (number | null)[] | null, elapsed: readonly (number | null)[] | null): void {
  // A vCPU's counters are 0 in the ticks it did not run (the agent's deltas): then RAN (never
  // longer than FULL), or for runNs SLEEP when it is smaller; else FULL.
  const idleZero = values.every((v, i) => ran[i] === 1 || v === 0);
  if (!idleZero) {
    w.u8(FULL);
    writeNullableNumbers(w, values);
    return;
  }
  const ranValues = values.filter((_, i) => ran[i] === 1);
  if (wait !== null && elapsed !== null) {
    const sleep: number[] = [];
    let ok = true;
    let plainInts = true; // every value of `plain` a non-negative integer (isPlainInt)
    const plain: number[] = [];
    values.forEach((v, i) => {
      if (ran[i] !== 1 || !ok) return;
      const e = elapsed[i] ?? null;
      const q = wait[i] ?? null;
      if (v === null || e === null || q === null || !Number.isInteger(v) || !Number.isInteger(q) || !Number.isInteger(e) || Object.is(v, -0) || v > MAX_SAFE_COUNTER) ok = false;
      else {
        sleep.push(zigzag(e - q - v));
        plain.push(v);
        if (v < 0) plainInts = false;
      }
    });
    if (ok && sleep.length > 0) {
      // plain is costed last: the RAN form below writes it without planning it again.
      if (intsCost(sleep) < intsCost(plain)) {
        w.u8(SLEEP);
        writeInts(w, sleep);
        return;
      }
      if (plainInts) {
        w.u8(RAN);
        writeIntsAsNullable(w, plain);
        return;
      }
    }
  }
  w.u8(RAN);
  writeNullableNumbers(w, ranValues);
}

/** Counters above this go the plain way (the SLEEP arithmetic stays exact below it). */
const MAX_SAFE_COUNTER = 2 ** 50;

function readCounter(r: ByteReader, ran: readonly number[], wait: readonly (number | null)[] | null, elapsed: readonly (number | null)[] | null): (number | null)[] {
  const n = ran.length;
  const mode = r.u8();
  if (mode === FULL) return readNullableNumbers(r, n);
  let count = 0;
  for (const x of ran) count += x;
  const out = new Array<number | null>(n).fill(0);
  if (mode === RAN) {
    const values = readNullableNumbers(r, count);
    let k = 0;
    for (let i = 0; i < n; i++) if (ran[i] === 1) out[i] = values[k++] ?? null;
    return out;
  }
  if (mode !== SLEEP || wait === null || elapsed === null) throw new Error(`store codec: unknown counter mode ${mode} at byte ${r.pos - 1}`);
  const sleep = readInts(r, count);
  let k = 0;
  for (let i = 0; i < n; i++) if (ran[i] === 1) out[i] = (elapsed[i] ?? 0) - (wait[i] ?? 0) - unzigzag(sleep[k++] ?? 0);
  return out;
}

const zigzag = (d: number): number => (d >= 0 ? d * 2 : -d * 2 - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
