// affinity-drift: the kernel's affinity (Cpus_allowed_list) of a thread is not its intended pin.
// libvirt keeps reporting the pins it was told, so only the kernel's mask shows the drift.
import { intersectCpus, sameCpus } from '../../cpuset';
import { cgroupAdvice } from '../cgroup-advice';
import { threadsFix, vcpuFix, type FixThread } from '../fix-commands';
import { iothreadNumber } from '../thread-roles';
import type { SnapshotVm } from '../snapshot';
import type { CgroupCpuset, CpuList } from '../types';
import {
  quoteName,
  sentence,
  setText,
  symmetricDifference,
  tidsLabel,
  union,
  violationId,
  vmLabel,
  type Finding,
  type Rule,
  type RuleContext,
} from './context';

export const affinityDrift: Rule = { kind: 'affinity-drift', detect };

const CAUSE = 'usually a taskset, a cgroup cpuset change, or a libvirtd restart that did not re-apply the pins';

function detect(ctx: RuleContext): readonly Finding[] {
  const agrees = agreement(ctx.online);
  return ctx.vms.flatMap(({ vm, intent, cgroups }) => {
    if (intent === null) return [];
    const cg: Cgroups = { of: cgroups, online: ctx.online };
    return [...vcpuDrift(vm, agrees, cg), ...emulatorDrift(vm, intent.emulatorpin, agrees, cg), ...iothreadDrift(vm, agrees, cg)];
  });
}

interface Cgroups {
  readonly of: ReadonlyMap<number, CgroupCpuset>;
  readonly online: CpuList;
}

/** "; CAUSE" or, when the thread's cgroup explains or blocks the mask, "; what the cgroup does". */
function why(note: string | null): string {
  return `; ${note ?? CAUSE}`;
}

type Agrees = (affinity: CpuList, pin: CpuList) => boolean;

/**
 * Affinity and pin are compared on the online CPUs: a pin naming CPUs the host does not have
 * online (a pins file written for a bigger host, a CPU taken offline) cannot show up in the
 * kernel's mask, and that alone is not drift. An empty affinity is unknown, not drift: the
 * kernel never reports one, but pasted `ps` output (/analyze) carries no affinity at all.
 */
function agreement(online: CpuList): Agrees {
  return (affinity, pin) => {
    if (affinity.length === 0) return true;
    const usable = intersectCpus(pin, online);
    return sameCpus(intersectCpus(affinity, online), usable.length > 0 ? usable : pin);
  };
}

function vcpuDrift(vm: SnapshotVm, agrees: Agrees, cg: Cgroups): readonly Finding[] {
  return vm.vcpus.flatMap((v): Finding[] => {
    if (v.pin === null || agrees(v.affinity, v.pin)) return [];
    const advice = cgroupAdvice(vm, cg.of.get(v.tid), 1, v.affinity, v.pin, cg.online, vcpuFix(vm, v.index, v.tid, v.pin));
    return [
      {
        id: violationId('affinity-drift', [vm.name], `vcpu${v.index}`),
        kind: 'affinity-drift',
        severity: 'critical',
        vm: vm.name,
        vms: [vm.name],
        vcpu: v.index,
        tid: v.tid,
        pcpus: symmetricDifference(v.affinity, v.pin),
        message: sentence(
          `${vmLabel(vm.name)} vCPU ${v.index} (TID ${v.tid}) may run on ${setText(v.affinity)} but is pinned to ${setText(v.pin)}${why(advice.note)}.`,
        ),
        fix: advice.fix,
      },
    ];
  });
}

/**
 * One violation for all emulator threads of the VM (vhost workers included: libvirt places them
 * with the emulator): libvirt pins them together (one cgroup).
 */
function emulatorDrift(vm: SnapshotVm, emulatorpin: CpuList | null, agrees: Agrees, cg: Cgroups): readonly Finding[] {
  if (emulatorpin === null) return [];
  const drifted = vm.threads.filter((t) => (t.role === 'emulator' || t.role === 'vhost') && !agrees(t.affinity, emulatorpin));
  if (drifted.length === 0) return [];
  const tids = drifted.map((t) => t.tid);
  const affinities = [...new Set(drifted.map((t) => setText(t.affinity)))].join(' / ');
  const fixThreads: FixThread[] = drifted.map((t) => ({ kind: 'emulator', tid: t.tid, pin: emulatorpin }));
  const advice = cgroupAdvice(vm, sharedCgroup(drifted.map((t) => cg.of.get(t.tid))), drifted.length, drifted[0]?.affinity ?? [], emulatorpin, cg.online, threadsFix(vm, fixThreads));
  const what = drifted.some((t) => t.role === 'vhost') ? 'emulator and vhost threads' : 'emulator threads';
  return [
    {
      // Not keyed on the tids: QEMU's worker threads come and go, the problem stays the same.
      id: violationId('affinity-drift', [vm.name], 'emulator'),
      kind: 'affinity-drift',
      severity: 'warning',
      vm: vm.name,
      vms: [vm.name],
      tids,
      pcpus: union(drifted.map((t) => symmetricDifference(t.affinity, emulatorpin))),
      message: sentence(
        `${vmLabel(vm.name)} ${what} (${tidsLabel(tids)}) may run on ${affinities} but emulatorpin is ${setText(emulatorpin)}${why(advice.note)}.`,
      ),
      fix: advice.fix,
    },
  ];
}

/** The cgroup of every thread when they all share one (and it is known), else undefined. */
function sharedCgroup(cgs: readonly (CgroupCpuset | undefined)[]): CgroupCpuset | undefined {
  const [first] = cgs;
  return first !== undefined && cgs.every((c) => c !== undefined && c.path === first.path) ? first : undefined;
}

function iothreadDrift(vm: SnapshotVm, agrees: Agrees, cg: Cgroups): readonly Finding[] {
  return vm.threads.flatMap((t): Finding[] => {
    if (t.role !== 'iothread' || t.pin === null || agrees(t.affinity, t.pin)) return [];
    const id = t.iothread ?? `tid${t.tid}`;
    const restore = threadsFix(vm, [
      { kind: 'iothread', tid: t.tid, pin: t.pin, number: t.iothread === undefined ? null : iothreadNumber(t.iothread) },
    ]);
    const advice = cgroupAdvice(vm, cg.of.get(t.tid), 1, t.affinity, t.pin, cg.online, restore);
    return [
      {
        id: violationId('affinity-drift', [vm.name], `iothread:${encodeURIComponent(id)}`),
        kind: 'affinity-drift',
        severity: 'warning',
        vm: vm.name,
        vms: [vm.name],
        tid: t.tid,
        pcpus: symmetricDifference(t.affinity, t.pin),
        message: sentence(
          `${vmLabel(vm.name)} IOThread ${quoteName(id)} (TID ${t.tid}) may run on ${setText(t.affinity)} but is pinned to ${setText(t.pin)}${why(advice.note)}.`,
        ),
        fix: advice.fix,
      },
    ];
  });
}
