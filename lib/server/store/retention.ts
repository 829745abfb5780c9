// What happens to a minute once it has closed, and to what is older than retention. A closed
// minute is compacted: its rows (and any chunk it already has, when a late frame re-opened it)
// become one chunk per structure (chunk-codec.ts) and its per-minute residency is written; then
// the rows go. prune() compacts what was missed (a host that went silent, another replica's
// frames, a data directory of the rows-only format), then drops ticks past the full-resolution
// retention and residency past the minute retention. Old data is never dropped while retained.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TOUCH_MS } from './catalog';
import type { ChunkPlacement, Queries, StoredChunk } from './backend';
import { encodeChunk } from './chunk-codec';
import type { DueMinute } from './minute-closer';
import { MINUTE_MS, minuteOf, ResidencyMinute } from './residency';
import { StoreRequestError } from './store-errors';
import { META_FULL_CUTOFF, META_MINUTE_CUTOFF, metaNumber, PlacementScratch, required, wrap, type StoreState } from './store-state';
import type { Structure } from './structure';
import { decodeRecord, type TickRecord } from './tick-codec';
import type { TickSource } from './tick-source';

/** Prune re-verifies this much before the last verified minute (races between replicas), ms. */
const RECHECK_MS = 5 * MINUTE_MS;
/** Closed minutes compacted per background flush (after FLUSH_DELAY_MS), and per host per prune. */
export const MINUTES_PER_FLUSH = 16;
const MINUTES_PER_PRUNE = 120;
const FLUSH_DELAY_MS = 1000;
/** CPU time one compaction transaction may take before it commits and lets requests in (ms). */
const FLUSH_BUDGET_MS = 10;

type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export class Retention {
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: StoreState,
    private readonly source: TickSource,
    private readonly exclusive: Exclusive,
  ) {}

  /**
   * Compacts one closed minute of one host from the database (which also has what other replicas
   * stored): its rows and chunks become one chunk per run of a structure, and its residency.
   */
  async compactMinute(q: Queries, d: DueMinute): Promise<void> {
    // Ticks before the cutoff are pruned: the stored residency is all that is left of them.
    if (d.minute < this.state.fullCutoff) return;
    const last = d.minute + MINUTE_MS - 1;
    const rows = await q.ticksInRange(d.hostId, d.minute, last);
    const old = (await q.chunksInRange(d.hostId, d.minute, last)).filter((c) => c.minute === d.minute);
    const hw = this.state.window.host(d.host);
    const sts = await this.state.catalog.structures(
      q,
      rows.map((r) => r.structureId),
      (id) => hw?.structure(id),
    );
    const byAt = new Map<number, { st: Structure; rec: TickRecord }>();
    for (const c of old) {
      const { st, records } = await this.source.open(q, d.host, c);
      for (const rec of records) byAt.set(rec.at, { st, rec });
    }
    for (const r of rows) {
      // A row whose time a chunk already has is a duplicate that raced its compaction: the chunk's stays.
      if (!byAt.has(r.at)) byAt.set(r.at, { st: required(sts.get(r.structureId), `structure ${r.structureId}`), rec: decodeRecord(required(sts.get(r.structureId), `structure ${r.structureId}`), r.row, r.at) });
    }
    const ticks = [...byAt.values()].sort((a, b) => a.rec.at - b.rec.at);
    const m = new ResidencyMinute(d.minute);
    const acc = new PlacementScratch();
    for (const t of ticks) {
      const { placement, violations } = acc.ofRecord(t.st, t.rec);
      m.addTick(t.st, placement, violations);
      m.addCounters(t.st, t.rec);
    }
    if (rows.length > 0 || old.length > 0) {
      // One chunk per run of one structure (a hot-plug in the middle of a minute makes two).
      const runs: { st: Structure; records: TickRecord[] }[] = [];
      for (const t of ticks) {
        const cur = runs[runs.length - 1];
        if (cur && cur.st.id === t.st.id) cur.records.push(t.rec);
        else runs.push({ st: t.st, records: [t.rec] });
      }
      await q.deleteChunks(
        d.hostId,
        old.map((c) => c.firstAt),
      );
      for (const run of runs) {
        const first = run.records[0]?.at ?? d.minute;
        const chunk: StoredChunk = {
          firstAt: first,
          lastAt: run.records[run.records.length - 1]?.at ?? first,
          minute: d.minute,
          structureId: run.st.id,
          ticks: run.records.length,
          data: encodeChunk(run.st, run.records),
        };
        await q.insertChunk(d.hostId, chunk, this.state.backend.kind === 'postgres' ? chunkPlacement(run.st, run.records) : null);
      }
      await q.deleteTicksAt(
        d.hostId,
        rows.map((r) => r.at),
      );
    }
    if (m.ticks === 0) return;
    await q.upsertResidency(d.hostId, { minute: d.minute, ticks: m.ticks, data: m.encode() });
  }

  /** Compacts queued minutes a few at a time, in their own transactions, until none is left. */
  scheduleFlush(): void {
    if (this.flushTimer !== null || this.state.closer.size === 0 || this.state.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.state.closed) return;
      this.exclusive(() => this.writeDue(MINUTES_PER_FLUSH)).then(
        () => this.scheduleFlush(),
        (err: unknown) => {
          this.state.settings.onError(wrap(err, 'store: compacting closed minutes failed (retrying)'));
          this.scheduleFlush();
        },
      );
    }, FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  stop(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /**
   * Compacts queued minutes, oldest first, inside the transaction of `q`: at least one, then more
   * while fewer than `max` are done and less than `budgetMs` has passed (a minute takes ms of
   * CPU, and reads wait meanwhile). Each one taken is pushed onto `taken`, for the caller's
   * closer.done() after the commit or closer.requeue() after a rollback.
   */
  async compactDue(q: Queries, max: number, budgetMs: number, taken: DueMinute[]): Promise<void> {
    const t0 = performance.now();
    for (let n = 0; n < max && (n === 0 || performance.now() - t0 < budgetMs); n++) {
      const [d] = this.state.closer.take(1);
      if (d === undefined) return;
      taken.push(d);
      await this.compactMinute(q, d);
    }
  }

  /**
   * Compacts up to `n` queued minutes (all when n is Infinity), a batch per transaction of at most
   * FLUSH_BUDGET_MS, with a turn of the event loop between batches for the requests waiting.
   */
  async writeDue(n: number): Promise<void> {
    let left = n;
    while (left > 0 && this.state.closer.size > 0) {
      const due: DueMinute[] = [];
      try {
        await this.state.backend.write((q) => this.compactDue(q, Math.min(left, MINUTES_PER_FLUSH), FLUSH_BUDGET_MS, due));
        this.state.closer.done(due);
      } catch (err) {
        this.state.closer.requeue(due);
        throw err;
      }
      left -= due.length;
      if (left > 0 && this.state.closer.size > 0) await nextTurn();
    }
  }

  /** Call inside `exclusive`. */
  async prune(now: number): Promise<void> {
    if (!Number.isFinite(now)) throw new StoreRequestError(`prune: now must be epoch ms, got ${now}`);
    const { state } = this;
    await this.writeDue(Number.POSITIVE_INFINITY);
    const fullCutoff = minuteOf(now - state.settings.retainFullMs);
    const minuteCutoff = minuteOf(now - state.settings.retainMinutesMs);
    const closedBefore = minuteOf(now); // minutes before it ended by `now`
    const hosts = await state.backend.read((q) => q.hosts());
    for (const h of hosts) {
      await state.backend.write(async (q) => {
        // Rows of closed minutes (not compacted: a host that went silent never closes its last
        // minute by a newer frame; another replica's; a rows-only data directory), a bounded
        // number per prune, oldest first; then every recent minute whose residency is missing or
        // short (replicas may race). Only then are ticks past retention dropped.
        const open = minuteOf(state.newestKnown.get(h.name) ?? Number.NEGATIVE_INFINITY);
        const rowMinutes = [...(await q.tickCountsByMinute(h.id, Math.max(0, fullCutoff), closedBefore)).keys()].sort((a, b) => a - b);
        const redo = new Set<number>(rowMinutes.filter((m) => m !== open || m < closedBefore - 2 * MINUTE_MS).slice(0, MINUTES_PER_PRUNE));
        const from = Math.max(0, h.checkedTo - RECHECK_MS);
        if (closedBefore > from) {
          const chunked = await q.chunkCountsByMinute(h.id, from, closedBefore);
          const rows = await q.tickCountsByMinute(h.id, from, closedBefore);
          const have = await q.residencyCounts(h.id, from, closedBefore);
          for (const minute of new Set([...chunked.keys(), ...rows.keys()])) {
            if (have.get(minute) !== (chunked.get(minute) ?? 0) + (rows.get(minute) ?? 0)) redo.add(minute);
          }
        }
        for (const minute of [...redo].sort((a, b) => a - b)) await this.compactMinute(q, { host: h.name, hostId: h.id, minute });
        if (closedBefore > h.checkedTo && closedBefore > from) await q.setHostChecked(h.id, closedBefore);
        await q.deleteTicksBefore(h.id, fullCutoff);
        await q.deleteChunksBefore(h.id, fullCutoff);
      });
    }
    await state.backend.write(async (q) => {
      await q.deleteResidencyBefore(minuteCutoff);
      await q.deleteUnusedBefore(minuteCutoff - 2 * TOUCH_MS);
      state.fullCutoff = Math.max(fullCutoff, metaNumber(await q.getMeta(META_FULL_CUTOFF)));
      state.minuteCutoff = Math.max(minuteCutoff, metaNumber(await q.getMeta(META_MINUTE_CUTOFF)));
      await q.setMeta(META_FULL_CUTOFF, String(state.fullCutoff));
      await q.setMeta(META_MINUTE_CUTOFF, String(state.minuteCutoff));
    });
    for (const hw of [...state.window.all()]) {
      if (hw.newest < state.fullCutoff) {
        state.window.drop(hw.host);
        state.newestKnown.delete(hw.host);
        const id = state.catalog.knownHostId(hw.host);
        if (id !== undefined) state.closer.forget(id);
      } else {
        hw.evict(now - state.settings.liveWindowMs, true);
      }
    }
  }
}

/** PostgreSQL: each vCPU's pCPU per tick, for the operators' view (docs/api.md). */
function chunkPlacement(st: Structure, records: readonly TickRecord[]): ChunkPlacement {
  const vcpus: { vm: string; pid: number; vcpu: number; tid: number; pcpus: number[] }[] = [];
  let e = 0;
  for (const vm of st.body.vms) {
    for (const v of vm.vcpus) {
      const k = e++;
      const thread = st.index.vcpuThread[k] ?? -1;
      const pcpus = records.map((r) => r.vcpus.find((x) => x[0] === k)?.[1] ?? (thread >= 0 ? (r.pcpu[thread] ?? 0) : 0));
      vcpus.push({ vm: vm.name, pid: vm.pid, vcpu: v.index, tid: v.tid, pcpus });
    }
  }
  return { ats: records.map((r) => r.at), vcpus };
}

export { wrap };
