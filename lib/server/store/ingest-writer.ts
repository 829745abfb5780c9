// The ingest transaction: frames (lib/wire/frame.ts) of any hosts become rows (durable at once),
// their structures and violation bodies stored ids; a frame whose host and time are already
// stored (in a row or in a chunk) is a duplicate and dropped. Minutes that closed with earlier
// batches are compacted a few at a time in the same transaction (retention.ts); frames older than
// the full-resolution retention only count in their minute's residency. After the commit the
// stored frames go into the live window.
import type { Frame } from '../../wire/frame';
import type { HostTick, Queries } from './backend';
import { TxLog } from './catalog';
import type { TickView } from './live-window';
import type { DueMinute } from './minute-closer';
import { encodeNotices } from './replica-notify';
import { minuteOf, ResidencyMinute } from './residency';
import type { Retention } from './retention';
import { PlacementScratch, wrap, type StoreState } from './store-state';
import type { Structure } from './structure';
import { decodeRecord, encodeRow } from './tick-codec';
import type { TickSource } from './tick-source';
import type { ViolationBody } from './violation-body';

/** Closed minutes compacted per ingest transaction, at most, and within this time (ms; at least one). */
const MINUTES_PER_INGEST = 8;
const COMPACT_BUDGET_MS = 4;

interface Stored {
  readonly f: Frame;
  readonly st: Structure;
  readonly row: Uint8Array;
  readonly bodies: ReadonlyMap<number, ViolationBody>;
}

export class IngestWriter {
  constructor(
    private readonly state: StoreState,
    private readonly source: TickSource,
    private readonly retention: Retention,
    /** This replica's id in NOTIFY payloads (its own are ignored). */
    private readonly replica: string,
  ) {}

  /** Stores `frames` in one transaction; returns those that were new, in order. */
  async write(frames: readonly Frame[]): Promise<Frame[]> {
    const { state } = this;
    const byHost = new Map<string, Frame[]>();
    const seen = new Set<string>();
    for (const f of frames) {
      if (state.window.host(f.host)?.has(f.at)) continue;
      const key = `${f.at} ${f.host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let list = byHost.get(f.host);
      if (!list) byHost.set(f.host, (list = []));
      list.push(f);
    }
    if (byHost.size === 0) return [];
    const log = new TxLog();
    // Only PostgreSQL has other replicas to tell (SQLite is one process per file).
    const notify = state.backend.kind === 'postgres';
    // Minutes that closed with earlier batches (their frames are all stored), a few.
    const due: DueMinute[] = [];
    let result: { stored: Stored[]; newest: Map<string, number> };
    try {
      result = await state.backend.write(async (q) => {
        await this.retention.compactDue(q, MINUTES_PER_INGEST, COMPACT_BUDGET_MS, due);
        const stored: Stored[] = [];
        const newest = new Map<string, number>();
        const notices = new Map<string, number[]>();
        // Every host's rows first, then one insert for all of them (one statement on PostgreSQL).
        const hosts: { host: string; id: number; prevNewest: number; from: number; late: TickView[] }[] = [];
        const ticks: HostTick[] = [];
        const pending: Stored[] = [];
        for (const [host, list] of byHost) {
          const h = await state.catalog.hostId(q, host, log);
          const hw = state.window.host(host);
          const prevNewest = state.newestKnown.get(host) ?? hw?.newest ?? (await q.newestAt(h.id)) ?? Number.NEGATIVE_INFINITY;
          // Frames of minutes that may be compacted already: a row would not see a duplicate there.
          const open = minuteOf(prevNewest);
          const old = list.filter((f) => minuteOf(f.at) < open && !(hw !== undefined && f.at >= hw.coverageStart));
          const chunked = old.length > 0 ? await this.source.chunkedTimes(q, h.id, Math.min(...old.map((f) => f.at)), Math.max(...old.map((f) => f.at))) : null;
          const late: TickView[] = [];
          hosts.push({ host, id: h.id, prevNewest, from: ticks.length, late });
          for (const f of list) {
            // Older than every retention: nothing would keep it (prune already dropped its minute).
            if (f.at < state.minuteCutoff || chunked?.has(f.at)) continue;
            const st = await state.catalog.structureFor(q, h, f, log);
            const { ids, bodies } = await state.catalog.bodyIdsFor(q, h, f, log);
            const row = encodeRow(state.writer, st, f.tick, ids);
            if (f.at < state.fullCutoff) {
              late.push({ at: f.at, st, row });
            } else {
              ticks.push({ hostId: h.id, at: f.at, structureId: st.id, row });
              pending.push({ f, st, row, bodies });
            }
          }
        }
        const inserted = await q.insertTicks(ticks);
        hosts.forEach((h, k) => {
          const to = hosts[k + 1]?.from ?? ticks.length;
          const ats: number[] = [];
          for (let i = h.from; i < to; i++) {
            const p = pending[i];
            if (inserted[i] === true && p) {
              stored.push(p);
              ats.push(p.f.at);
            }
          }
          newest.set(h.host, state.closer.stored(h.host, h.id, h.prevNewest, ats));
          if (ats.length > 0 && notify) notices.set(h.host, ats);
        });
        for (const h of hosts) if (h.late.length > 0) await mergeLate(q, h.id, h.late);
        await q.notify(encodeNotices(this.replica, notices));
        return { stored, newest };
      });
    } catch (err) {
      state.catalog.rollback(log);
      state.closer.requeue(due);
      throw wrap(err, `store: ingest of ${frames.length} frame(s) failed and stored nothing`);
    }
    state.closer.done(due);
    for (const [host, at] of result.newest) if (Number.isFinite(at)) state.newestKnown.set(host, at);
    const firstAt = new Map<string, number>();
    for (const p of result.stored) firstAt.set(p.f.host, Math.min(firstAt.get(p.f.host) ?? Number.POSITIVE_INFINITY, p.f.at));
    for (const p of result.stored) {
      // A host new to the window is covered from its first frame stored here.
      const hw = state.window.hostOrCreate(p.f.host, firstAt.get(p.f.host) ?? p.f.at);
      hw.insert(p.f.at, p.st, p.row, p.bodies);
    }
    this.retention.scheduleFlush();
    return result.stored.map((p) => p.f);
  }
}

/** Frames older than the full-resolution cutoff: counted into their minute's residency. */
async function mergeLate(q: Queries, hostId: number, late: readonly TickView[]): Promise<void> {
  const byMinute = new Map<number, ResidencyMinute>();
  const acc = new PlacementScratch();
  for (const t of late) {
    const minute = minuteOf(t.at);
    let m = byMinute.get(minute);
    if (!m) byMinute.set(minute, (m = new ResidencyMinute(minute)));
    const { placement, violations } = acc.decode(t.st, t.row, t.at);
    m.addTick(t.st, placement, violations);
    m.addCounters(t.st, decodeRecord(t.st, t.row, t.at));
  }
  for (const [minute, add] of byMinute) {
    const [existing] = await q.residency(hostId, minute, minute);
    const m = existing ? ResidencyMinute.decode(minute, existing.ticks, existing.data) : new ResidencyMinute(minute);
    m.merge(add);
    await q.upsertResidency(hostId, { minute, ticks: m.ticks, data: m.encode() });
  }
}
