// The compact tick: one snapshot's volatile values as flat arrays, naming its structure (the
// static part, structure-body.ts) by hash. A 64-vCPU snapshot is about 20 KB of JSON; its tick is
// about 2 KB, and the server neither parses nor validates the unchanged structure again.
// Pure and safe in the browser: the agent encodes (encodeTick), the server and the dashboard's
// live stream expand (expandTick) after validation.
import { traceFields, type Snapshot, type SnapshotCpu, type SnapshotMode, type SnapshotResidency, type SnapshotVcpu, type Violation } from '../model/snapshot';
import { assembleSnapshot, type OwnPlacement } from './assemble-snapshot';
import type { StructureBody } from './structure-body';
import { structureIndex } from './structure-index';

export const TICK_FORMAT = 1;

/** A vCPU entry whose pcpu, ran or state differ from its thread's (or that has no thread). */
export type VcpuException = readonly [entry: number, pcpu: number, ran: 0 | 1, state: string];
/** A thread whose state is not one printable ASCII character (its character in `state` is "?"). */
export type StateException = readonly [thread: number, state: string];

/** The character a thread state that does not fit `state` stands as. */
export const LONG_STATE = '?';

/** A thread's exact-mode residency: [thread, then (pcpu, ns, switchIns) per pCPU it ran on]. */
export type ThreadResidency = readonly number[];

/** A vCPU entry's exact-mode figures; each key present when the snapshot's is. */
export interface VcpuExact {
  readonly entry: number;
  readonly residency?: readonly number[]; // (pcpu, ns, switchIns) triples
  readonly migrations?: number;
  readonly wakeLatencyNs?: readonly [p50: number, p99: number, max: number, count: number] | null;
}

/** A pCPU's exact-mode figures (`index` into the topology's cpus); each key present when the snapshot's is. */
export type CpuExact = { readonly index: number } & Pick<SnapshotCpu, 'others' | 'othersRest' | 'irqs' | 'lostEvents'>;

/** What exact mode adds to a tick (docs/api.md "Exact mode"); all absent in sampled frames of older agents. */
export interface TickExact {
  readonly mode?: SnapshotMode;
  readonly trace?: Snapshot['trace'];
  /** Threads with a residency, ascending. */
  readonly residency?: readonly ThreadResidency[];
  /** vCPU entries with exact figures, ascending. */
  readonly vcpuExact?: readonly VcpuExact[];
  /** pCPUs with exact figures, ascending. */
  readonly cpuExact?: readonly CpuExact[];
}

export interface CompactTick extends TickExact {
  readonly tick: typeof TICK_FORMAT;
  readonly host: string;
  readonly at: number; // epoch ms
  readonly intervalMs: number | null;
  readonly structure: string; // sha256 hex of the structure JSON (structureHash)
  /** Per thread, in structure order (VM by VM): the pCPU it last ran on. */
  readonly pcpu: readonly number[];
  /** Per thread: "1" ran since the previous sample, "0" not. */
  readonly ran: string;
  /** Per thread: its state, one character (stat field 3). */
  readonly state: string;
  /** Threads whose state is not one printable ASCII character, ascending; absent when none. */
  readonly states?: readonly StateException[];
  /** Per vCPU entry (flat, VM by VM) that differs from its thread; usually none. Ascending. */
  readonly vcpus: readonly VcpuException[];
  readonly runNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly waitNs: readonly (number | null)[]; // per vCPU entry, ns
  readonly busy: readonly (number | null)[]; // per pCPU of the topology
  readonly violations: readonly Violation[];
}

const isStateChar = (s: string): boolean => s.length === 1 && s.charCodeAt(0) > 32 && s.charCodeAt(0) < 127;

/**
 * The tick of `s`, whose structure has hash `structure`, as an agent sends it; null when a thread
 * state is not one printable character: the agent then sends the full snapshot, which servers of
 * every release take (one before this release would ignore `states`).
 */
export function encodeTick(s: Snapshot, structure: string): CompactTick | null {
  const t = toTick(s, structure);
  return t.states === undefined ? t : null;
}

/** The tick of `s` whatever its values: the server's form of every frame (frame.ts). */
export function toTick(s: Snapshot, structure: string): CompactTick {
  const pcpu: number[] = [];
  let ran = '';
  let state = '';
  const states: StateException[] = [];
  const vcpus: VcpuException[] = [];
  const runNs: (number | null)[] = [];
  const waitNs: (number | null)[] = [];
  const residency: ThreadResidency[] = [];
  const vcpuExact: VcpuExact[] = [];
  let entry = 0;
  let thread = 0;
  for (const vm of s.vms) {
    const byTid = new Map<number, (typeof vm.threads)[number]>();
    for (const t of vm.threads) {
      if (t.residency !== undefined) residency.push(flatResidency(t.residency, [thread]));
      pcpu.push(t.pcpu);
      ran += t.ran ? '1' : '0';
      if (isStateChar(t.state)) {
        state += t.state;
      } else {
        state += LONG_STATE;
        states.push([thread, t.state]);
      }
      byTid.set(t.tid, t);
      thread++;
    }
    for (const v of vm.vcpus) {
      const t = byTid.get(v.tid);
      if (t === undefined || t.pcpu !== v.pcpu || t.ran !== v.ran || t.state !== v.state) vcpus.push([entry, v.pcpu, v.ran ? 1 : 0, v.state]);
      runNs.push(v.runNs);
      waitNs.push(v.waitNs);
      const x = vcpuExactOf(entry, v);
      if (x !== null) vcpuExact.push(x);
      entry++;
    }
  }
  const cpuExact: CpuExact[] = [];
  s.topology.cpus.forEach((c, index) => {
    const x = cpuExactOf(index, c);
    if (x !== null) cpuExact.push(x);
  });
  return {
    tick: TICK_FORMAT,
    host: s.host,
    at: s.at,
    intervalMs: s.intervalMs,
    ...(s.mode !== undefined ? { mode: s.mode } : {}),
    ...(s.trace !== undefined ? { trace: traceFields(s.trace) } : {}),
    structure,
    pcpu,
    ran,
    state,
    ...(states.length > 0 ? { states } : {}),
    vcpus,
    runNs,
    waitNs,
    busy: s.topology.cpus.map((c) => c.busy),
    violations: s.violations,
    ...(residency.length > 0 ? { residency } : {}),
    ...(vcpuExact.length > 0 ? { vcpuExact } : {}),
    ...(cpuExact.length > 0 ? { cpuExact } : {}),
  };
}

function flatResidency(r: readonly SnapshotResidency[], into: number[]): number[] {
  for (const x of r) into.push(x.pcpu, x.ns, x.switchIns);
  return into;
}

function vcpuExactOf(entry: number, v: SnapshotVcpu): VcpuExact | null {
  if (v.residency === undefined && v.migrations === undefined && v.wakeLatencyNs === undefined) return null;
  const w = v.wakeLatencyNs;
  return {
    entry,
    ...(v.residency !== undefined ? { residency: flatResidency(v.residency, []) } : {}),
    ...(v.migrations !== undefined ? { migrations: v.migrations } : {}),
    ...(w !== undefined ? { wakeLatencyNs: w === null ? null : ([w.p50, w.p99, w.max, w.count] as const) } : {}),
  };
}

function cpuExactOf(index: number, c: SnapshotCpu): CpuExact | null {
  if (c.others === undefined && c.othersRest === undefined && c.irqs === undefined && c.lostEvents === undefined) return null;
  return {
    index,
    ...(c.others !== undefined ? { others: c.others } : {}),
    ...(c.othersRest !== undefined ? { othersRest: c.othersRest } : {}),
    ...(c.irqs !== undefined ? { irqs: c.irqs } : {}),
    ...(c.lostEvents !== undefined ? { lostEvents: c.lostEvents } : {}),
  };
}

/** Per thread, its state: the tick's character, or its exception. */
export function threadStates(t: CompactTick): (k: number) => string {
  const long = t.states;
  if (long === undefined || long.length === 0) return (k) => t.state.charAt(k);
  const m = new Map<number, string>(long);
  return (k) => m.get(k) ?? t.state.charAt(k);
}

/**
 * The snapshot a tick stands for. The tick must fit the structure (checkTickFits in
 * frame-checks.ts): array lengths equal to its counts. CPU lists are shared with `body`.
 */
export function expandTick(body: StructureBody, t: CompactTick): Snapshot {
  const index = structureIndex(body);
  if (t.pcpu.length !== index.threadCount || t.runNs.length !== index.vcpuCount) throw new Error(`tick of ${t.host} at ${t.at} does not fit its structure`);
  const own = new Map<number, OwnPlacement>();
  for (const x of t.vcpus) own.set(x[0], { pcpu: x[1], ran: x[2] === 1, state: x[3] });
  return assembleSnapshot(
    body,
    {
      host: t.host,
      at: t.at,
      intervalMs: t.intervalMs,
      threadPcpu: (k) => t.pcpu[k] ?? 0,
      threadRan: (k) => t.ran.charCodeAt(k) === 49, // "1"
      threadState: threadStates(t),
      vcpuOwn: (k) => own.get(k),
      runNs: t.runNs,
      waitNs: t.waitNs,
      busy: t.busy,
      violations: t.violations,
      exact: t,
    },
    `tick of ${t.host} at ${t.at}`,
  );
}
