// The in-memory live window: per host, the last liveWindowMs of tick rows, columnar. Ticks live in
// segments of up to SEGMENT_TICKS: a Float64Array of times, a Uint32Array of structure ids and a
// Uint32Array of row end offsets into one byte arena. A full segment is sealed: its rows are cut
// to their placement section and deflated by segment-codec.ts (what history and residency read;
// about a tenth of the whole rows, scripts/measure-live-window.ts), and unpacked again on demand through
// a small cache. The newest segment keeps its rows cut the same way (not deflated), all but the
// newest tick's, which stays whole: the latest snapshot is served from memory. (Whole rows of the
// open segment were ~2/3 of the window's bytes, 32 KB a 64-vCPU host, for snapshots of the last
// minute that the database serves as well: scripts/measure-live-window.ts.)
import { placementEnd, sealRows, unsealRows } from './segment-codec';
import type { Structure } from './structure';
import type { ViolationBody } from './violation-body';

export const SEGMENT_TICKS = 64;
const INFLATED_CACHE = 48; // sealed segments kept inflated, across hosts
const INITIAL_ARENA = 4 * 1024; // bytes

/** One stored tick, as a view (the row is not copied). */
export interface TickView {
  readonly at: number; // epoch ms
  readonly st: Structure;
  /** The whole row, or in a sealed segment its placement section only (isWholeRow in tick-codec.ts). */
  readonly row: Uint8Array;
}

class Segment {
  count = 0;
  times: Float64Array;
  structs: Uint32Array;
  ends: Uint32Array; // end offset of row i in the arena
  arena: Uint8Array | null; // open segment: raw rows (capacity >= used)
  packed: Uint8Array | null = null; // sealed segment: deflated rows
  used = 0; // raw bytes
  /** Ids this segment's ticks refer to, with tick counts (for the host's reference counts). */
  readonly structRefs = new Map<number, number>();
  readonly bodyRefs = new Map<number, number>();

  constructor(capacity: number, arenaBytes: number) {
    this.times = new Float64Array(capacity);
    this.structs = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.arena = new Uint8Array(arenaBytes);
  }

  get first(): number {
    return this.times[0] ?? Number.NaN;
  }

  get last(): number {
    return this.times[this.count - 1] ?? Number.NaN;
  }

  /** Index of the first tick with time >= at (count when none). */
  lowerBound(at: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.times[mid] ?? 0) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  byteSize(): number {
    return this.times.byteLength + this.structs.byteLength + this.ends.byteLength + (this.arena?.byteLength ?? 0) + (this.packed?.byteLength ?? 0);
  }
}

export class HostWindow {
  /** Every stored frame of the host with at >= coverageStart is in this window (epoch ms). */
  coverageStart: number;
  private readonly segments: Segment[] = [];
  private readonly structures = new Map<number, { st: Structure; segments: number }>();
  private readonly bodies = new Map<number, { body: ViolationBody; segments: number }>();
  /**
   * Capacity of the next new segment. The host's first one is shorter by a per-host amount, so
   * that hosts started together (a fleet after a server restart) do not all seal at the same tick.
   */
  private nextCapacity: number;

  constructor(
    readonly host: string,
    coverageStart: number,
    private readonly owner: LiveWindow,
  ) {
    this.coverageStart = coverageStart;
    let h = 0;
    for (let i = 0; i < host.length; i++) h = (h * 31 + host.charCodeAt(i)) >>> 0;
    this.nextCapacity = SEGMENT_TICKS - (h % (SEGMENT_TICKS / 2));
  }

  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.count;
    return n;
  }

  /** Epoch ms of the newest tick, or -Infinity when empty. */
  get newest(): number {
    const s = this.segments[this.segments.length - 1];
    return s ? s.last : Number.NEGATIVE_INFINITY;
  }

  get oldest(): number {
    const s = this.segments[0];
    return s ? s.first : Number.POSITIVE_INFINITY;
  }

  structure(id: number): Structure | undefined {
    return this.structures.get(id)?.st;
  }

  body(id: number): ViolationBody | undefined {
    return this.bodies.get(id)?.body;
  }

  has(at: number): boolean {
    const seg = this.segmentFor(at);
    if (!seg) return false;
    const i = seg.lowerBound(at);
    return i < seg.count && seg.times[i] === at;
  }

  /**
   * Stores a tick. `bodies` are the violation bodies the row refers to. Returns false when the
   * tick is already there or older than coverageStart (then it lives in the database only).
   */
  insert(at: number, st: Structure, row: Uint8Array, bodies: ReadonlyMap<number, ViolationBody>): boolean {
    if (at < this.coverageStart) return false;
    const last = this.segments[this.segments.length - 1];
    let seg: Segment;
    let pos: number;
    if (!last || at > last.last) {
      if (last && last.packed === null && last.count < last.times.length) {
        seg = last;
        this.cutNewest(seg);
      } else {
        if (last) this.seal(last);
        seg = new Segment(this.nextCapacity, Math.max(INITIAL_ARENA, row.length * 4));
        this.nextCapacity = SEGMENT_TICKS;
        this.segments.push(seg);
      }
      pos = seg.count;
    } else {
      seg = this.segmentFor(at) ?? last;
      pos = seg.lowerBound(at);
      if (pos < seg.count && seg.times[pos] === at) return false;
    }
    this.insertAt(seg, pos, at, st, row, bodies);
    this.evict(this.newest - this.owner.windowMs, false);
    return true;
  }

  /** The newest tick. */
  latest(): TickView | null {
    const seg = this.segments[this.segments.length - 1];
    if (!seg || seg.count === 0) return null;
    return this.view(seg, seg.count - 1);
  }

  /** The tick nearest to `at` (the earlier one on a tie). */
  nearest(at: number): TickView | null {
    if (this.segments.length === 0) return null;
    const seg = this.segmentFor(at) ?? this.segments[0];
    if (!seg) return null;
    const i = seg.lowerBound(at);
    const si = this.segments.indexOf(seg);
    let before: [Segment, number] | null = i > 0 ? [seg, i - 1] : null;
    if (!before && si > 0) {
      const prev = this.segments[si - 1];
      if (prev) before = [prev, prev.count - 1];
    }
    let after: [Segment, number] | null = i < seg.count ? [seg, i] : null;
    if (!after) {
      const next = this.segments[si + 1];
      if (next) after = [next, 0];
    }
    if (!before && !after) return null;
    if (!after || (before && at - (before[0].times[before[1]] ?? 0) <= (after[0].times[after[1]] ?? 0) - at)) {
      return before ? this.view(before[0], before[1]) : null;
    }
    return this.view(after[0], after[1]);
  }

  /** Calls `fn` for every tick with from <= at <= to, ascending. */
  forEach(from: number, to: number, fn: (t: TickView) => void): void {
    for (const seg of this.segments) {
      if (seg.count === 0 || seg.last < from) continue;
      if (seg.first > to) break;
      const rows = this.rows(seg);
      for (let i = seg.lowerBound(from); i < seg.count; i++) {
        const at = seg.times[i] ?? 0;
        if (at > to) break;
        fn(this.viewIn(seg, rows, i));
      }
    }
  }

  /**
   * Drops ticks older than `cutoff` (whole segments, or exactly when `exact`), keeping at least the
   * newest tick, and moves coverageStart up to the cutoff.
   */
  evict(cutoff: number, exact: boolean): void {
    if (!(cutoff > this.coverageStart)) return;
    const newest = this.newest;
    const keep = Math.min(cutoff, newest);
    this.coverageStart = Math.max(this.coverageStart, keep);
    while (this.segments.length > 0) {
      const seg = this.segments[0];
      if (!seg || seg.last >= keep) break;
      this.segments.shift();
      this.release(seg);
    }
    const first = this.segments[0];
    if (exact && first && first.first < keep) {
      const drop = first.lowerBound(keep);
      const rows = this.rows(first);
      const isLast = this.segments.length === 1;
      const kept = new Segment(Math.max(first.count - drop, isLast ? SEGMENT_TICKS : 1), Math.max(1, first.used - (first.ends[drop - 1] ?? 0)));
      for (let i = drop; i < first.count; i++) {
        const v = this.viewIn(first, rows, i);
        this.appendRaw(kept, v.at, v.st.id, v.row);
      }
      // Body references are kept per segment without tick positions: the kept part keeps them all
      // (they are released with it, at most SEGMENT_TICKS ticks later).
      recountStructs(kept);
      for (const [id, n] of first.bodyRefs) kept.bodyRefs.set(id, n);
      for (const id of kept.structRefs.keys()) this.ref(this.structures, id);
      for (const id of kept.bodyRefs.keys()) this.ref(this.bodies, id);
      this.segments[0] = kept;
      this.release(first);
      if (!isLast) this.seal(kept);
    }
  }

  byteSize(): number {
    let n = 0;
    for (const s of this.segments) n += s.byteSize();
    return n;
  }

  private segmentFor(at: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid];
      if (!s) break;
      if (s.first <= at) {
        found = s;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found ?? this.segments[0];
  }

  private insertAt(seg: Segment, pos: number, at: number, st: Structure, row: Uint8Array, bodies: ReadonlyMap<number, ViolationBody>): void {
    this.addRef(seg.structRefs, st.id, () => this.structures.set(st.id, { st, segments: 1 }), this.structures);
    for (const [id, body] of bodies) {
      this.addRef(seg.bodyRefs, id, () => this.bodies.set(id, { body, segments: 1 }), this.bodies);
    }
    if (pos === seg.count && seg.packed === null && seg.count < seg.times.length) {
      this.appendRaw(seg, at, st.id, row);
    } else {
      this.rebuildWith(seg, pos, at, st.id, row);
    }
  }

  private addRef<T extends { segments: number }>(refs: Map<number, number>, id: number, create: () => void, host: Map<number, T>): void {
    const n = refs.get(id);
    refs.set(id, (n ?? 0) + 1);
    if (n !== undefined) return;
    const h = host.get(id);
    if (h) h.segments++;
    else create();
  }

  /** Cuts the segment's newest row to its placement section: a newer tick is coming after it. */
  private cutNewest(seg: Segment): void {
    const i = seg.count - 1;
    if (seg.arena === null || i < 0) return;
    const start = i === 0 ? 0 : (seg.ends[i - 1] ?? 0);
    const id = seg.structs[i] ?? 0;
    const st = this.structures.get(id)?.st;
    if (!st) throw new Error(`live window: ${this.host} tick ${seg.times[i]} refers to structure ${id}, which is not loaded`);
    seg.used = start + placementEnd(st, seg.arena.subarray(start, seg.ends[i] ?? 0));
    seg.ends[i] = seg.used;
  }

  private appendRaw(seg: Segment, at: number, structId: number, row: Uint8Array): void {
    let arena = seg.arena;
    if (arena === null) throw new Error('live window: append to a sealed segment');
    if (seg.used + row.length > arena.length) {
      let size = arena.length * 2;
      while (size < seg.used + row.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(arena.subarray(0, seg.used));
      arena = next;
      seg.arena = next;
    }
    arena.set(row, seg.used);
    seg.used += row.length;
    seg.times[seg.count] = at;
    seg.structs[seg.count] = structId;
    seg.ends[seg.count] = seg.used;
    seg.count++;
  }

  /**
   * Out-of-order insert (an agent's backlog): rebuilds the segment with the tick at `pos`, and
   * splits it in two once it holds more than two segments' worth, so that later inserts stay cheap.
   */
  private rebuildWith(seg: Segment, pos: number, at: number, structId: number, row: Uint8Array): void {
    const rows = this.rows(seg);
    const n = seg.count + 1;
    const wasLast = seg === this.segments[this.segments.length - 1];
    const half = n > 2 * SEGMENT_TICKS ? n >> 1 : n;
    const first = new Segment(half, seg.used + row.length);
    const second = half < n ? new Segment(Math.max(n - half, wasLast ? SEGMENT_TICKS : 0), seg.used + row.length) : null;
    for (let i = 0, src = 0; i < n; i++) {
      const target = i < half ? first : (second ?? first);
      if (i === pos) {
        this.appendRaw(target, at, structId, row);
      } else {
        const r = rows.subarray(src === 0 ? 0 : (seg.ends[src - 1] ?? 0), seg.ends[src] ?? 0);
        this.appendRaw(target, seg.times[src] ?? 0, seg.structs[src] ?? 0, r);
        src++;
      }
    }
    this.owner.forget(seg);
    seg.times = first.times;
    seg.structs = first.structs;
    seg.ends = first.ends;
    seg.count = first.count;
    seg.used = first.used;
    seg.arena = first.arena;
    seg.packed = null;
    if (second) {
      // Both halves keep the segment's body references (released with them); structure references
      // are recounted from the ticks each half holds.
      const before = new Set(seg.structRefs.keys());
      recountStructs(seg);
      recountStructs(second);
      for (const [id, k] of seg.bodyRefs) second.bodyRefs.set(id, k);
      for (const id of second.structRefs.keys()) this.ref(this.structures, id);
      for (const id of before) {
        if (!seg.structRefs.has(id)) this.unref(this.structures, id);
      }
      for (const id of second.bodyRefs.keys()) this.ref(this.bodies, id);
      this.segments.splice(this.segments.indexOf(seg) + 1, 0, second);
      this.seal(seg);
      if (!wasLast) this.seal(second);
    } else if (!wasLast) {
      this.seal(seg);
    }
  }

  private ref<T extends { segments: number }>(host: Map<number, T>, id: number): void {
    const h = host.get(id);
    if (h) h.segments++;
  }

  private unref<T extends { segments: number }>(host: Map<number, T>, id: number): void {
    const h = host.get(id);
    if (h && --h.segments <= 0) host.delete(id);
  }

  private seal(seg: Segment): void {
    if (seg.packed !== null || seg.arena === null) return;
    const sealed = sealRows(seg.arena, seg.ends, seg.count, (i) => {
      const id = seg.structs[i] ?? 0;
      const st = this.structures.get(id)?.st;
      if (!st) throw new Error(`live window: ${this.host} segment refers to structure ${id}, which is not loaded`);
      return st;
    });
    seg.packed = sealed.packed;
    seg.ends = sealed.ends;
    seg.used = sealed.ends[seg.count - 1] ?? 0;
    seg.arena = null;
    if (seg.times.length !== seg.count) {
      seg.times = seg.times.slice(0, seg.count);
      seg.structs = seg.structs.slice(0, seg.count);
    }
  }

  private rows(seg: Segment): Uint8Array {
    if (seg.arena !== null) return seg.arena;
    return this.owner.inflated(seg);
  }

  private view(seg: Segment, i: number): TickView {
    return this.viewIn(seg, this.rows(seg), i);
  }

  private viewIn(seg: Segment, rows: Uint8Array, i: number): TickView {
    const id = seg.structs[i] ?? 0;
    const st = this.structures.get(id)?.st;
    if (!st) throw new Error(`live window: ${this.host} tick ${seg.times[i]} refers to structure ${id}, which is not loaded`);
    return {
      at: seg.times[i] ?? 0,
      st,
      row: rows.subarray(i === 0 ? 0 : (seg.ends[i - 1] ?? 0), seg.ends[i] ?? 0),
    };
  }

  private release(seg: Segment): void {
    this.owner.forget(seg);
    for (const id of seg.structRefs.keys()) this.unref(this.structures, id);
    for (const id of seg.bodyRefs.keys()) this.unref(this.bodies, id);
  }
}

function recountStructs(seg: Segment): void {
  seg.structRefs.clear();
  for (let i = 0; i < seg.count; i++) {
    const id = seg.structs[i] ?? 0;
    seg.structRefs.set(id, (seg.structRefs.get(id) ?? 0) + 1);
  }
}

/** All hosts' windows, and the cache of inflated sealed segments they share. */
export class LiveWindow {
  private readonly hosts = new Map<string, HostWindow>();
  private readonly cache = new Map<Segment, Uint8Array>();

  constructor(readonly windowMs: number) {}

  host(name: string): HostWindow | undefined {
    return this.hosts.get(name);
  }

  /** The host's window, created with the given coverage start when new. */
  hostOrCreate(name: string, coverageStart: number): HostWindow {
    let h = this.hosts.get(name);
    if (!h) {
      h = new HostWindow(name, coverageStart, this);
      this.hosts.set(name, h);
    }
    return h;
  }

  drop(name: string): void {
    this.hosts.delete(name);
  }

  /** Puts back a window taken out with drop() (a rebuild of it failed). */
  restore(hw: HostWindow): void {
    this.hosts.set(hw.host, hw);
  }

  all(): IterableIterator<HostWindow> {
    return this.hosts.values();
  }

  byteSize(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.byteSize();
    return n;
  }

  /** @internal Raw rows of a sealed segment. */
  inflated(seg: Segment): Uint8Array {
    const hit = this.cache.get(seg);
    if (hit) {
      this.cache.delete(seg);
      this.cache.set(seg, hit);
      return hit;
    }
    if (seg.packed === null) throw new Error('live window: segment has neither raw nor packed rows');
    const raw = unsealRows(seg.packed, seg.used);
    this.cache.set(seg, raw);
    if (this.cache.size > INFLATED_CACHE) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return raw;
  }

  /** @internal */
  forget(seg: Segment): void {
    this.cache.delete(seg);
  }
}
