// The pCPUs exact mode guards for a VM: those of its vCPU pins when it is dedicated, and those of
// its pins that are isolated. Shared by the intruder and irq-on-dedicated rules.
import { intersectCpus } from '../../cpuset';
import type { CpuList } from '../types';
import { pinnedTo, union, type JudgedVm, type RuleContext } from './context';

export interface Guarded {
  readonly vm: JudgedVm['vm'];
  readonly cpus: CpuList;
  /** Why: "dedicated to" or "isolated and pinned to" the VM, for the message. */
  readonly why: (cpu: number) => string;
}

export function guardedCpus(ctx: RuleContext, j: JudgedVm): Guarded | null {
  const pins = union(j.vm.vcpus.flatMap((v) => (pinnedTo(ctx, v.pin) ? [v.pin] : [])));
  if (pins.length === 0) return null;
  const dedicated = j.intent?.dedicated ?? j.vm.dedicated;
  const cpus = dedicated ? pins : intersectCpus(pins, [...ctx.isolated].sort((a, b) => a - b));
  if (cpus.length === 0) return null;
  return { vm: j.vm, cpus, why: (c) => (dedicated ? 'dedicated to' : ctx.isolated.has(c) ? 'isolated and pinned to' : 'pinned to') };
}

/** The pCPUs other work may use: online, neither isolated nor given to a dedicated VM. */
export function sharedCpus(ctx: RuleContext): CpuList {
  const taken = new Set<number>(ctx.isolated);
  for (const j of ctx.vms) {
    if (!(j.intent?.dedicated ?? j.vm.dedicated)) continue;
    for (const v of j.vm.vcpus) if (pinnedTo(ctx, v.pin)) for (const c of v.pin) taken.add(c);
  }
  return ctx.online.filter((c) => !taken.has(c));
}
