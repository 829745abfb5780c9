// off-pin judged on exact data: the vCPU's run time on pCPUs outside its pin in the interval, from
// the scheduler's own events. A run of 20 ms between two samples is seen, and a stale last CPU
// (stat field 39) of a vCPU that did not run is never taken for a run. Any run time outside the
// pin counts: a thread cannot run outside its kernel affinity, so when it did, the affinity (or a
// cpuset) let it.
import { vcpuFix } from '../fix-commands';
import type { SnapshotResidency, SnapshotVcpu, SnapshotVm } from '../snapshot';
import type { CpuList } from '../types';
import { cpusLabel, sentence, setText, violationId, vmLabel, type Finding, type RuleContext } from './context';

/** The exact off-pin finding of one pinned vCPU with residency, or null when it stayed on its pin. */
export function exactOffPin(ctx: RuleContext, vm: SnapshotVm, v: SnapshotVcpu, pin: CpuList, residency: readonly SnapshotResidency[]): Finding | null {
  const outside = residency.filter((r) => r.ns > 0 && !pin.includes(r.pcpu));
  if (outside.length === 0) return null;
  const ns = outside.reduce((n, r) => n + r.ns, 0);
  // A run that began before the interval has no switch-in in it, yet it is one time.
  const times = Math.max(outside.length, outside.reduce((n, r) => n + r.switchIns, 0));
  const pcpus = outside.map((r) => r.pcpu);
  const interval = ctx.intervalMs === null ? '' : ` of the last ${durationText(ctx.intervalMs * 1e6)}`;
  return {
    id: violationId('off-pin', [vm.name], `vcpu${v.index}`),
    kind: 'off-pin',
    severity: 'critical',
    vm: vm.name,
    vms: [vm.name],
    vcpu: v.index,
    tid: v.tid,
    pcpus,
    message: sentence(
      `${vmLabel(vm.name)} vCPU ${v.index} (TID ${v.tid}) ran ${durationText(ns)}${interval} on ${cpusLabel(pcpus)}, ` +
        `${times === 1 ? 'once' : `${times} times`}, outside its pin ${setText(pin)} (kernel affinity ${setText(v.affinity)}); ` +
        'usually a taskset, a cgroup cpuset change or a pin that was never applied.',
    ),
    fix: vcpuFix(vm, v.index, v.tid, pin),
  };
}

/** "48.2 ms", "1.20 s", "350 us". */
export function durationText(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${Math.round(ns / 1e3)} us`;
}
