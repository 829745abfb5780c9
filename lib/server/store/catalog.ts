// Ids of hosts, structures and violation bodies: the ingest side turns a frame's static part and
// violations into stored ids (inserting what is new), the read side turns ids back into parsed
// objects. Both are cached; a transaction that rolls back undoes what it put in the caches.
import type { Violation } from '../../model/snapshot';
import type { Queries } from './backend';
import { LruMap } from './lru-map';
import { parseStructure, Structure, structureHash, structureJson, type StructureBody } from './structure';
import { parseViolationBody, violationBodyHash, violationBodyJson, type ViolationBody } from './violation-body';

/**
 * last_at of structures and bodies is raised at most this often (ms). Prune only deletes rows
 * unused for the minute retention plus twice this, so a cached id is never deleted under us.
 */
export const TOUCH_MS = 3600_000;

const MAX_BODY_KEYS = 4096; // per host
const MAX_STRUCTURE_KEYS = 256; // per host

interface HostCatalog {
  readonly id: number;
  current: Structure | null; // the structure of the host's last ingested frame
  readonly structureByHash: Map<string, number>;
  readonly bodyByJson: Map<string, number>;
  readonly touched: Map<string, number>; // "s:ID" / "b:ID" -> last_at written (epoch ms)
}

/** What the catalog reads of a frame (lib/wire/frame.ts). */
export interface CatalogFrame {
  readonly host: string;
  readonly at: number; // epoch ms
  readonly body: StructureBody;
  readonly tick: { readonly structure: string; readonly violations: readonly Violation[] };
}

/** What one write transaction changed in the caches, to undo on rollback. */
export class TxLog {
  readonly hosts = new Set<string>();
  readonly structures: number[] = [];
  readonly bodies: number[] = [];
}

export class Catalog {
  private readonly hostsByName = new Map<string, HostCatalog>();
  private readonly structureById = new LruMap<number, Structure>(4096);
  private readonly bodyById = new LruMap<number, ViolationBody>(65_536);

  /** Undoes what a rolled-back transaction cached (SQLite reuses rolled-back ids). */
  rollback(log: TxLog): void {
    for (const name of log.hosts) this.hostsByName.delete(name);
    for (const id of log.structures) this.structureById.delete(id);
    for (const id of log.bodies) this.bodyById.delete(id);
  }

  async hostId(q: Queries, name: string, log: TxLog): Promise<HostCatalog> {
    let h = this.hostsByName.get(name);
    if (!h) {
      const id = await q.ensureHost(name);
      h = { id, current: null, structureByHash: new Map(), bodyByJson: new Map(), touched: new Map() };
      this.hostsByName.set(name, h);
      log.hosts.add(name);
    }
    return h;
  }

  knownHostId(name: string): number | undefined {
    return this.hostsByName.get(name)?.id;
  }

  /** The structure stored for `host` under `hash` (structureHash), when cached here; else undefined. */
  knownStructure(host: string, hash: string): Structure | undefined {
    const h = this.hostsByName.get(host);
    const id = h?.structureByHash.get(hash);
    if (h === undefined || id === undefined) return undefined;
    return h.current?.id === id ? h.current : this.structureById.get(id);
  }

  /** The stored structure of `f`, inserted when new. */
  async structureFor(q: Queries, h: HostCatalog, f: CatalogFrame, log: TxLog): Promise<Structure> {
    log.hosts.add(f.host);
    const hash = f.tick.structure;
    let st = h.current !== null && h.current.hash === hash ? h.current : null;
    if (st === null) {
      const id = h.structureByHash.get(hash);
      if (id !== undefined) {
        st = this.structureById.get(id) ?? new Structure(id, f.body, hash);
      } else {
        const json = structureJson(f.body);
        if (structureHash(json) !== hash) throw new Error(`store: a frame of ${JSON.stringify(f.host)} names structure ${hash}, but its body hashes otherwise`);
        const row = await q.ensureStructure(h.id, hash, json, f.at);
        if (row.json !== json) throw new Error(`store: structure ${row.id} of host ${JSON.stringify(f.host)} has the same hash but other text (database edited by hand?)`);
        st = new Structure(row.id, f.body, hash);
        if (h.structureByHash.size >= MAX_STRUCTURE_KEYS) h.structureByHash.clear();
        h.structureByHash.set(hash, row.id);
        h.touched.set(`s:${row.id}`, f.at);
        log.structures.push(row.id);
      }
      this.structureById.set(st.id, st);
    }
    const key = `s:${st.id}`;
    const touched = h.touched.get(key) ?? Number.NEGATIVE_INFINITY;
    if (f.at > touched + TOUCH_MS) {
      if (!(await q.touchStructure(st.id, f.at))) {
        // Pruned since we cached it: store it again under a new id.
        h.structureByHash.clear();
        h.current = null;
        return this.structureFor(q, h, f, log);
      }
      h.touched.set(key, f.at);
    }
    h.current = st;
    return st;
  }

  /** Stored ids of `f`'s violation bodies (in order), and the bodies by id. */
  async bodyIdsFor(q: Queries, h: HostCatalog, f: CatalogFrame, log: TxLog): Promise<{ ids: number[]; bodies: Map<number, ViolationBody> }> {
    const ids: number[] = [];
    const bodies = new Map<number, ViolationBody>();
    for (const v of f.tick.violations) {
      const json = violationBodyJson(v);
      let id = h.bodyByJson.get(json);
      if (id === undefined) {
        const row = await q.ensureViolationBody(h.id, violationBodyHash(json), json, f.at);
        if (row.json !== json) throw new Error(`store: violation body ${row.id} of host ${JSON.stringify(f.host)} has the same hash but other text (database edited by hand?)`);
        id = row.id;
        if (h.bodyByJson.size >= MAX_BODY_KEYS) h.bodyByJson.clear();
        h.bodyByJson.set(json, id);
        h.touched.set(`b:${id}`, f.at);
        log.bodies.push(id);
      } else {
        const key = `b:${id}`;
        if (f.at > (h.touched.get(key) ?? Number.NEGATIVE_INFINITY) + TOUCH_MS) {
          if (!(await q.touchViolationBody(id, f.at))) {
            h.bodyByJson.clear();
            return this.bodyIdsFor(q, h, f, log);
          }
          h.touched.set(key, f.at);
        }
      }
      let body = this.bodyById.get(id);
      if (!body) {
        body = stripTimes(v);
        this.bodyById.set(id, body);
      }
      ids.push(id);
      bodies.set(id, body);
    }
    return { ids, bodies };
  }

  /** Parsed structures by id: from `known` (the live window), the cache, else the database. */
  async structures(q: Queries, ids: Iterable<number>, known?: (id: number) => Structure | undefined): Promise<Map<number, Structure>> {
    const out = new Map<number, Structure>();
    const wanted = new Set<number>(); // once each: a window's rows name the same few structures
    for (const id of ids) {
      if (out.has(id) || wanted.has(id)) continue;
      const st = known?.(id) ?? this.structureById.get(id);
      if (st) out.set(id, st);
      else wanted.add(id);
    }
    const missing = [...wanted];
    if (missing.length > 0) {
      for (const row of await q.structures(missing)) {
        const st = parseStructure(row.id, row.json);
        this.structureById.set(row.id, st);
        out.set(row.id, st);
      }
      const lost = missing.filter((id) => !out.has(id));
      if (lost.length > 0) throw new Error(`store: tick rows refer to structures ${lost.slice(0, 5).join(', ')} that are not in the database (pruned while still referenced?)`);
    }
    return out;
  }

  async bodies(q: Queries, ids: Iterable<number>, known?: (id: number) => ViolationBody | undefined): Promise<Map<number, ViolationBody>> {
    const out = new Map<number, ViolationBody>();
    const wanted = new Set<number>();
    for (const id of ids) {
      if (out.has(id) || wanted.has(id)) continue;
      const b = known?.(id) ?? this.bodyById.get(id);
      if (b) out.set(id, b);
      else wanted.add(id);
    }
    const missing = [...wanted];
    if (missing.length > 0) {
      for (const row of await q.violationBodies(missing)) {
        const b = parseViolationBody(row.id, row.json);
        this.bodyById.set(row.id, b);
        out.set(row.id, b);
      }
      const lost = missing.filter((id) => !out.has(id));
      if (lost.length > 0) throw new Error(`store: tick rows refer to violation bodies ${lost.slice(0, 5).join(', ')} that are not in the database (pruned while still referenced?)`);
    }
    return out;
  }
}

function stripTimes(v: Violation): ViolationBody {
  const { since: _since, lastSeen: _lastSeen, ...body } = v;
  return body;
}
