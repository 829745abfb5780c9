// The live window from the database: at start (the last liveWindowMs of every host), and, on
// PostgreSQL, the frames other replicas store: each NOTIFY names them (replica-notify.ts), and
// after the LISTEN connection drops and comes back, everything newer than the window is loaded.
// Loaded frames are announced to the store's listeners like ingested ones.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Frame } from '../../wire/frame';
import type { Queries, StoredTick } from './backend';
import { decodeNotice } from './replica-notify';
import { META_FULL_CUTOFF, META_MINUTE_CUTOFF, metaNumber, PlacementScratch, required, wrap, type StoreState } from './store-state';
import { decodeRow } from './tick-codec';
import type { TickSource } from './tick-source';
import type { ViolationBody } from './violation-body';

/** fillWindows() reads a host's window a minute (one chunk) at a time, with a turn of the event loop between. */
const FILL_SLICE_MS = 60_000;

type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export class ReplicaSync {
  constructor(
    private readonly state: StoreState,
    private readonly source: TickSource,
    private readonly replica: string,
    private readonly exclusive: Exclusive,
    private readonly emit: (frames: readonly Frame[]) => void,
  ) {}

  /**
   * What the store needs before it answers: the retention cutoffs, and every host's newest tick
   * (its window starts there, so hosts(), latest() and the fleet are whole at once). The rest of
   * each window comes later, in fillWindows(); until then reads before a window's start go to the
   * database, as they do for anything older than the live window.
   */
  async loadWindow(): Promise<void> {
    const { state } = this;
    await state.backend.read(async (q) => {
      state.fullCutoff = metaNumber(await q.getMeta(META_FULL_CUTOFF));
      state.minuteCutoff = metaNumber(await q.getMeta(META_MINUTE_CUTOFF));
      for (const h of await q.hosts()) {
        // A turn of the event loop per host: while many hosts load, the server still answers
        // (503 "starting", scripts/start.mjs) instead of holding every request.
        await nextTurn();
        const newest = await q.newestAt(h.id);
        if (newest === null) continue;
        await this.addToWindow(q, h.name, newest, await this.source.at(q, h.id, h.name, [newest]), false);
        state.noteNewest(h.name, newest);
      }
    });
  }

  /**
   * After open: each host's window filled back to liveWindowMs before its newest tick, one host at
   * a time, each in its own exclusive turn (ingest goes on between hosts). A host's window is
   * rebuilt from the database (which has every frame ingested meanwhile too) and swapped in whole:
   * a read that holds the narrow window finishes with it, correctly.
   */
  async fillWindows(): Promise<void> {
    const { state } = this;
    const names = [...state.window.all()].map((hw) => hw.host);
    for (const name of names) {
      await nextTurn();
      if (state.closed) return;
      try {
        await this.exclusive(async () => {
          if (state.closed) return;
          await state.backend.read(async (q) => {
            const hw = state.window.host(name);
            if (!hw || hw.size === 0) return;
            const newest = hw.newest;
            const from = newest - state.settings.liveWindowMs;
            if (hw.coverageStart <= from) return;
            const hostId = state.catalog.knownHostId(name) ?? (await q.hostId(name));
            if (hostId === null) return;
            // In slices, a turn of the event loop between them: reads go on meanwhile (ingest
            // waits for this exclusive turn, so nothing is stored that the rebuild would miss).
            const rows: StoredTick[] = [];
            for (let a = from; a <= newest; ) {
              const end = Math.min(newest, (Math.floor(a / FILL_SLICE_MS) + 1) * FILL_SLICE_MS - 1); // a chunk is a minute
              rows.push(...(await this.source.inRange(q, hostId, name, a, end)));
              a = end + 1;
              await nextTurn();
            }
            if (rows.length === 0) return;
            state.window.drop(name);
            try {
              await this.addToWindow(q, name, from, rows, false);
            } catch (err) {
              // Keep the narrow window rather than none: it is right, only shorter.
              state.window.restore(hw);
              throw err;
            }
          });
        });
      } catch (err) {
        // This host's window stays as it is (right, only shorter); the others are still filled.
        if (!state.closed) state.settings.onError(wrap(err, `store: filling the live window of ${JSON.stringify(name)} from the database failed (reads of it go to the database)`));
      }
    }
  }

  /**
   * Puts stored ticks into the host's window (created with `coverage` when new). Returns, when
   * `decode`, the frames of the ticks that were not in the window before.
   */
  private async addToWindow(q: Queries, host: string, coverage: number, rows: readonly StoredTick[], decode: boolean): Promise<Frame[]> {
    const { state } = this;
    if (rows.length === 0) return [];
    const hw = state.window.hostOrCreate(host, coverage);
    const sts = await state.catalog.structures(
      q,
      rows.map((r) => r.structureId),
      (id) => hw.structure(id),
    );
    const acc = new PlacementScratch();
    const refs = rows.map((r) => acc.decode(required(sts.get(r.structureId), `structure ${r.structureId}`), r.row, r.at).violations.map((v) => v.bodyId));
    const bodies = await state.catalog.bodies(q, refs.flat(), (id) => hw.body(id));
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

  onNotification(payload: string): void {
    const { state } = this;
    if (state.closed) return;
    let notice;
    try {
      notice = decodeNotice(payload);
    } catch (err) {
      state.settings.onError(wrap(err, 'store: ignoring a notification'));
      return;
    }
    if (notice.replica === this.replica) return;
    const { host, ats } = notice;
    this.exclusive(() => this.loadRemote(host, ats)).then(
      (fresh) => this.emit(fresh),
      (err: unknown) => state.settings.onError(wrap(err, `store: loading ${ats.length} frame(s) of ${JSON.stringify(host)} stored by another replica failed`)),
    );
  }

  private async loadRemote(host: string, ats: readonly number[]): Promise<Frame[]> {
    const { state } = this;
    if (state.closed) return [];
    return state.backend.read(async (q) => {
      const hostId = state.catalog.knownHostId(host) ?? (await q.hostId(host));
      if (hostId === null) throw new Error(`host ${JSON.stringify(host)} is not in the database`);
      const rows = await this.source.at(q, hostId, host, ats);
      const hw = state.window.host(host);
      const coverage = hw ? hw.coverageStart : Math.min(...rows.map((r) => r.at));
      const fresh = await this.addToWindow(q, host, coverage, rows, true);
      for (const r of rows) state.noteNewest(host, r.at);
      return fresh;
    });
  }

  /** After the LISTEN connection came back: load what other replicas stored meanwhile. */
  onReconnect(): void {
    const { state } = this;
    if (state.closed) return;
    this.exclusive(() => this.catchUp()).then(
      (fresh) => this.emit(fresh),
      (err: unknown) => state.settings.onError(wrap(err, 'store: catching up with other replicas after a reconnect failed')),
    );
  }

  private async catchUp(): Promise<Frame[]> {
    const { state } = this;
    if (state.closed) return [];
    return state.backend.read(async (q) => {
      const out: Frame[] = [];
      for (const h of await q.hosts()) {
        // A turn of the event loop per host: while a big window loads, the server still answers
        // (503 "starting", scripts/start.mjs) instead of holding every request.
        await nextTurn();
        const newest = await q.newestAt(h.id);
        if (newest === null) continue;
        const hw = state.window.host(h.name);
        const have = hw ? hw.newest : Number.NEGATIVE_INFINITY;
        if (newest <= have) continue;
        const from = Math.max(have, newest - state.settings.liveWindowMs);
        out.push(...(await this.addToWindow(q, h.name, from, await this.source.inRange(q, h.id, h.name, from, newest), true)));
        state.noteNewest(h.name, newest);
      }
      return out;
    });
  }
}
