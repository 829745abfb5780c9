// Test fixture: encodes frames the way the store does (a snapshot split into its structure and
// tick, a new structure when the static part changes, violation bodies by JSON), with local ids
// instead of database ones.
import type { Snapshot } from '../../lib/model/snapshot';
import { ByteWriter } from '../../lib/server/store/byte-codec';
import { Structure } from '../../lib/server/store/structure';
import { encodeRow } from '../../lib/server/store/tick-codec';
import { violationBodyJson, type ViolationBody } from '../../lib/server/store/violation-body';
import type { CompactTick } from '../../lib/wire/compact-tick';
import { FrameSplitter } from '../../lib/wire/frame';

export interface EncodedFrame {
  readonly at: number;
  readonly st: Structure;
  readonly tick: CompactTick;
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
  const splitter = new FrameSplitter();
  const bodyIds = new Map<string, number>();
  const byId = new Map<number, ViolationBody>();
  let st: Structure | null = null;
  let structures = 0;
  return {
    encode(f: Snapshot): EncodedFrame {
      const frame = splitter.split(f);
      if (!st || st.hash !== frame.tick.structure) st = new Structure(++structures, frame.body, frame.tick.structure);
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
      return { at: f.at, st, tick: frame.tick, row: encodeRow(w, st, frame.tick, ids), bodies, ids };
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
