// shared-dedicated: a pCPU given to a dedicated VM's vCPUs is pinned to, or was used by, a vCPU of
// another VM. The dedicated tenant then competes for its own cores.
import { intersectCpus } from '../../cpuset';
import {
  cpusLabel,
  ranOn,
  sentence,
  union,
  vcpuPinUnion,
  violationId,
  vmLabel,
  type Finding,
  type Rule,
  type RuleContext,
} from './context';

export const sharedDedicated: Rule = { kind: 'shared-dedicated', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const a of ctx.vms) {
    if (a.intent === null || !a.intent.dedicated) continue;
    const reserved = vcpuPinUnion(a.vm);
    if (reserved.length === 0) continue;
    const reservedSet = new Set(reserved);
    for (const b of ctx.vms) {
      if (b === a) continue;
      const pinned: number[] = [];
      const ran: number[] = [];
      const vcpus: number[] = [];
      for (const v of b.vm.vcpus) {
        const overlap = v.pin === null ? [] : intersectCpus(v.pin, reserved);
        const used = ranOn(v, reservedSet) ? [v.pcpu] : [];
        if (overlap.length === 0 && used.length === 0) continue;
        pinned.push(...overlap);
        ran.push(...used);
        vcpus.push(v.index);
      }
      if (vcpus.length === 0) continue;
      const how =
        pinned.length > 0 && ran.length > 0
          ? 'is pinned to and ran on'
          : pinned.length > 0
            ? 'is pinned to'
            : 'ran on';
      const shared = union([pinned, ran]);
      out.push({
        id: violationId('shared-dedicated', [a.vm.name, b.vm.name]),
        kind: 'shared-dedicated',
        severity: 'critical',
        vm: a.vm.name,
        vms: [a.vm.name, b.vm.name],
        pcpus: shared,
        message: sentence(
          `${vmLabel(b.vm.name)} (vCPU ${vcpus.join(', ')}) ${how} ${cpusLabel(shared)} reserved for dedicated ${vmLabel(a.vm.name)}; ` +
            'usually overlapping pins from two placement tools, or a shared VM without a pin of its own.',
        ),
        // Which VM should move is a placement decision; no single command restores both intents.
        fix: null,
      });
    }
  }
  return out;
}
