// The compact tick: one snapshot's volatile values as flat arrays, naming its structure (the
// static part, structure-body.ts) by hash. A 64-vCPU snapshot is about 20 KB of JSON; its tick is
// about 2 KB, and the server neither parses nor validates the unchanged structure again.
// Pure and safe in the browser: the agent encodes (encodeTick), the server and the dashboard's
// live stream expand (expandTick) after validation.
import type { Snapshot, Violation } from '../model/snapshot';
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

export interface CompactTick {
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
  let entry = 0;
  let thread = 0;
  for (const vm of s.vms) {
    const byTid = new Map<number, (typeof vm.threads)[number]>();
    for (const t of vm.threads) {
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
      entry++;
    }
  }
  return {
    tick: TICK_FORMAT,
    host: s.host,
    at: s.at,
    intervalMs: s.intervalMs,
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
    },
    `tick of ${t.host} at ${t.at}`,
  );
}
