// overcommit: more vCPUs pinned within a set of pCPUs than the set has CPUs, and the run queues of
// those pCPUs show it (a vCPU waited there at least 5% of the interval). Pins alone are not
// enough: idle vCPUs can share pCPUs without harm. Only the wait of vCPUs last seen on the set
// counts: a member that drifted elsewhere (a taskset) waited on another pCPU's queue, which says
// nothing about contention here. schedstat gives a thread's wait, not where it waited: a sampled
// last CPU is the best evidence of the queue.
import { formatCpuset, isSubset } from '../../cpuset';
import type { SnapshotVcpu } from '../snapshot';
import type { CpuList } from '../types';
import { byName, cpusLabel, pinnedTo, sentence, vmList, violationId, type Finding, type Rule, type RuleContext } from './context';

export const overcommit: Rule = { kind: 'overcommit', detect, perTick: true };

/** Run-queue wait, as a share of the interval, that counts as contention. */
const WAIT_SHARE = 0.05;

function detect(ctx: RuleContext): readonly Finding[] {
  const intervalMs = ctx.intervalMs;
  if (intervalMs === null || intervalMs <= 0) return [];
  const pinned: { readonly vm: string; readonly vcpu: SnapshotVcpu; readonly pin: CpuList }[] = [];
  for (const { vm } of ctx.vms) {
    for (const v of vm.vcpus) if (pinnedTo(ctx, v.pin)) pinned.push({ vm: vm.name, vcpu: v, pin: v.pin });
  }
  const sets = new Map<string, CpuList>();
  for (const p of pinned) sets.set(formatCpuset(p.pin), p.pin);

  const out: Finding[] = [];
  for (const [key, set] of [...sets].sort((a, b) => byName(a[0], b[0]))) {
    const members = pinned.filter((p) => isSubset(p.pin, set));
    if (members.length <= set.length) continue;
    const inSet = new Set(set);
    const maxWaitNs = Math.max(0, ...members.map((m) => (inSet.has(m.vcpu.pcpu) ? (m.vcpu.waitNs ?? 0) : 0)));
    const intervalNs = intervalMs * 1e6;
    if (maxWaitNs < WAIT_SHARE * intervalNs) continue;
    const vms = [...new Set(members.map((m) => m.vm))].sort(byName);
    const [first] = vms;
    if (first === undefined) continue;
    out.push({
      id: violationId('overcommit', vms, key),
      kind: 'overcommit',
      severity: 'warning',
      vm: first,
      vms,
      tids: members.map((m) => m.vcpu.tid).sort((a, b) => a - b),
      pcpus: set,
      message: sentence(
        `${members.length} vCPUs of ${vms.length === 1 ? 'VM' : 'VMs'} ${vmList(vms)} are pinned within ${cpusLabel(set)} ` +
          `(capacity ${set.length}) and one waited ${(maxWaitNs / 1e6).toFixed(1)} ms ` +
          `(${Math.round((maxWaitNs / intervalNs) * 100)}% of the ${Math.round(intervalMs)} ms interval) on the run queue there; ` +
          'usually the same pCPUs handed to several VMs or vCPUs.',
      ),
      fix: null,
    });
  }
  return out;
}
