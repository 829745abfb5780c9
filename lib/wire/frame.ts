// The one shape a frame takes inside the server: a compact tick (compact-tick.ts) with the
// structure it names (structure-body.ts). Remote agents send ticks (or, older ones, snapshots);
// a snapshot becomes a structure plus a tick at the boundary (splitSnapshot), so the store, the
// embedded agent and the live stream only ever handle this.
import type { Snapshot } from '../model/snapshot';
import { expandTick, toTick, type CompactTick } from './compact-tick';
import { extractStructure, sameStructure, structureHash, structureJson, type StructureBody } from './structure-body';

export interface Frame {
  readonly host: string;
  readonly at: number; // epoch ms
  /** The structure `tick.structure` names (its hash). */
  readonly body: StructureBody;
  readonly tick: CompactTick;
}

/** The snapshot a frame stands for. */
export function frameSnapshot(f: Frame): Snapshot {
  return expandTick(f.body, f.tick);
}

export interface HashedStructure {
  readonly body: StructureBody;
  readonly json: string;
  readonly hash: string;
}

export function hashStructure(s: StructureBody): HashedStructure {
  const body = extractStructure(s);
  const json = structureJson(body);
  return { body, json, hash: structureHash(json) };
}

/**
 * Turns snapshots into frames, keeping the structure of each host's last snapshot: a snapshot
 * whose static part did not change reuses its body and hash (no JSON, no hashing).
 */
export class FrameSplitter {
  private readonly current = new Map<string, HashedStructure>();

  split(s: Snapshot): Frame {
    let st = this.current.get(s.host);
    if (st === undefined || !sameStructure(st.body, s)) {
      st = hashStructure(s);
      if (this.current.size >= 4096) this.current.clear();
      this.current.set(s.host, st);
    }
    return { host: s.host, at: s.at, body: st.body, tick: toTick(s, st.hash) };
  }
}
