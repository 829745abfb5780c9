// off-pin: a vCPU that ran, since the previous sample, on a pCPU outside its pin. Judged only on
// vCPUs that ran: a halted vCPU keeps reporting its last CPU, which right after a re-pin can lie
// outside even the current affinity (fixture probe1.psr-outside-affinity.txt). For the same
// reason a last CPU outside the current affinity is not judged: the thread ran there before its
// mask changed (a live re-pin in the interval), which says nothing about the mask now.
import { cgroupAdvice } from '../cgroup-advice';
import { vcpuFix } from '../fix-commands';
import { exactOffPin } from './exact-off-pin';
import { cpusLabel, sentence, setText, violationId, vmLabel, type Finding, type Rule, type RuleContext } from './context';

export const offPin: Rule = { kind: 'off-pin', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const { vm, cgroups } of ctx.vms) {
    for (const v of vm.vcpus) {
      // Exact mode: judged on the vCPU's run time per pCPU instead of its last CPU.
      if (v.pin !== null && v.residency !== undefined) {
        const f = exactOffPin(ctx, vm, v, v.pin, v.residency);
        if (f) out.push(f);
        continue;
      }
      if (v.pin === null || !v.ran || v.pin.includes(v.pcpu)) continue;
      if (v.affinity.length > 0 && !v.affinity.includes(v.pcpu)) continue; // ran there under an older mask
      out.push({
        id: violationId('off-pin', [vm.name], `vcpu${v.index}`),
        kind: 'off-pin',
        severity: 'critical',
        vm: vm.name,
        vms: [vm.name],
        vcpu: v.index,
        tid: v.tid,
        pcpus: [v.pcpu],
        message: sentence(
          `${vmLabel(vm.name)} vCPU ${v.index} (TID ${v.tid}) ran on ${cpusLabel([v.pcpu])}, outside its pin ${setText(v.pin)}` +
            // An empty affinity is unknown (pasted text has none): left out rather than shown as "(none)".
            `${v.affinity.length === 0 ? '' : ` (kernel affinity ${setText(v.affinity)})`}; ` +
            'usually a taskset, a cgroup cpuset change or a pin that was never applied.',
        ),
        fix: cgroupAdvice(vm, cgroups.get(v.tid), 1, v.affinity, v.pin, ctx.online, vcpuFix(vm, v.index, v.tid, v.pin)).fix,
      });
    }
  }
  return out;
}
