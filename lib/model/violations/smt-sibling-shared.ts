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
  const cores = smtCores(ctx);
  // Each vCPU is looked at on the cores its pin or its pCPU touch, not on every core: linear in
  // the pins, where a core-by-core scan of every VM was cores x VMs^2 on a big paste.
  const coreOfCpu = new Map<number, number>();
  cores.forEach((core, i) => {
    for (const cpu of core.siblings) coreOfCpu.set(cpu, i);
  });
  const present: { vm: number; presence: Presence }[][] = cores.map(() => []);
  vms.forEach((jv, vmIndex) => {
    for (const v of jv.vm.vcpus) {
      const touched = new Set<number>();
      if (pinnedTo(ctx, v.pin)) for (const cpu of v.pin) addCore(touched, coreOfCpu.get(cpu));
      if (v.ran) addCore(touched, coreOfCpu.get(v.pcpu));
      for (const i of [...touched].sort((a, b) => a - b)) {
        const core = cores[i];
        const presence = core === undefined ? null : presenceOn(ctx, v, core);
        if (presence !== null) present[i]?.push({ vm: vmIndex, presence });
      }
    }
  });
  const out: Finding[] = [];
  cores.forEach((core, i) => {
    // The VMs present on this core, each with its vCPUs there, in VM order.
    const byVm = new Map<number, Presence[]>();
    for (const { vm, presence } of present[i] ?? []) {
      const list = byVm.get(vm);
      if (list === undefined) byVm.set(vm, [presence]);
      else list.push(presence);
    }
    const here = [...byVm.entries()].sort((a, b) => a[0] - b[0]);
    for (let a = 0; a < here.length; a++) {
      for (let b = a + 1; b < here.length; b++) {
        const x = here[a];
        const y = here[b];
        const vx = x === undefined ? undefined : vms[x[0]];
        const vy = y === undefined ? undefined : vms[y[0]];
        if (x === undefined || y === undefined || vx === undefined || vy === undefined) continue;
        const finding = judgePair(core, vx, vy, x[1], y[1]);
        if (finding !== null) out.push(finding);
      }
    }
  });
  return out;
}

function addCore(set: Set<number>, core: number | undefined): void {
  if (core !== undefined) set.add(core);
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

/** The vCPU's presence on the core, or null when it is neither pinned to nor ran on it. */
function presenceOn(ctx: RuleContext, v: SnapshotVcpu, core: Core): Presence | null {
  const pinned = pinnedTo(ctx, v.pin) ? intersectCpus(v.pin, core.siblings) : [];
  const ran = v.ran && core.siblings.includes(v.pcpu) ? v.pcpu : null;
  return pinned.length > 0 || ran !== null ? { vcpu: v, pinned, ran } : null;
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
