// The store itself, the same over SQLite and PostgreSQL (backend.ts): ingest in one transaction,
// then the live window and the listeners; reads from the live window where it covers the asked
// time, from the database before that; per-minute residency written as minutes close; retention.
import { randomUUID } from 'node:crypto';
import type { Snapshot } from '../../model/snapshot';
import type { Backend, Queries, StoredTick } from './backend';
import { ByteWriter } from './byte-codec';
import { Catalog, TOUCH_MS, TxLog } from './catalog';
import { assembleHistory, compareViolations, MAX_COLUMNS, resolveViolations } from './history';
import { LiveWindow, type HostWindow, type TickView } from './live-window';
import { MinuteCloser, type DueMinute } from './minute-closer';
import { decodeNotice, encodeNotices } from './replica-notify';
import { MINUTE_MS, minuteOf, ResidencyMinute } from './residency';
import type { FrameStore, History, HostSummary, HostViolation } from './store';
import { StoreRequestError } from './store-errors';
import type { Structure, StructureBody } from './structure';
import type { Frame } from '../../wire/frame';
import { decodePlacement, decodeRow, decodeTick, encodeRow, isWholeRow, newPlacement, type Placement, type TickViolation } from './tick-codec';
import type { ViolationBody } from './violation-body';

export interface StoreSettings {
  readonly retainFullMs: number;
  readonly retainMinutesMs: number;
  readonly liveWindowMs: number;
  readonly onError: (err: Error) => void;
}

const META_FULL_CUTOFF = 'full_cutoff'; // epoch ms: full-resolution rows before it are pruned
const META_MINUTE_CUTOFF = 'minute_cutoff'; // epoch ms: residency before it is pruned
/** Prune re-verifies this much before the last verified minute (races between replicas), ms. */
const RECHECK_MS = 5 * MINUTE_MS;
/** Closed minutes written per ingest transaction, and per background flush (after FLUSH_DELAY_MS). */
const MINUTES_PER_INGEST = 8;
const MINUTES_PER_FLUSH = 16;
const FLUSH_DELAY_MS = 1000;
/** Frames per group commit (several requests in one transaction), at most; a larger request goes alone. */
const GROUP_FRAMES = 2000;

interface Stored {
  readonly f: Frame;
  readonly st: Structure;
  readonly row: Uint8Array;
  readonly bodies: ReadonlyMap<number, ViolationBody>;
}

export class FrameStoreImpl implements FrameStore {
  private readonly window: LiveWindow;
  private readonly catalog = new Catalog();
  private readonly listeners = new Set<(f: Frame) => void>();
  private readonly writer = new ByteWriter(8192);
  private readonly replica = randomUUID();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private fullCutoff = Number.NEGATIVE_INFINITY;
  private minuteCutoff = Number.NEGATIVE_INFINITY;
  /** Per host, the newest stored frame known here (epoch ms): minutes before its minute are closed. */
  private readonly newestKnown = new Map<string, number>();
  private readonly closer = new MinuteCloser();
  private flushTimer: NodeJS.Timeout | null = null;
  /** Ingests waiting for the next group commit, in arrival order. */
  private readonly waiting: { frames: readonly Frame[]; resolve: (fresh: Frame[]) => void; reject: (err: unknown) => void }[] = [];
  private groupQueued = false;

  private constructor(
    private readonly backend: Backend,
    private readonly settings: StoreSettings,
  ) {
    this.window = new LiveWindow(settings.liveWindowMs);
  }

  static async open(backend: Backend, settings: StoreSettings): Promise<FrameStoreImpl> {
    const store = new FrameStoreImpl(backend, settings);
    try {
      // Listen before loading: a frame stored meanwhile is then either loaded or announced.
      if (backend.listen) {
        await backend.listen({
          onNotification: (p) => store.onNotification(p),
          onReconnect: () => store.onReconnect(),
        });
      }
      await store.exclusive(() => store.loadWindow());
    } catch (err) {
      await backend.close().catch(() => undefined);
      throw wrap(err, 'store: opening failed');
    }
    return store;
  }

  // ---- ingest ----

  async ingest(frames: readonly Frame[]): Promise<void> {
    this.assertOpen();
    if (frames.length === 0) return;
    const fresh = await new Promise<Frame[]>((resolve, reject) => {
      this.waiting.push({ frames, resolve, reject });
      this.queueGroup();
    });
    this.emit(fresh);
  }

  /**
   * Group commit: ingests that arrive while a transaction runs go into the next one together (up
   * to GROUP_FRAMES frames). One commit per group instead of one per request: with many agents
   * posting at once, PostgreSQL's round trips are shared.
   */
  private queueGroup(): void {
    if (this.groupQueued || this.waiting.length === 0) return;
    this.groupQueued = true;
    // Not deferred to a later turn of the event loop to gather more: a request's frames would
    // then outlive a few young-generation collections, and the heap grew by ~190 MB in the fill
    // phase of bench:ingest. Requests group while a transaction is in flight (PostgreSQL waits on
    // the network; SQLite's statements are synchronous, so there it is mostly one per commit).
    void this.exclusive(() => this.ingestGroup());
  }

  private async ingestGroup(): Promise<void> {
    this.groupQueued = false;
    let n = 0;
    let take = 0;
    while (take < this.waiting.length && (take === 0 || n + (this.waiting[take]?.frames.length ?? 0) <= GROUP_FRAMES)) {
      n += this.waiting[take]?.frames.length ?? 0;
      take++;
    }
    const group = this.waiting.splice(0, take);
    this.queueGroup(); // the rest, after this one
    try {
      const fresh = new Set(await this.ingestLocked(group.flatMap((g) => g.frames)));
      // Each stored frame is announced once, by the first request that carried it.
      for (const g of group) g.resolve(g.frames.filter((f) => fresh.delete(f)));
    } catch (err) {
      const [only] = group;
      if (group.length === 1 && only) {
        only.reject(err);
        return;
      }
      // Nothing of the group is stored: each request again on its own, so that only the one
      // that fails is answered with the failure.
      for (const g of group) {
        try {
          g.resolve(await this.ingestLocked(g.frames));
        } catch (e) {
          g.reject(e);
        }
      }
    }
  }

  knownStructure(host: string, hash: string): StructureBody | undefined {
    return this.catalog.knownStructure(host, hash)?.body;
  }

  private async ingestLocked(frames: readonly Frame[]): Promise<Frame[]> {
    this.assertOpen();
    const byHost = new Map<string, Frame[]>();
    const seen = new Set<string>();
    for (const f of frames) {
      if (this.window.host(f.host)?.has(f.at)) continue;
      const key = `${f.at} ${f.host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let list = byHost.get(f.host);
      if (!list) byHost.set(f.host, (list = []));
      list.push(f);
    }
    if (byHost.size === 0) return [];
    const log = new TxLog();
    // Minutes that closed with earlier batches: their frames are all stored (and in the window).
    const due = this.closer.take(MINUTES_PER_INGEST);
    let result: { stored: Stored[]; newest: Map<string, number> };
    try {
      result = await this.backend.write(async (q) => {
        for (const d of due) await this.writeMinute(q, d);
        const stored: Stored[] = [];
        const newest = new Map<string, number>();
        const notices = new Map<string, number[]>();
        for (const [host, list] of byHost) {
          const h = await this.catalog.hostId(q, host, log);
          const prevNewest = this.newestKnown.get(host) ?? this.window.host(host)?.newest ?? (await q.newestAt(h.id)) ?? Number.NEGATIVE_INFINITY;
          const ticks: StoredTick[] = [];
          const pending: Stored[] = [];
          const late: TickView[] = [];
          for (const f of list) {
            // Older than every retention: nothing would keep it (prune already dropped its minute).
            if (f.at < this.minuteCutoff) continue;
            const st = await this.catalog.structureFor(q, h, f, log);
            const { ids, bodies } = await this.catalog.bodyIdsFor(q, h, f, log);
            const row = encodeRow(this.writer, st, f.tick, ids);
            if (f.at < this.fullCutoff) {
              late.push({ at: f.at, st, row });
            } else {
              ticks.push({ at: f.at, structureId: st.id, row });
              pending.push({ f, st, row, bodies });
            }
          }
          const inserted = await q.insertTicks(h.id, ticks);
          const ats: number[] = [];
          inserted.forEach((ok, i) => {
            const p = pending[i];
            if (ok && p) {
              stored.push(p);
              ats.push(p.f.at);
            }
          });
          newest.set(host, this.closer.stored(host, h.id, prevNewest, ats));
          await this.mergeLate(q, h.id, late);
          if (ats.length > 0) notices.set(host, ats);
        }
        for (const payload of encodeNotices(this.replica, notices)) await q.notify(payload);
        return { stored, newest };
      });
    } catch (err) {
      this.catalog.rollback(log);
      this.closer.requeue(due);
      throw wrap(err, `store: ingest of ${frames.length} frame(s) failed and stored nothing`);
    }
    for (const [host, at] of result.newest) if (Number.isFinite(at)) this.newestKnown.set(host, at);
    const firstAt = new Map<string, number>();
    for (const p of result.stored) firstAt.set(p.f.host, Math.min(firstAt.get(p.f.host) ?? Number.POSITIVE_INFINITY, p.f.at));
    for (const p of result.stored) {
      // A host new to the window is covered from its first frame stored here.
      const hw = this.window.hostOrCreate(p.f.host, firstAt.get(p.f.host) ?? p.f.at);
      hw.insert(p.f.at, p.st, p.row, p.bodies);
    }
    this.scheduleFlush();
    return result.stored.map((p) => p.f);
  }

  /**
   * Recomputes one closed minute's residency from its full-resolution ticks: from the live window
   * when it holds the whole minute and is the only writer (SQLite); else from the database, which
   * also has what other replicas stored.
   */
  private async writeMinute(q: Queries, d: DueMinute): Promise<void> {
    // Rows before the cutoff are pruned: the stored residency is all that is left of them.
    if (d.minute < this.fullCutoff) return;
    const m = new ResidencyMinute(d.minute);
    const acc = new PlacementScratch();
    const hw = this.window.host(d.host);
    if (this.backend.kind === 'sqlite' && hw && d.minute >= hw.coverageStart) {
      hw.forEach(d.minute, d.minute + MINUTE_MS - 1, (t) => {
        const { placement, violations } = acc.decode(t.st, t.row, t.at);
        m.addTick(t.st, placement, violations);
      });
    } else {
      const rows = await q.ticksInRange(d.hostId, d.minute, d.minute + MINUTE_MS - 1);
      const sts = await this.catalog.structures(
        q,
        rows.map((r) => r.structureId),
        (id) => hw?.structure(id),
      );
      for (const r of rows) {
        const st = required(sts.get(r.structureId), `structure ${r.structureId}`);
        const { placement, violations } = acc.decode(st, r.row, r.at);
        m.addTick(st, placement, violations);
      }
    }
    if (m.ticks === 0) return;
    await q.upsertResidency(d.hostId, { minute: d.minute, ticks: m.ticks, data: m.encode() });
  }

  /** Writes queued minutes a few at a time, in their own transactions, until none is left. */
  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.closer.size === 0 || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.closed) return;
      this.exclusive(() => this.writeDue(MINUTES_PER_FLUSH)).then(
        () => this.scheduleFlush(),
        (err: unknown) => {
          this.settings.onError(wrap(err, 'store: writing the residency of closed minutes failed (retrying)'));
          this.scheduleFlush();
        },
      );
    }, FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  /** Writes up to `n` queued minutes (all when n is Infinity) in one transaction each batch. */
  private async writeDue(n: number): Promise<void> {
    let left = n;
    while (left > 0 && this.closer.size > 0) {
      const due = this.closer.take(Math.min(left, MINUTES_PER_FLUSH));
      left -= due.length;
      try {
        await this.backend.write(async (q) => {
          for (const d of due) await this.writeMinute(q, d);
        });
      } catch (err) {
        this.closer.requeue(due);
        throw err;
      }
    }
  }

  /** Frames older than the full-resolution cutoff: counted into their minute's residency. */
  private async mergeLate(q: Queries, hostId: number, late: readonly TickView[]): Promise<void> {
    const byMinute = new Map<number, ResidencyMinute>();
    const acc = new PlacementScratch();
    for (const t of late) {
      const minute = minuteOf(t.at);
      let m = byMinute.get(minute);
      if (!m) byMinute.set(minute, (m = new ResidencyMinute(minute)));
      const { placement, violations } = acc.decode(t.st, t.row, t.at);
      m.addTick(t.st, placement, violations);
    }
    for (const [minute, add] of byMinute) {
      const [existing] = await q.residency(hostId, minute, minute);
      const m = existing ? ResidencyMinute.decode(minute, existing.ticks, existing.data) : new ResidencyMinute(minute);
      m.merge(add);
      await q.upsertResidency(hostId, { minute, ticks: m.ticks, data: m.encode() });
    }
  }

  // ---- reads ----

  async hosts(): Promise<HostSummary[]> {
    this.assertOpen();
    const out: HostSummary[] = [];
    const acc = new PlacementScratch();
    for (const hw of this.window.all()) {
      const v = hw.latest();
      if (!v) continue;
      const { violations } = acc.decode(v.st, v.row, v.at);
      out.push({ host: hw.host, lastSeen: v.at, vms: v.st.body.vms.length, vcpus: v.st.vcpuCount, violations: violations.length });
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  async latest(host: string): Promise<Snapshot | null> {
    this.assertOpen();
    const hw = this.window.host(host);
    const v = hw?.latest();
    if (!hw || !v) return null;
    return this.snapshotOf(hw, v);
  }

  /** A window tick as a snapshot: from memory when its row is whole (the newest segment), else from the database. */
  private async snapshotOf(hw: HostWindow, v: TickView): Promise<Snapshot> {
    let row = v.row;
    if (!isWholeRow(v.st, row)) {
      row = await this.backend.read(async (q) => {
        const hostId = this.catalog.knownHostId(hw.host) ?? (await q.hostId(hw.host));
        const [t] = hostId === null ? [] : await q.ticksAt(hostId, [v.at]);
        if (t === undefined) throw new Error(`store: tick ${v.at} of ${JSON.stringify(hw.host)} is in the live window but not in the database`);
        return t.row;
      });
    }
    return decodeTick(v.st, row, v.at, (id) => required(hw.body(id), `violation body ${id} of ${hw.host}`));
  }

  async nearest(host: string, at: number): Promise<Snapshot | null> {
    this.assertOpen();
    if (!Number.isFinite(at)) throw new StoreRequestError(`nearest: "at" must be epoch ms, got ${at}`);
    const hw = this.window.host(host);
    const near = hw?.nearest(at) ?? null;
    // A tick of a sealed segment has only its placement in memory: the database has it whole.
    const mem = near && isWholeRow(near.st, near.row) ? near : null;
    // A frame below the window's coverage could be nearer than the window's oldest.
    const memDistance = mem ? Math.abs(mem.at - at) : Number.POSITIVE_INFINITY;
    if (hw && mem && at >= hw.coverageStart + memDistance) {
      return decodeTick(mem.st, mem.row, mem.at, (id) => required(hw.body(id), `violation body ${id} of ${host}`));
    }
    return this.backend.read(async (q) => {
      const hostId = this.catalog.knownHostId(host) ?? (await q.hostId(host));
      let best: TickView | StoredTick | null = mem;
      if (hostId !== null) {
        for (const t of [await q.tickAtOrBefore(hostId, at), await q.tickAtOrAfter(hostId, at)]) {
          if (t && (best === null || Math.abs(t.at - at) < Math.abs(best.at - at) || (Math.abs(t.at - at) === Math.abs(best.at - at) && t.at < best.at))) best = t;
        }
      }
      if (best === null) return null;
      const st = 'st' in best ? best.st : required((await this.catalog.structures(q, [best.structureId], (id) => hw?.structure(id))).get(best.structureId), `structure ${best.structureId}`);
      const refs = new PlacementScratch().decode(st, best.row, best.at).violations.map((v) => v.bodyId);
      const bodies = await this.catalog.bodies(q, refs, (id) => hw?.body(id));
      return decodeTick(st, best.row, best.at, (id) => required(bodies.get(id), `violation body ${id}`));
    });
  }

  async history(host: string, from: number, to: number, stepMs?: number): Promise<History> {
    this.assertOpen();
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new StoreRequestError(`history: from and to must be epoch ms, got ${from} and ${to}`);
    if (from > to) throw new StoreRequestError(`history: from (${from}) is after to (${to})`);
    if (stepMs !== undefined && !(Number.isFinite(stepMs) && stepMs > 0)) throw new StoreRequestError(`history: stepMs must be a positive number of ms, got ${stepMs}`);
    const hw = this.window.host(host);
    const coverage = hw ? hw.coverageStart : Number.POSITIVE_INFINITY;
    return this.backend.read(async (q) => {
      let horizon = this.fullCutoff;
      if (minuteOf(from) < coverage) horizon = Math.max(horizon, metaNumber(await q.getMeta(META_FULL_CUTOFF)));
      // A step of a minute or more, or a window older than full retention, is answered from
      // per-minute residency, for whole minutes (wherever the data comes from, so that the answer
      // is the same from the live window and from the database).
      const residencyMode = (stepMs !== undefined && stepMs >= MINUTE_MS) || (from < coverage && from < horizon);
      const step = residencyMode ? Math.ceil((stepMs ?? MINUTE_MS) / MINUTE_MS) * MINUTE_MS : (stepMs ?? null);
      if (step !== null && (to - from) / step > MAX_COLUMNS) {
        throw new StoreRequestError(`history: ${Math.ceil((to - from) / step)} buckets of ${step} ms, more than ${MAX_COLUMNS}: ask for a larger stepMs`);
      }
      const first = residencyMode ? minuteOf(from) : from;
      const last = residencyMode ? minuteOf(to) + MINUTE_MS - 1 : to;
      const hostId = first < coverage ? (this.catalog.knownHostId(host) ?? (await q.hostId(host))) : null;
      let dbTicks: StoredTick[] = [];
      let minutes: ResidencyMinute[] = [];
      let memFrom = first;
      if (hostId !== null && residencyMode) {
        // Minutes that start before the window's coverage come from the residency table, except
        // the host's newest minute, still open (no residency yet): from its rows.
        const boundary = Math.ceil(coverage / MINUTE_MS) * MINUTE_MS;
        const newest = this.newestKnown.get(host) ?? hw?.newest ?? Number.NaN;
        const open = Number.isFinite(newest) && minuteOf(newest) >= horizon ? minuteOf(newest) : Number.POSITIVE_INFINITY;
        const lastClosed = Math.min(minuteOf(last), boundary - MINUTE_MS, open - MINUTE_MS);
        // Closed minutes still queued for their residency write: from their rows too.
        const pending = this.closer.pending(hostId);
        if (lastClosed >= first) {
          minutes = (await q.residency(hostId, first, lastClosed)).filter((r) => !pending.has(r.minute)).map((r) => ResidencyMinute.decode(r.minute, r.ticks, r.data));
        }
        for (const m of [...pending].sort((a, b) => a - b)) {
          if (m >= first && m <= lastClosed && m >= horizon) dbTicks.push(...(await q.ticksInRange(hostId, m, m + MINUTE_MS - 1)));
        }
        const openFrom = Math.max(first, open);
        const openTo = Math.min(last, boundary - 1);
        if (openFrom <= openTo) dbTicks.push(...(await q.ticksInRange(hostId, openFrom, openTo)));
        memFrom = Math.max(first, boundary);
      } else if (hostId !== null) {
        const limit = step === null ? MAX_COLUMNS + 1 : undefined;
        dbTicks = (await q.ticksInRange(hostId, first, Math.min(last, coverage), limit)).filter((t) => t.at < coverage);
        memFrom = Math.max(first, coverage);
      }
      const memTicks: TickView[] = [];
      if (hw && memFrom <= last) hw.forEach(memFrom, last, (t) => memTicks.push(t));
      if (step === null && dbTicks.length + memTicks.length > MAX_COLUMNS) {
        throw new StoreRequestError(`history: more than ${MAX_COLUMNS} ticks between ${from} and ${to} at full resolution: ask for a stepMs`);
      }
      const ids = new Set<number>(dbTicks.map((t) => t.structureId));
      for (const m of minutes) for (const id of m.structureIds()) ids.add(id);
      const sts = await this.catalog.structures(q, ids, (id) => hw?.structure(id));
      const ticks: TickView[] = dbTicks.map((t) => ({ at: t.at, st: required(sts.get(t.structureId), `structure ${t.structureId}`), row: t.row }));
      for (const t of memTicks) ticks.push(t);
      const { history, violationRefs } = assembleHistory(host, from, to, step, {
        ticks,
        minutes,
        structureOf: (id) => required(sts.get(id), `structure ${id}`),
      });
      const bodies = await this.catalog.bodies(q, violationRefs.keys(), (id) => hw?.body(id));
      return { ...history, violations: resolveViolations(violationRefs, (id) => required(bodies.get(id), `violation body ${id}`)) };
    });
  }

  async activeViolations(): Promise<HostViolation[]> {
    this.assertOpen();
    const out: HostViolation[] = [];
    for (const hw of this.window.all()) {
      const v = hw.latest();
      if (!v) continue;
      const snap = await this.snapshotOf(hw, v);
      for (const x of [...snap.violations].sort(compareViolations)) out.push({ ...x, host: hw.host });
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  onFrame(listener: (f: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(frames: readonly Frame[]): void {
    if (this.listeners.size === 0) return;
    for (const f of frames) {
      for (const l of this.listeners) {
        try {
          l(f);
        } catch (err) {
          this.settings.onError(wrap(err, `store: an onFrame listener threw for ${f.host} at ${f.at}`));
        }
      }
    }
  }

  // ---- retention ----

  async prune(now: number): Promise<void> {
    this.assertOpen();
    if (!Number.isFinite(now)) throw new StoreRequestError(`prune: now must be epoch ms, got ${now}`);
    await this.exclusive(async () => {
      await this.writeDue(Number.POSITIVE_INFINITY);
      const fullCutoff = minuteOf(now - this.settings.retainFullMs);
      const minuteCutoff = minuteOf(now - this.settings.retainMinutesMs);
      const closedBefore = minuteOf(now); // minutes before it ended by `now`
      const hosts = await this.backend.read((q) => q.hosts());
      for (const h of hosts) {
        await this.backend.write(async (q) => {
          // Write every closed minute whose residency is missing or short (a host that went
          // silent never closes its last minute by a newer frame; replicas may race), then drop
          // full-resolution rows past retention: their residency is written by then.
          const from = Math.max(0, h.checkedTo - RECHECK_MS);
          if (closedBefore > from) {
            const counts = await q.tickCountsByMinute(h.id, from, closedBefore);
            if (counts.size > 0) {
              const have = await q.residencyCounts(h.id, from, closedBefore);
              for (const [minute, n] of counts) if (have.get(minute) !== n) await this.writeMinute(q, { host: h.name, hostId: h.id, minute });
            }
            if (closedBefore > h.checkedTo) await q.setHostChecked(h.id, closedBefore);
          }
          await q.deleteTicksBefore(h.id, fullCutoff);
        });
      }
      await this.backend.write(async (q) => {
        await q.deleteResidencyBefore(minuteCutoff);
        await q.deleteUnusedBefore(minuteCutoff - 2 * TOUCH_MS);
        this.fullCutoff = Math.max(fullCutoff, metaNumber(await q.getMeta(META_FULL_CUTOFF)));
        this.minuteCutoff = Math.max(minuteCutoff, metaNumber(await q.getMeta(META_MINUTE_CUTOFF)));
        await q.setMeta(META_FULL_CUTOFF, String(this.fullCutoff));
        await q.setMeta(META_MINUTE_CUTOFF, String(this.minuteCutoff));
      });
      for (const hw of [...this.window.all()]) {
        if (hw.newest < this.fullCutoff) {
          this.window.drop(hw.host);
          this.newestKnown.delete(hw.host);
          const id = this.catalog.knownHostId(hw.host);
          if (id !== undefined) this.closer.forget(id);
        } else {
          hw.evict(now - this.settings.liveWindowMs, true);
        }
      }
    });
  }

  /** Writes the residency of every closed minute, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    let failure: unknown = null;
    try {
      await this.queue;
      await this.writeDue(Number.POSITIVE_INFINITY);
    } catch (err) {
      failure = err;
    }
    await this.backend.close();
    if (failure !== null) throw wrap(failure, 'store: closed, but writing the residency of closed minutes failed (prune() rewrites it later)');
  }

  // ---- loading and replicas ----

  /** The last liveWindowMs of every host, from the database. */
  private async loadWindow(): Promise<void> {
    await this.backend.read(async (q) => {
      this.fullCutoff = metaNumber(await q.getMeta(META_FULL_CUTOFF));
      this.minuteCutoff = metaNumber(await q.getMeta(META_MINUTE_CUTOFF));
      for (const h of await q.hosts()) {
        const newest = await q.newestAt(h.id);
        if (newest === null) continue;
        const from = newest - this.settings.liveWindowMs;
        await this.addToWindow(q, h.name, from, await q.ticksInRange(h.id, from, newest), false);
        this.newestKnown.set(h.name, Math.max(newest, this.newestKnown.get(h.name) ?? newest));
      }
    });
  }

  /**
   * Puts stored rows into the host's window (created with `coverage` when new). Returns, when
   * `decode`, the snapshots of the rows that were not in the window before.
   */
  private async addToWindow(q: Queries, host: string, coverage: number, rows: readonly StoredTick[], decode: boolean): Promise<Frame[]> {
    if (rows.length === 0) return [];
    const hw = this.window.hostOrCreate(host, coverage);
    const sts = await this.catalog.structures(
      q,
      rows.map((r) => r.structureId),
      (id) => hw.structure(id),
    );
    const acc = new PlacementScratch();
    const refs = rows.map((r) => acc.decode(required(sts.get(r.structureId), `structure ${r.structureId}`), r.row, r.at).violations.map((v) => v.bodyId));
    const bodies = await this.catalog.bodies(q, refs.flat(), (id) => hw.body(id));
    const out: Frame[] = [];
    rows.forEach((r, i) => {
      if (hw.has(r.at)) return;
      const st = required(sts.get(r.structureId), `structure ${r.structureId}`);
      const used = new Map<number, ViolationBody>();
      for (const id of refs[i] ?? []) used.set(id, required(bodies.get(id), `violation body ${id}`));
      hw.insert(r.at, st, r.row, used);
      if (decode) out.push({ host, at: r.at, body: st.body, tick: decodeRow(st, r.row, r.at, (id) => required(used.get(id), `violation body ${id}`)) });
    });
    return out;
  }

  private onNotification(payload: string): void {
    if (this.closed) return;
    let notice;
    try {
      notice = decodeNotice(payload);
    } catch (err) {
      this.settings.onError(wrap(err, 'store: ignoring a notification'));
      return;
    }
    if (notice.replica === this.replica) return;
    const { host, ats } = notice;
    this.exclusive(() => this.loadRemote(host, ats)).then(
      (fresh) => this.emit(fresh),
      (err: unknown) => this.settings.onError(wrap(err, `store: loading ${ats.length} frame(s) of ${JSON.stringify(host)} stored by another replica failed`)),
    );
  }

  private async loadRemote(host: string, ats: readonly number[]): Promise<Frame[]> {
    if (this.closed) return [];
    return this.backend.read(async (q) => {
      const hostId = this.catalog.knownHostId(host) ?? (await q.hostId(host));
      if (hostId === null) throw new Error(`host ${JSON.stringify(host)} is not in the database`);
      const rows = await q.ticksAt(hostId, ats);
      const hw = this.window.host(host);
      const coverage = hw ? hw.coverageStart : Math.min(...rows.map((r) => r.at));
      const fresh = await this.addToWindow(q, host, coverage, rows, true);
      for (const r of rows) this.newestKnown.set(host, Math.max(this.newestKnown.get(host) ?? r.at, r.at));
      return fresh;
    });
  }

  /** After the LISTEN connection came back: load what other replicas stored meanwhile. */
  private onReconnect(): void {
    if (this.closed) return;
    this.exclusive(() => this.catchUp()).then(
      (fresh) => this.emit(fresh),
      (err: unknown) => this.settings.onError(wrap(err, 'store: catching up with other replicas after a reconnect failed')),
    );
  }

  private async catchUp(): Promise<Frame[]> {
    if (this.closed) return [];
    return this.backend.read(async (q) => {
      const out: Frame[] = [];
      for (const h of await q.hosts()) {
        const newest = await q.newestAt(h.id);
        if (newest === null) continue;
        const hw = this.window.host(h.name);
        const have = hw ? hw.newest : Number.NEGATIVE_INFINITY;
        if (newest <= have) continue;
        const from = Math.max(have, newest - this.settings.liveWindowMs);
        const rows = await q.ticksInRange(h.id, from, newest);
        out.push(...(await this.addToWindow(q, h.name, from, rows, true)));
        this.newestKnown.set(h.name, Math.max(this.newestKnown.get(h.name) ?? newest, newest));
      }
      return out;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('store: used after close()');
  }
}

/** Reusable scratch for decoding the placement section of rows of any structure. */
class PlacementScratch {
  private placement: Placement = newPlacement(0);

  decode(st: Structure, row: Uint8Array, at: number): { placement: Placement; violations: TickViolation[] } {
    if (this.placement.pcpu.length < st.placedCount) this.placement = newPlacement(st.placedCount);
    const violations: TickViolation[] = [];
    decodePlacement(st, row, at, this.placement, violations);
    return { placement: this.placement, violations };
  }
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`store: ${what} is missing (inconsistent database or live window)`);
  return v;
}

function metaNumber(v: string | null): number {
  if (v === null) return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`store: meta value ${JSON.stringify(v)} is not a number (database edited by hand?)`);
  return n;
}

export function wrap(err: unknown, context: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${context}: ${message}`, { cause: err });
}
