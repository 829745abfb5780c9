// irq-on-dedicated (exact mode): a device interrupt was delivered on a pCPU dedicated to a VM, or
// isolated and pinned to it, in the interval (IRQ_MIN_COUNT or more times). Each one preempts the
// vCPU there. Per-CPU interrupts (LOC, RES, CAL, TLB, ...) cannot be moved and are not judged.
// One violation per VM and IRQ; the fix moves the IRQ with /proc/irq/N/smp_affinity_list.
import { isDeviceIrq } from '../../procfs/interrupts';
import { cpusLabel, sentence, violationId, vmLabel, type Finding, type Rule, type RuleContext } from './context';
import { durationText } from './exact-off-pin';
import { formatCpuset } from '../../cpuset';
import { guardedCpus, sharedCpus } from './guarded-cpus';

export const irqOnDedicated: Rule = { kind: 'irq-on-dedicated', detect, perTick: true };

/** Interrupts of one IRQ on a guarded pCPU in an interval that make a violation (docs/api.md). */
export const IRQ_MIN_COUNT = 1;

function detect(ctx: RuleContext): readonly Finding[] {
  const intervalMs = ctx.intervalMs;
  if (intervalMs === null || intervalMs <= 0) return [];
  // Sampled snapshots have no irqs: nothing to judge (and nothing to spend on it every tick).
  if (!ctx.topology.cpus.some((c) => c.irqs !== undefined)) return [];
  const byCpu = new Map(ctx.topology.cpus.map((c) => [c.cpu, c]));
  const out: Finding[] = [];
  let shared: readonly number[] | null = null;
  for (const j of ctx.vms) {
    const g = guardedCpus(ctx, j);
    if (g === null) continue;
    // IRQ -> its name, count and the guarded pCPUs it hit.
    const hits = new Map<string, { name: string; count: number; cpus: number[] }>();
    for (const c of g.cpus) {
      for (const irq of byCpu.get(c)?.irqs ?? []) {
        if (!isDeviceIrq(irq.irq) || irq.count < IRQ_MIN_COUNT) continue;
        let h = hits.get(irq.irq);
        if (!h) hits.set(irq.irq, (h = { name: irq.name, count: 0, cpus: [] }));
        h.count += irq.count;
        h.cpus.push(c);
      }
    }
    for (const [irq, h] of [...hits].sort((a, b) => Number(a[0]) - Number(b[0]))) {
      shared ??= sharedCpus(ctx);
      const [first] = h.cpus;
      out.push({
        id: violationId('irq-on-dedicated', [g.vm.name], `irq${irq}`),
        kind: 'irq-on-dedicated',
        severity: 'warning',
        vm: g.vm.name,
        vms: [g.vm.name],
        pcpus: h.cpus,
        message: sentence(
          `IRQ ${irq} (${h.name}) was delivered ${h.count} ${h.count === 1 ? 'time' : 'times'} in the last ${durationText(intervalMs * 1e6)} on ${cpusLabel(h.cpus)}, ` +
            `${first === undefined ? 'pinned to' : g.why(first)} ${vmLabel(g.vm.name)}; each one preempts the vCPU there: usually irqbalance or the IRQ's default affinity.`,
        ),
        fix: shared.length > 0 ? `echo ${formatCpuset(shared)} > /proc/irq/${irq}/smp_affinity_list` : null,
      });
    }
  }
  return out;
}
