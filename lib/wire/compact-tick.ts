// The compact tick: one snapshot's volatile values as flat arrays, naming its structure (the
// static part, structure-body.ts) by hash. A 64-vCPU snapshot is about 20 KB of JSON; its tick is
// about 2 KB, and the server neither parses nor validates the unchanged structure again.
// Pure: the agent encodes (encodeTick), the server expands (expandTick) after validation.
import type { Snapshot, SnapshotMode, SnapshotThread, Violation } from '../model/snapshot';
import { assembleSnapshot, type OwnPlacement } from './assemble-snapshot';
import type { StructureBody } from './structure-body';

export const TICK_FORMAT = 1;

/** A vCPU entry whose pcpu, ran or state differ from its thread's (or that has no thread). */
export type VcpuException = readonly [entry: number, pcpu: number, ran: 0 | 1, state: string];

export interface CompactTick {
  readonly tick: typeof TICK_FORMAT;
  readonly host: string;
  readonly at: number; // epoch ms
  readonly intervalMs: number | null;
  /** Snapshot.mode and Snapshot.trace, when the snapshot has them. (Exact mode's per-thread and
   * per-pCPU figures are not carried by ticks yet: a tick stands for the sampled part.) */
  readonly mode?: SnapshotMode;
  readonly trace?: Snapshot['trace'];
  readonly structure: string; // sha256 hex of the structure JSON (structureHash)
  /** Per thread, in structure order (VM by VM): the pCPU it last ran on. */
  readonly pcpu: readonly number[];
  /** Per thread: "1" ran since the previous sample, "0" not. */
  readonly ran: string;
  /** Per thread: its state, one character (stat field 3). */
  readonly state: string;
  /** Per vCPU entry (flat, VM by VM) that differs from its thread; usually none. Ascending. */
  readonly vcpus: readonly VcpuException[];
  readonly runNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly waitNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly busy: readonly (number | null)[]; // per pCPU of the topology
  readonly violations: readonly Violation[];
}

/** Threads, vCPU entries and pCPUs of a structure: the lengths of a tick's arrays. */
export interface StructureCounts {
  readonly threads: number;
  readonly vcpus: number;
  readonly cpus: number;
}

export function structureCounts(body: StructureBody): StructureCounts {
  let threads = 0;
  let vcpus = 0;
  for (const vm of body.vms) {
    threads += vm.threads.length;
    vcpus += vm.vcpus.length;
  }
  return { threads, vcpus, cpus: body.topology.cpus.length };
}

/**
 * The tick of `s`, whose structure has hash `structure`; null when a value does not fit the
 * compact form (a thread state that is not one character): send the full snapshot then.
 */
export function encodeTick(s: Snapshot, structure: string): CompactTick | null {
  const pcpu: number[] = [];
  let ran = '';
  let state = '';
  const vcpus: VcpuException[] = [];
  const runNs: (number | null)[] = [];
  const waitNs: (number | null)[] = [];
  let entry = 0;
  for (const vm of s.vms) {
    const byTid = new Map<number, SnapshotThread>();
    for (const t of vm.threads) {
      if (t.state.length !== 1) return null;
      pcpu.push(t.pcpu);
      ran += t.ran ? '1' : '0';
      state += t.state;
      byTid.set(t.tid, t);
    }
    for (const v of vm.vcpus) {
      const t = byTid.get(v.tid);
      if (t === undefined || t.pcpu !== v.pcpu || t.ran !== v.ran || t.state !== v.state) vcpus.push([entry, v.pcpu, v.ran ? 1 : 0, v.state]);
      runNs.push(v.runNs);
      waitNs.push(v.waitNs);
      entry++;
    }
  }
  return {
    tick: TICK_FORMAT,
    host: s.host,
    at: s.at,
    intervalMs: s.intervalMs,
    ...(s.mode !== undefined ? { mode: s.mode } : {}),
    ...(s.trace !== undefined ? { trace: s.trace } : {}),
    structure,
    pcpu,
    ran,
    state,
    vcpus,
    runNs,
    waitNs,
    busy: s.topology.cpus.map((c) => c.busy),
    violations: s.violations,
  };
}

/**
 * The snapshot a tick stands for. The tick must fit the structure (validateTickFits): array
 * lengths equal to its counts. CPU lists are shared with `body`, not copied.
 */
export function expandTick(body: StructureBody, t: CompactTick): Snapshot {
  const own = new Map<number, OwnPlacement>();
  for (const x of t.vcpus) own.set(x[0], { pcpu: x[1], ran: x[2] === 1, state: x[3] });
  return assembleSnapshot(
    body,
    {
      host: t.host,
      at: t.at,
      intervalMs: t.intervalMs,
      ...(t.mode !== undefined ? { mode: t.mode } : {}),
      ...(t.trace !== undefined ? { trace: t.trace } : {}),
      threadPcpu: (k) => t.pcpu[k] ?? 0,
      threadRan: (k) => t.ran.charCodeAt(k) === 49, // "1"
      threadState: (k) => t.state.charAt(k),
      vcpuOwn: (k) => own.get(k),
      runNs: t.runNs,
      waitNs: t.waitNs,
      busy: t.busy,
      violations: t.violations,
    },
    `tick of ${t.host} at ${t.at}`,
  );
}
