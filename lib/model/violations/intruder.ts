// intruder (exact mode): a task not of the VM ran on a pCPU dedicated to it, or isolated and
// pinned to it, for at least INTRUDER_SHARE of the interval. Per-CPU kernel threads that must run
// there (migration/N, ksoftirqd/N at a trickle, bound kworkers) stay far below that on an idle
// host. One violation per VM and pCPU, naming its tasks by comm, PID and share.
import type { SnapshotOtherTask } from '../snapshot';
import { cpusLabel, quoteName, sentence, violationId, vmLabel, type Finding, type Rule, type RuleContext } from './context';
import { durationText } from './exact-off-pin';
import { formatCpuset } from '../../cpuset';
import { guardedCpus, sharedCpus } from './guarded-cpus';

export const intruder: Rule = { kind: 'intruder', detect, perTick: true };

/** Share of the interval another task must run on a guarded pCPU to be an intruder (docs/api.md). */
export const INTRUDER_SHARE = 0.01;
/** From this share on the intruder is critical. */
export const INTRUDER_CRITICAL_SHARE = 0.1;

function detect(ctx: RuleContext): readonly Finding[] {
  const intervalMs = ctx.intervalMs;
  if (intervalMs === null || intervalMs <= 0) return [];
  // Sampled snapshots have no others: nothing to judge (and nothing to spend on it every tick).
  if (!ctx.topology.cpus.some((c) => c.others !== undefined)) return [];
  const intervalNs = intervalMs * 1e6;
  const byCpu = new Map(ctx.topology.cpus.map((c) => [c.cpu, c]));
  const out: Finding[] = [];
  let shared: readonly number[] | null = null;
  for (const j of ctx.vms) {
    const g = guardedCpus(ctx, j);
    if (g === null) continue;
    const vm = g.vm;
    for (const c of g.cpus) {
      const others = byCpu.get(c)?.others;
      if (others === undefined) continue;
      const found = others.filter((o) => !ofVm(o, vm.pid, vm.name) && o.ns >= INTRUDER_SHARE * intervalNs);
      const [top] = found;
      if (top === undefined) continue;
      shared ??= sharedCpus(ctx);
      const share = (o: SnapshotOtherTask): string => `${((o.ns / intervalNs) * 100).toFixed(1)}%`;
      const named = found.slice(0, 3).map((o) => `${taskLabel(o)} for ${share(o)}`);
      if (found.length > 3) named.push(`${found.length - 3} more tasks`);
      const list = named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1) ?? ''}` : (named[0] ?? '');
      const vms = [vm.name, ...new Set(found.flatMap((o) => (o.vm !== undefined && o.vm !== vm.name ? [o.vm] : [])))];
      out.push({
        id: violationId('intruder', [vm.name], `pcpu${c}`),
        kind: 'intruder',
        severity: top.ns >= INTRUDER_CRITICAL_SHARE * intervalNs ? 'critical' : 'warning',
        vm: vm.name,
        vms,
        tids: found.map((o) => o.tid).sort((a, b) => a - b),
        pcpus: [c],
        message: sentence(
          `${cpusLabel([c])}, ${g.why(c)} ${vmLabel(vm.name)}, also ran ${list} of the last ${durationText(intervalNs)}; ` +
            (top.kernel
              ? 'a kernel thread working on that CPU: usually interrupts, timers or work queued there.'
              : 'usually a process started without an affinity that keeps it off dedicated cores (a systemd CPUAffinity or cpuset).'),
        ),
        fix: !top.kernel && top.pid !== null && shared.length > 0 ? `taskset -apc ${formatCpuset(shared)} ${top.pid}` : null,
      });
    }
  }
  return out;
}

function ofVm(o: SnapshotOtherTask, pid: number, name: string): boolean {
  return o.pid !== null ? o.pid === pid : o.vm === name;
}

function taskLabel(o: SnapshotOtherTask): string {
  const who = o.pid === null ? `TID ${o.tid}` : o.pid === o.tid ? `PID ${o.pid}` : `PID ${o.pid}, TID ${o.tid}`;
  const of = o.vm !== undefined ? ` of ${vmLabel(o.vm)}` : o.kernel ? ', a kernel thread' : '';
  return `${quoteName(o.comm)} (${who}${of})`;
}
