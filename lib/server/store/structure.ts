// The static part of a snapshot ("structure"): topology, VMs, thread ids, names, roles, pins and
// affinities. It changes on hot-plug, VM start/stop or a re-pin, so it is stored once per change
// and every tick row refers to it; the rows hold only the volatile values (tick-codec.ts).
import type { CpuList } from '../../model/types';
import { intern, structureHash, type StructureBody } from '../../wire/structure-body';
import { structureIndex, type PlacedThread, type StructureIndex } from '../../wire/structure-index';

export type { PlacedThread };

export {
  extractStructure,
  sameStructure,
  structureHash,
  structureJson,
  type StaticCpu,
  type StaticThread,
  type StaticVcpu,
  type StaticVm,
  type StructureBody,
} from '../../wire/structure-body';

/**
 * A stored structure: its database id, body and hash, the flat index every reader of a tick
 * walks (lib/wire/structure-index.ts), and the per-thread base pCPU the row codec compares with.
 */
export class Structure {
  readonly index: StructureIndex;
  /** Per thread: the pCPU a row's value is compared with (its pin, else its first allowed CPU). */
  readonly basePcpu: Uint16Array;

  constructor(
    readonly id: number,
    readonly body: StructureBody,
    readonly hash: string,
  ) {
    this.index = structureIndex(body);
    this.basePcpu = new Uint16Array(this.index.threadCount);
    let t = 0;
    for (const vm of body.vms) for (const th of vm.threads) this.basePcpu[t++] = th.pin?.[0] ?? th.affinity[0] ?? 0;
  }

  get threadCount(): number {
    return this.index.threadCount;
  }

  get vcpuCount(): number {
    return this.index.vcpuCount;
  }

  get cpuCount(): number {
    return this.index.cpuCount;
  }

  get placedCount(): number {
    return this.index.placedCount;
  }

  /** The placed threads' metadata (history rows). */
  get placed(): readonly PlacedThread[] {
    return this.index.placed;
  }
}

/** Parses a stored structure body; throws with the id when the text is not what was written. */
export function parseStructure(id: number, json: string): Structure {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (err) {
    throw new Error(`store: structure ${id} is not valid JSON (database corrupted?): ${String(err)}`);
  }
  if (!isStructureBody(body)) {
    throw new Error(`store: structure ${id} does not have the expected shape (database written by another version?)`);
  }
  return new Structure(id, internLists(body), structureHash(json));
}

/** The same body with equal CPU lists shared (JSON.parse makes one array per occurrence). */
function internLists(b: StructureBody): StructureBody {
  const lists = new Map<string, CpuList>();
  const L = (l: CpuList): CpuList => intern(lists, l);
  const LN = (l: CpuList | null): CpuList | null => (l === null ? null : intern(lists, l));
  return {
    host: b.host,
    topology: {
      cpus: b.topology.cpus.map((c) => ({ ...c, siblings: L(c.siblings) })),
      isolated: L(b.topology.isolated),
      nohzFull: L(b.topology.nohzFull),
    },
    vms: b.vms.map((vm) => ({
      ...vm,
      vcpus: vm.vcpus.map((v) => ({ ...v, affinity: L(v.affinity), pin: LN(v.pin) })),
      threads: vm.threads.map((t) => ({ ...t, affinity: L(t.affinity), pin: LN(t.pin) })),
    })),
  };
}

function isStructureBody(v: unknown): v is StructureBody {
  if (typeof v !== 'object' || v === null) return false;
  if (!('host' in v) || typeof v.host !== 'string') return false;
  if (!('vms' in v) || !Array.isArray(v.vms)) return false;
  if (!('topology' in v) || typeof v.topology !== 'object' || v.topology === null) return false;
  const topo = v.topology;
  if (!('cpus' in topo) || !Array.isArray(topo.cpus)) return false;
  return v.vms.every(
    (vm: unknown) =>
      typeof vm === 'object' &&
      vm !== null &&
      'threads' in vm &&
      Array.isArray(vm.threads) &&
      'vcpus' in vm &&
      Array.isArray(vm.vcpus) &&
      'name' in vm &&
      typeof vm.name === 'string',
  );
}
