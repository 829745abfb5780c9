// unpinned-vcpu: a VM whose intent pins vCPUs has a present vCPU without any pin. Typical after
// a vCPU hot-plug: libvirt starts the new thread with the emulator's or the host's CPUs.
import { cpusLabel, sentence, violationId, vmLabel, type Finding, type Rule, type RuleContext } from './context';

export const unpinnedVcpu: Rule = { kind: 'unpinned-vcpu', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const { vm, intent } of ctx.vms) {
    if (intent === null || intent.vcpupin.size === 0) continue;
    for (const v of vm.vcpus) {
      if (v.pin !== null) continue;
      out.push({
        id: violationId('unpinned-vcpu', [vm.name], `vcpu${v.index}`),
        kind: 'unpinned-vcpu',
        severity: 'warning',
        vm: vm.name,
        vms: [vm.name],
        vcpu: v.index,
        tid: v.tid,
        pcpus: v.affinity,
        message: sentence(
          `${vmLabel(vm.name)} vCPU ${v.index} (TID ${v.tid}) has no pin while the VM's other vCPUs are pinned, so it may run ` +
            // An empty affinity is unknown (pasted text has none), never "no pCPUs".
            `${v.affinity.length === 0 ? 'wherever its kernel affinity allows' : `on ${cpusLabel(v.affinity)}`}; ` +
            'usually a hot-plugged vCPU that was not given a vcpupin.',
        ),
        // There is no intended set to restore: choosing one is the operator's decision.
        fix: null,
      });
    }
  }
  return out;
}
