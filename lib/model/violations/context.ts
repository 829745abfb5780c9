// What every violation rule sees, and small helpers they share (ids, message wording).
import { formatCpuset, sameCpus } from '../../cpuset';
import type { Snapshot, SnapshotThread, SnapshotVcpu, SnapshotVm, Violation, ViolationKind } from '../snapshot';
import type { CgroupCpuset, CpuList, VmIntent } from '../types';

/** A VM as the rules judge it: its snapshot view plus the intent details the snapshot omits. */
export interface JudgedVm {
  readonly vm: SnapshotVm;
  readonly intent: VmIntent | null;
  /** Each thread's own cpuset cgroup, by tid (absent: not read). */
  readonly cgroups: ReadonlyMap<number, CgroupCpuset>;
}

export interface ViolationInput {
  readonly at: number; // epoch ms
  readonly intervalMs: number | null; // ms since the previous sample; null on the first
  readonly topology: Snapshot['topology'];
  readonly vms: readonly JudgedVm[];
}

/** A violation before `since`/`lastSeen` are known (they come from the previous snapshot). */
export type Finding = Omit<Violation, 'since' | 'lastSeen'>;

export interface Rule {
  readonly kind: ViolationKind;
  readonly detect: (ctx: RuleContext) => readonly Finding[];
  /**
   * True when the findings depend on more than the VMs and the static topology (on `at`,
   * `intervalMs` or the pCPUs' `busy`): such a rule runs every tick, while the findings of the
   * others are reused for a tick on which no VM changed.
   */
  readonly perTick?: boolean;
}

export interface RuleContext extends ViolationInput {
  readonly online: CpuList;
  /** NUMA node of each online CPU. */
  readonly nodeOf: ReadonlyMap<number, number>;
  readonly isolated: ReadonlySet<number>;
}

export function ruleContext(input: ViolationInput): RuleContext {
  return {
    ...input,
    online: input.topology.cpus.map((c) => c.cpu),
    nodeOf: new Map(input.topology.cpus.map((c) => [c.cpu, c.node])),
    isolated: new Set(input.topology.isolated),
  };
}

/**
 * A pin that names CPUs on purpose. A pin equal to every online CPU (libvirt's default, or a
 * pins file that lists the whole host) restricts nothing, so that vCPU is effectively unpinned.
 */
export function pinnedTo(ctx: RuleContext, pin: CpuList | null): pin is CpuList {
  // Lengths first: comparing every pin with a long online list was a scan of the list per vCPU.
  return pin !== null && pin.length > 0 && (pin.length !== ctx.online.length || !sameCpus(pin, ctx.online));
}

export function union(lists: readonly CpuList[]): CpuList {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

/** CPUs in exactly one of the two lists. */
export function symmetricDifference(a: CpuList, b: CpuList): CpuList {
  const x = new Set(a);
  const y = new Set(b);
  return union([a.filter((c) => !y.has(c)), b.filter((c) => !x.has(c))]);
}

/** Union of the pins of the VM's present vCPUs (empty when none is pinned). */
export function vcpuPinUnion(vm: SnapshotVm): CpuList {
  return union(vm.vcpus.flatMap((v) => (v.pin === null ? [] : [v.pin])));
}

export function nonVcpuThreads(vm: SnapshotVm): readonly SnapshotThread[] {
  return vm.threads.filter((t) => t.role !== 'vcpu');
}

export function ranOn(t: SnapshotThread | SnapshotVcpu, cpus: ReadonlySet<number>): boolean {
  return t.ran && cpus.has(t.pcpu);
}

/** ids longer than the contract's 4096 characters (long tenant names) are hashed instead. */
const MAX_ID_CHARS = 4000;

/**
 * Stable id: kind, the VM names and the vCPU or thread(s), never the pCPUs it ran on, so a vCPU
 * hopping between wrong pCPUs stays one violation with one `since`.
 */
export function violationId(kind: ViolationKind, vms: readonly string[], ...parts: readonly (string | number)[]): string {
  const id = [kind, vms.map((n) => encodeURIComponent(n)).join('+'), ...parts.map(String)].join(':');
  return id.length <= MAX_ID_CHARS ? id : `${kind}:h${fnv1a(id)}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

// Message wording. Names and CPU lists are shortened so that one sentence stays within the
// contract's 4096 characters whatever a tenant calls its VM.
const MAX_NAME_IN_MESSAGE = 120;
const MAX_SET_IN_MESSAGE = 200;
const MAX_MESSAGE = 4096;

/** `VM "name"` with control characters replaced and long names cut. */
export function vmLabel(name: string): string {
  return `VM ${quoteName(name)}`;
}

export function quoteName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  const cut = clean.length > MAX_NAME_IN_MESSAGE ? `${clean.slice(0, MAX_NAME_IN_MESSAGE)}...` : clean;
  return `"${cut}"`;
}

/** A list of VM names for a message, at most five then "and N more". */
export function vmList(names: readonly string[]): string {
  const shown = names.slice(0, 5).map(quoteName);
  const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
  return `${shown.join(', ')}${more}`;
}

/** A CPU list for a message: "pCPU 3" or "pCPUs 0-3,8". */
export function cpusLabel(cpus: CpuList): string {
  const text = formatCpuset(cpus);
  const cut = text.length > MAX_SET_IN_MESSAGE ? `${text.slice(0, MAX_SET_IN_MESSAGE)}...` : text;
  if (cpus.length === 0) return 'no pCPUs';
  return cpus.length === 1 ? `pCPU ${cut}` : `pCPUs ${cut}`;
}

export function setText(cpus: CpuList): string {
  const text = formatCpuset(cpus);
  if (text === '') return '(none)';
  return text.length > MAX_SET_IN_MESSAGE ? `${text.slice(0, MAX_SET_IN_MESSAGE)}...` : text;
}

export function tidsLabel(tids: readonly number[]): string {
  const shown = tids.slice(0, 8).join(', ');
  const more = tids.length > 8 ? ` and ${tids.length - 8} more` : '';
  return tids.length === 1 ? `TID ${shown}` : `TIDs ${shown}${more}`;
}

export function sentence(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 3)}...`;
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
