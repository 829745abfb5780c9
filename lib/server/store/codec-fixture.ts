// Test fixture: encodes frames the way the store does (a new structure when the static part
// changes, violation bodies by JSON), with local ids instead of database ones.
import type { Snapshot } from '../../model/snapshot';
import { ByteWriter } from './byte-codec';
import { extractStructure, sameStructure, Structure } from './structure';
import { encodeTick } from './tick-codec';
import { violationBodyJson, type ViolationBody } from './violation-body';

export interface EncodedFrame {
  readonly at: number;
  readonly st: Structure;
  readonly row: Uint8Array;
  /** The bodies the row refers to, by id. */
  readonly bodies: Map<number, ViolationBody>;
  /** The body id of each of the frame's violations, in order. */
  readonly ids: readonly number[];
}

export function codecFor(): {
  encode(f: Snapshot): EncodedFrame;
  body(id: number): ViolationBody;
  readonly structures: number;
} {
  const w = new ByteWriter();
  const bodyIds = new Map<string, number>();
  const byId = new Map<number, ViolationBody>();
  let st: Structure | null = null;
  let structures = 0;
  return {
    encode(f: Snapshot): EncodedFrame {
      if (!st || !sameStructure(st.body, f)) st = new Structure(++structures, extractStructure(f));
      const bodies = new Map<number, ViolationBody>();
      const ids = f.violations.map((v) => {
        const json = violationBodyJson(v);
        let id = bodyIds.get(json);
        if (id === undefined) {
          id = 1000 + bodyIds.size;
          bodyIds.set(json, id);
          const { since: _s, lastSeen: _l, ...body } = v;
          byId.set(id, body);
        }
        const body = byId.get(id);
        if (body) bodies.set(id, body);
        return id;
      });
      return { at: f.at, st, row: encodeTick(w, st, f, ids), bodies, ids };
    },
    body(id: number): ViolationBody {
      const b = byId.get(id);
      if (!b) throw new Error(`codec fixture: no violation body ${id}`);
      return b;
    },
    get structures() {
      return structures;
    },
  };
}
