// The stored ticks of a host as one ordered list, wherever they are in the database: rows (the
// ticks of minutes not yet compacted) and chunks (the columnar form of closed minutes). A chunk's
// ticks come back as rows (re-encoded records), so everything that reads rows reads both.
import type { Queries, StoredChunk, StoredTick } from './backend';
import { chunkTimes, decodeChunk } from './chunk-codec';
import type { StoreState } from './store-state';
import type { Structure } from './structure';
import { encodeRecord, type TickRecord } from './tick-codec';

export interface ChunkTicks {
  readonly chunk: StoredChunk;
  readonly st: Structure;
  readonly records: TickRecord[];
}

export class TickSource {
  constructor(private readonly state: StoreState) {}

  /** The chunk's structure and records; `hostName` finds structures held by its live window. */
  async open(q: Queries, hostName: string, chunk: StoredChunk): Promise<ChunkTicks> {
    const hw = this.state.window.host(hostName);
    const sts = await this.state.catalog.structures(q, [chunk.structureId], (id) => hw?.structure(id));
    const st = sts.get(chunk.structureId);
    if (!st) throw new Error(`store: chunk ${chunk.firstAt} refers to structure ${chunk.structureId}, which is missing`);
    return { chunk, st, records: decodeChunk(st, chunk.data) };
  }

  private rows(c: ChunkTicks, keep: (at: number) => boolean): StoredTick[] {
    const out: StoredTick[] = [];
    for (const rec of c.records) if (keep(rec.at)) out.push({ at: rec.at, structureId: c.st.id, row: encodeRecord(this.state.writer, c.st, rec) });
    return out;
  }

  /** from <= at <= to, ascending, at most `limit`. */
  async inRange(q: Queries, hostId: number, hostName: string, from: number, to: number, limit?: number): Promise<StoredTick[]> {
    const rows = await q.ticksInRange(hostId, from, to, limit);
    const chunks = await q.chunksInRange(hostId, from, to);
    if (chunks.length === 0) return rows;
    const out: StoredTick[] = [...rows];
    for (const chunk of chunks) out.push(...this.rows(await this.open(q, hostName, chunk), (at) => at >= from && at <= to));
    out.sort((a, b) => a.at - b.at);
    const unique = out.filter((t, i) => i === 0 || out[i - 1]?.at !== t.at);
    return limit === undefined ? unique : unique.slice(0, limit);
  }

  async at(q: Queries, hostId: number, hostName: string, ats: readonly number[]): Promise<StoredTick[]> {
    const rows = await q.ticksAt(hostId, ats);
    const found = new Set(rows.map((r) => r.at));
    const missing = ats.filter((a) => !found.has(a));
    if (missing.length === 0) return rows;
    const lo = Math.min(...missing);
    const hi = Math.max(...missing);
    const want = new Set(missing);
    const out = [...rows];
    for (const chunk of await q.chunksInRange(hostId, lo, hi)) {
      if (!chunkTimes(chunk.data).at.some((a) => want.has(a))) continue;
      out.push(...this.rows(await this.open(q, hostName, chunk), (a) => want.has(a)));
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** The newest tick with at <= `at`. */
  async atOrBefore(q: Queries, hostId: number, hostName: string, at: number): Promise<StoredTick | null> {
    const row = await q.tickAtOrBefore(hostId, at);
    const chunk = await q.chunkAtOrBefore(hostId, at);
    if (!chunk || (row && row.at >= chunk.lastAt)) return row;
    const ts = chunkTimes(chunk.data).at.filter((a) => a <= at);
    const best = ts[ts.length - 1];
    if (best === undefined || (row && row.at >= best)) return row;
    return this.rows(await this.open(q, hostName, chunk), (a) => a === best)[0] ?? row;
  }

  /** The oldest tick with at >= `at`. */
  async atOrAfter(q: Queries, hostId: number, hostName: string, at: number): Promise<StoredTick | null> {
    const row = await q.tickAtOrAfter(hostId, at);
    const chunk = await q.chunkAtOrAfter(hostId, at);
    if (!chunk || (row && row.at <= chunk.firstAt)) return row;
    const best = chunkTimes(chunk.data).at.find((a) => a >= at);
    if (best === undefined || (row && row.at <= best)) return row;
    return this.rows(await this.open(q, hostName, chunk), (a) => a === best)[0] ?? row;
  }

  /** The times stored in chunks between from and to (ingest drops frames already there). */
  async chunkedTimes(q: Queries, hostId: number, from: number, to: number): Promise<Set<number>> {
    const out = new Set<number>();
    for (const chunk of await q.chunksInRange(hostId, from, to)) for (const a of chunkTimes(chunk.data).at) out.add(a);
    return out;
  }
}
