// The frames bench:ingest posts: a pool of distinct ticks of one realistic host (realistic-mix.ts),
// re-addressed per host and time by string concatenation (cheap for the posting side, which
// shares the machine with the server). Each host's frames cycle through the pool, so run and
// wait times, placements and busy shares differ from tick to tick as on a real host.
import type { Snapshot } from '../../lib/model/snapshot';
import { snapshotJson } from '../../lib/model/snapshot-json';
import { encodeTick } from '../../lib/wire/compact-tick';
import { extractStructure, structureHash, structureJson } from '../../lib/wire/structure-body';
import { RealisticHost } from './realistic-mix';

const HOST = 'placeholder-host-0000';
const AT = 4242424242424;

export interface FramePool {
  /** Threads per frame (what a thread-sample counts). */
  readonly threads: number;
  readonly vcpus: number;
  readonly tickBytes: number;
  forHost(host: string): HostFrames;
}

export interface HostFrames {
  /** The host's structure JSON (compact format), sent with its first request; null for full frames. */
  readonly structure: string | null;
  /** Its `i`-th frame (cycling through the pool), taken at `at`. */
  frame(i: number, at: number): string;
}

/** `size` distinct frames of one host; compact ticks, or full snapshots when `compact` is false. */
export function framePool(size: number, compact: boolean, seed = 1): FramePool {
  const sim = new RealisticHost({ host: HOST, seed });
  sim.next(); // the first sample has no interval
  const frames: Snapshot[] = Array.from({ length: size }, () => sim.next());
  const first = frames[0];
  if (!first) throw new Error('empty pool');
  const structure = structureJson(extractStructure(first));
  const hash = structureHash(structure);
  const parts = frames.map((f) => {
    if (extractStructure(f).vms.length !== first.vms.length) throw new Error('the pool changed structure');
    const s = { ...f, at: AT };
    const json = compact ? JSON.stringify(encodeTick(s, hash)) : snapshotJson(s);
    return json.split(HOST).map((p) => p.split(`"at":${AT},`));
  });
  const threads = first.vms.reduce((n, vm) => n + vm.threads.length, 0);
  const vcpus = first.vms.reduce((n, vm) => n + vm.vcpus.length, 0);
  return {
    threads,
    vcpus,
    tickBytes: JSON.stringify(encodeTick(first, hash)).length,
    forHost(host) {
      // The structure's hash names the host: each host has its own.
      const own = structure.split(HOST).join(host);
      const ownHash = structureHash(own);
      const pieces = parts.map((segs) => segs.map((ats) => ats.map((x) => x.split(hash).join(ownHash))));
      return {
        structure: compact ? own : null,
        frame(i, at) {
          const segs = pieces[i % pieces.length] ?? [];
          return segs.map((ats) => ats.join(`"at":${at},`)).join(host);
        },
      };
    },
  };
}
