// smt-sibling-shared: vCPUs of two different VMs pinned to (or, with at least one pinned there,
// running on) different SMT siblings of one physical core. The tenants then share the core's
// execution units and caches: noisy neighbours and a side channel between them.
import { intersectCpus } from '../../cpuset';
import type { SnapshotVcpu } from '../snapshot';
import type { CpuList } from '../types';
import {
  byName,
  cpusLabel,
  pinnedTo,
  quoteName,
  sentence,
  union,
  violationId,
  type Finding,
  type JudgedVm,
  type Rule,
  type RuleContext,
} from './context';

export const smtSiblingShared: Rule = { kind: 'smt-sibling-shared', detect };

interface Core {
  readonly key: string; // "socket.die.core": what names a core; core ids repeat across sockets
  readonly label: string;
  readonly siblings: CpuList;
}

/** A vCPU's presence on one core: the siblings it is pinned to and the sibling it ran on. */
interface Presence {
  readonly vcpu: SnapshotVcpu;
  readonly pinned: CpuList;
  readonly ran: number | null;
}

function detect(ctx: RuleContext): readonly Finding[] {
  const vms = [...ctx.vms].sort((a, b) => byName(a.vm.name, b.vm.name) || a.vm.pid - b.vm.pid);
  const out: Finding[] = [];
  for (const core of smtCores(ctx)) {
    const present = vms.map((vm) => presences(ctx, vm, core));
    for (let i = 0; i < vms.length; i++) {
      for (let j = i + 1; j < vms.length; j++) {
        const x = vms[i];
        const y = vms[j];
        const px = present[i];
        const py = present[j];
        if (x === undefined || y === undefined || px === undefined || py === undefined) continue;
        const finding = judgePair(core, x, y, px, py);
        if (finding !== null) out.push(finding);
      }
    }
  }
  return out;
}

function judgePair(
  core: Core,
  x: JudgedVm,
  y: JudgedVm,
  px: readonly Presence[],
  py: readonly Presence[],
): Finding | null {
  const cpus: number[] = [];
  const vx = new Set<SnapshotVcpu>();
  const vy = new Set<SnapshotVcpu>();
  let pinned = false;
  let ran = false;
  for (const a of px) {
    for (const b of py) {
      if (pinnedApart(a.pinned, b.pinned)) {
        pinned = true;
        cpus.push(...a.pinned, ...b.pinned);
        vx.add(a.vcpu);
        vy.add(b.vcpu);
      }
      const bothRanApart = a.ran !== null && b.ran !== null && a.ran !== b.ran;
      if (bothRanApart && (a.pinned.length > 0 || b.pinned.length > 0)) {
        ran = true;
        cpus.push(a.ran, b.ran);
        vx.add(a.vcpu);
        vy.add(b.vcpu);
      }
    }
  }
  if (!pinned && !ran) return null;
  const how = pinned && ran ? 'are pinned to and ran on' : pinned ? 'are pinned to' : 'ran on';
  const indexes = (s: ReadonlySet<SnapshotVcpu>): string =>
    [...s]
      .map((v) => v.index)
      .sort((a, b) => a - b)
      .join(', ');
  const shared = union([cpus]);
  return {
    id: violationId('smt-sibling-shared', [x.vm.name, y.vm.name], `core${core.key}`),
    kind: 'smt-sibling-shared',
    severity: 'warning',
    vm: x.vm.name,
    vms: [x.vm.name, y.vm.name],
    tids: [...vx, ...vy].map((v) => v.tid).sort((a, b) => a - b),
    pcpus: shared,
    message: sentence(
      `VMs ${quoteName(x.vm.name)} (vCPU ${indexes(vx)}) and ${quoteName(y.vm.name)} (vCPU ${indexes(vy)}) ${how} SMT siblings ` +
        `${cpusLabel(shared)} of one core (${core.label}); usually pins handed out per logical CPU instead of per core, ` +
        'so two tenants share a core and can observe each other.',
    ),
    fix: null,
  };
}

/** True when the two pins name different siblings of the core (not just the same one CPU). */
function pinnedApart(a: CpuList, b: CpuList): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const [onlyA] = a;
  const [onlyB] = b;
  return !(a.length === 1 && b.length === 1 && onlyA === onlyB);
}

function presences(ctx: RuleContext, jv: JudgedVm, core: Core): readonly Presence[] {
  return jv.vm.vcpus.flatMap((v): Presence[] => {
    const pinned = pinnedTo(ctx, v.pin) ? intersectCpus(v.pin, core.siblings) : [];
    const ran = v.ran && core.siblings.includes(v.pcpu) ? v.pcpu : null;
    return pinned.length > 0 || ran !== null ? [{ vcpu: v, pinned, ran }] : [];
  });
}

/** Cores with more than one online hardware thread. */
function smtCores(ctx: RuleContext): readonly Core[] {
  const cores = new Map<string, Core>();
  const online = new Set(ctx.online);
  for (const c of ctx.topology.cpus) {
    const key = `${c.socket}.${c.die}.${c.core}`;
    if (cores.has(key)) continue;
    const siblings = c.siblings.filter((s) => online.has(s));
    if (siblings.length < 2) continue;
    cores.set(key, { key, label: `socket ${c.socket} core ${c.core}`, siblings });
  }
  return [...cores.values()];
}
