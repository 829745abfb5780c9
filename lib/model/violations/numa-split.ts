// numa-split: a VM's vCPU pins span host NUMA nodes (per guest NUMA cell when the guest has
// cells: several cells on different host nodes is the point of guest NUMA), or lie on host nodes
// other than those its memory is bound to (`<numatune><memory nodeset>`). Either way memory
// accesses cross the interconnect.
import type { CpuList } from '../types';
import {
  cpusLabel,
  pinnedTo,
  sentence,
  union,
  violationId,
  vmLabel,
  type Finding,
  type Rule,
  type RuleContext,
} from './context';

export const numaSplit: Rule = { kind: 'numa-split', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const { vm, intent } of ctx.vms) {
    if (intent === null) continue;
    // Pins equal to every online CPU restrict nothing: such a vCPU is not "placed" anywhere.
    const pinOf = new Map<number, CpuList>();
    for (const v of vm.vcpus) if (pinnedTo(ctx, v.pin)) pinOf.set(v.index, v.pin);
    if (pinOf.size === 0) continue;

    const groups: { readonly label: string; readonly pins: CpuList }[] =
      intent.guestCells.length > 0
        ? intent.guestCells.map((cell, i) => ({
            label: `guest NUMA cell ${i}`,
            pins: union(cell.map((index) => pinOf.get(index) ?? [])),
          }))
        : [{ label: 'the VM', pins: union([...pinOf.values()]) }];

    const reasons: string[] = [];
    const cpus: number[] = [];
    for (const g of groups) {
      const nodes = nodesOf(ctx, g.pins);
      if (nodes.length <= 1) continue;
      reasons.push(`the vCPU pins of ${g.label} span host NUMA nodes ${nodes.join(', ')}`);
      cpus.push(...g.pins);
    }
    if (intent.memoryNodes !== null) {
      const memory = new Set(intent.memoryNodes);
      const all = union([...pinOf.values()]);
      const away = all.filter((c) => {
        const node = ctx.nodeOf.get(c);
        return node !== undefined && !memory.has(node);
      });
      if (away.length > 0) {
        reasons.push(
          `vCPUs are pinned to ${cpusLabel(away)} on node ${nodesOf(ctx, away).join(', ')} while its memory is bound to node ` +
            intent.memoryNodes.join(', '),
        );
        cpus.push(...away);
      }
    }
    if (reasons.length === 0) continue;
    out.push({
      id: violationId('numa-split', [vm.name]),
      kind: 'numa-split',
      severity: 'warning',
      vm: vm.name,
      vms: [vm.name],
      pcpus: union([cpus]),
      message: sentence(
        `${vmLabel(vm.name)}: ${reasons.join('; and ')}; usually pins chosen without regard to the host's NUMA layout, ` +
          'which makes memory accesses cross sockets.',
      ),
      fix: null,
    });
  }
  return out;
}

function nodesOf(ctx: RuleContext, cpus: CpuList): readonly number[] {
  const nodes = new Set<number>();
  for (const c of cpus) {
    const n = ctx.nodeOf.get(c);
    if (n !== undefined) nodes.add(n);
  }
  return [...nodes].sort((a, b) => a - b);
}
