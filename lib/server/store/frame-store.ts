// The store itself, the same over SQLite and PostgreSQL (backend.ts), as a coordinator of its
// parts: ingest-writer.ts (the ingest transaction), retention.ts (compaction of closed minutes
// into chunks, residency, prune), replica-sync.ts (the live window from the database, other
// replicas' frames), history-planner.ts (where an answer comes from) and tick-source.ts (rows and
// chunks as one list). Here: group commit, the reads, the listeners. Every database transaction
// runs one at a time (`exclusive`).
import { randomUUID } from 'node:crypto';
import type { Snapshot } from '../../model/snapshot';
import type { Frame } from '../../wire/frame';
import type { Backend, StoredTick } from './backend';
import { compareViolations } from '../../model/violations';
import { assembleHistory, MAX_COLUMNS, resolveViolations } from './history';
import { needsHorizon, planHistory } from './history-planner';
import { IngestWriter } from './ingest-writer';
import type { HostWindow, TickView } from './live-window';
import { ReplicaSync } from './replica-sync';
import { minuteOf, ResidencyMinute } from './residency';
import { Retention } from './retention';
import type { History } from '../../api/history';
import type { HostSummary, HostViolation } from '../../api/hosts';
import type { FrameStore, HistoryOptions } from './store';
import { StoreRequestError } from './store-errors';
import { META_FULL_CUTOFF, metaNumber, PlacementScratch, required, StoreState, wrap, type StoreSettings } from './store-state';
import type { StructureBody } from './structure';
import { decodeTick, isWholeRow } from './tick-codec';
import { TickSource } from './tick-source';

export type { StoreSettings };
export { wrap };

/** Frames per group commit (several requests in one transaction), at most; a larger request goes alone. */
const GROUP_FRAMES = 2000;
/** A request of fewer frames than this waits for the end of the turn, for others to share its commit. */
const GATHER_BELOW_FRAMES = 10;

export class FrameStoreImpl implements FrameStore {
  private readonly state: StoreState;
  private readonly source: TickSource;
  private readonly retention: Retention;
  private readonly writer: IngestWriter;
  private readonly sync: ReplicaSync;
  private readonly listeners = new Set<(f: Frame) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Ingests waiting for the next group commit, in arrival order. */
  private readonly waiting: { frames: readonly Frame[]; resolve: (fresh: Frame[]) => void; reject: (err: unknown) => void }[] = [];
  private groupQueued = false;
  /** Settles when every host's live window has been filled from the database after open. */
  windowsFilled: Promise<void> = Promise.resolve();
  /** A group waiting for the end of this turn of the event loop (queueGroup), until it is queued. */
  private gathering: Promise<void> | null = null;

  private constructor(
    private readonly backend: Backend,
    settings: StoreSettings,
  ) {
    const replica = randomUUID();
    const exclusive = <T>(fn: () => Promise<T>): Promise<T> => this.exclusive(fn);
    this.state = new StoreState(backend, settings);
    this.source = new TickSource(this.state);
    this.retention = new Retention(this.state, this.source, exclusive);
    this.writer = new IngestWriter(this.state, this.source, this.retention, replica);
    this.sync = new ReplicaSync(this.state, this.source, replica, exclusive, (frames) => this.emit(frames));
  }

  static async open(backend: Backend, settings: StoreSettings): Promise<FrameStoreImpl> {
    const store = new FrameStoreImpl(backend, settings);
    try {
      // Listen before loading: a frame stored meanwhile is then either loaded or announced.
      if (backend.listen) {
        await backend.listen({
          onNotification: (p) => store.sync.onNotification(p),
          onReconnect: () => store.sync.onReconnect(),
        });
      }
      await store.exclusive(() => store.sync.loadWindow());
    } catch (err) {
      await backend.close().catch(() => undefined);
      throw wrap(err, 'store: opening failed');
    }
    // The rest of each host's live window, after the store answers (time to ready does not grow
    // with the fleet times the window).
    store.windowsFilled = store.sync.fillWindows();
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
    // Requests group while a transaction is in flight (PostgreSQL waits on the network). SQLite's
    // statements are synchronous, so there a request of a few frames (an agent's push) waits for
    // the end of this turn of the event loop, and the pushes that arrived in the same turn share
    // its commit: a commit and a transaction's bookkeeping per push were most of what a push of
    // one frame cost. Larger requests are not deferred: their frames would then outlive a few
    // young-generation collections, and the heap grew by ~190 MB in the fill phase of
    // bench:ingest (batches of 100) when every group waited a turn.
    if ((this.waiting[0]?.frames.length ?? 0) < GATHER_BELOW_FRAMES) {
      this.gathering = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.gathering = null;
          void this.exclusive(() => this.ingestGroup());
          resolve();
        }),
      );
      return;
    }
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
      this.assertOpen();
      const fresh = new Set(await this.writer.write(group.flatMap((g) => g.frames)));
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
          g.resolve(await this.writer.write(g.frames));
        } catch (e) {
          g.reject(e);
        }
      }
    }
  }

  knownStructure(host: string, hash: string): StructureBody | undefined {
    return this.state.catalog.knownStructure(host, hash)?.body;
  }

  // ---- reads ----

  async hosts(): Promise<HostSummary[]> {
    this.assertOpen();
    const out: HostSummary[] = [];
    const acc = new PlacementScratch();
    for (const hw of this.state.window.all()) {
      const v = hw.latest();
      if (!v) continue;
      const { violations } = acc.decode(v.st, v.row, v.at);
      out.push({ host: hw.host, lastSeen: v.at, vms: v.st.body.vms.length, vcpus: v.st.vcpuCount, violations: violations.length });
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  async latest(host: string): Promise<Snapshot | null> {
    this.assertOpen();
    const hw = this.state.window.host(host);
    const v = hw?.latest();
    if (!hw || !v) return null;
    return this.snapshotOf(hw, v);
  }

  /** A window tick as a snapshot: from memory when its row is whole (the newest segment), else from the database. */
  private async snapshotOf(hw: HostWindow, v: TickView): Promise<Snapshot> {
    let row = v.row;
    if (!isWholeRow(v.st, row)) {
      row = await this.backend.read(async (q) => {
        const hostId = this.state.catalog.knownHostId(hw.host) ?? (await q.hostId(hw.host));
        const [t] = hostId === null ? [] : await this.source.at(q, hostId, hw.host, [v.at]);
        if (t === undefined) throw new Error(`store: tick ${v.at} of ${JSON.stringify(hw.host)} is in the live window but not in the database`);
        return t.row;
      });
    }
    return decodeTick(v.st, row, v.at, (id) => required(hw.body(id), `violation body ${id} of ${hw.host}`));
  }

  async nearest(host: string, at: number): Promise<Snapshot | null> {
    this.assertOpen();
    if (!Number.isFinite(at)) throw new StoreRequestError(`nearest: "at" must be epoch ms, got ${at}`);
    const { catalog } = this.state;
    const hw = this.state.window.host(host);
    const near = hw?.nearest(at) ?? null;
    // A tick of a sealed segment has only its placement in memory: the database has it whole.
    const mem = near && isWholeRow(near.st, near.row) ? near : null;
    // A frame below the window's coverage could be nearer than the window's oldest.
    const memDistance = mem ? Math.abs(mem.at - at) : Number.POSITIVE_INFINITY;
    if (hw && mem && at >= hw.coverageStart + memDistance) {
      return decodeTick(mem.st, mem.row, mem.at, (id) => required(hw.body(id), `violation body ${id} of ${host}`));
    }
    return this.backend.read(async (q) => {
      const hostId = catalog.knownHostId(host) ?? (await q.hostId(host));
      let best: TickView | StoredTick | null = mem;
      if (hostId !== null) {
        for (const t of [await this.source.atOrBefore(q, hostId, host, at), await this.source.atOrAfter(q, hostId, host, at)]) {
          if (t && (best === null || Math.abs(t.at - at) < Math.abs(best.at - at) || (Math.abs(t.at - at) === Math.abs(best.at - at) && t.at < best.at))) best = t;
        }
      }
      if (best === null) return null;
      const st = 'st' in best ? best.st : required((await catalog.structures(q, [best.structureId], (id) => hw?.structure(id))).get(best.structureId), `structure ${best.structureId}`);
      const refs = new PlacementScratch().decode(st, best.row, best.at).violations.map((v) => v.bodyId);
      const bodies = await catalog.bodies(q, refs, (id) => hw?.body(id));
      return decodeTick(st, best.row, best.at, (id) => required(bodies.get(id), `violation body ${id}`));
    });
  }

  async history(host: string, from: number, to: number, stepMs?: number, opts: HistoryOptions = {}): Promise<History> {
    this.assertOpen();
    const { state } = this;
    const ask = { from, to, ...(stepMs !== undefined ? { stepMs } : {}) };
    const counters = opts.counters === true;
    // The window keeps only the placement of most ticks: counters come from the database alone.
    const hw = counters ? undefined : state.window.host(host);
    const known = state.window.host(host);
    const coverage = hw ? hw.coverageStart : Number.POSITIVE_INFINITY;
    planHistory(ask, { coverage, horizon: state.fullCutoff, newest: Number.NaN, pending: new Set(), inDatabase: false }); // a bad ask fails before any read
    return this.backend.read(async (q) => {
      const horizon = needsHorizon(ask, coverage) ? Math.max(state.fullCutoff, metaNumber(await q.getMeta(META_FULL_CUTOFF))) : state.fullCutoff;
      const hostId = minuteOf(from) < coverage ? (state.catalog.knownHostId(host) ?? (await q.hostId(host))) : null;
      const plan = planHistory(ask, {
        coverage,
        horizon,
        newest: state.newestKnown.get(host) ?? known?.newest ?? Number.NaN,
        pending: hostId === null ? new Set() : state.closer.pending(hostId),
        inDatabase: hostId !== null,
      });
      let dbTicks: StoredTick[] = [];
      let minutes: ResidencyMinute[] = [];
      if (hostId !== null) {
        if (plan.residency) {
          const { from: a, to: b, skip } = plan.residency;
          minutes = (await q.residency(hostId, a, b)).filter((r) => !skip.has(r.minute)).map((r) => ResidencyMinute.decode(r.minute, r.ticks, r.data));
        }
        for (const r of plan.ranges) dbTicks.push(...(await this.source.inRange(q, hostId, host, r.from, r.to, r.limit)));
        dbTicks = dbTicks.filter((t) => t.at < plan.dbBefore);
      }
      const memTicks: TickView[] = [];
      if (hw && plan.memFrom <= plan.last) hw.forEach(plan.memFrom, plan.last, (t) => memTicks.push(t));
      if (plan.step === null && dbTicks.length + memTicks.length > MAX_COLUMNS) {
        throw new StoreRequestError(`history: more than ${MAX_COLUMNS} ticks between ${from} and ${to} at full resolution: ask for a stepMs`);
      }
      const ids = new Set<number>(dbTicks.map((t) => t.structureId));
      for (const m of minutes) for (const id of m.structureIds()) ids.add(id);
      const sts = await state.catalog.structures(q, ids, (id) => known?.structure(id));
      const ticks: TickView[] = dbTicks.map((t) => ({ at: t.at, st: required(sts.get(t.structureId), `structure ${t.structureId}`), row: t.row }));
      for (const t of memTicks) ticks.push(t);
      const { history, violationRefs } = assembleHistory(host, from, to, plan.step, {
        ticks,
        minutes,
        structureOf: (id) => required(sts.get(id), `structure ${id}`),
        counters,
      });
      const bodies = await state.catalog.bodies(q, violationRefs.keys(), (id) => known?.body(id));
      return { ...history, violations: resolveViolations(violationRefs, (id) => required(bodies.get(id), `violation body ${id}`)) };
    });
  }

  async activeViolations(): Promise<HostViolation[]> {
    this.assertOpen();
    const out: HostViolation[] = [];
    for (const hw of this.state.window.all()) {
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
          this.state.settings.onError(wrap(err, `store: an onFrame listener threw for ${f.host} at ${f.at}`));
        }
      }
    }
  }

  // ---- retention ----

  async prune(now: number): Promise<void> {
    this.assertOpen();
    await this.exclusive(() => this.retention.prune(now));
  }

  /** Compacts every closed minute, then closes the database. */
  async close(): Promise<void> {
    if (this.state.closed) return;
    this.state.closed = true;
    this.retention.stop();
    let failure: unknown = null;
    try {
      await this.gathering;
      await this.queue;
      await this.retention.writeDue(Number.POSITIVE_INFINITY);
    } catch (err) {
      failure = err;
    }
    await this.backend.close();
    if (failure !== null) throw wrap(failure, 'store: closed, but compacting closed minutes failed (prune() does it later)');
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.state.closed) throw new Error('store: used after close()');
  }
}
