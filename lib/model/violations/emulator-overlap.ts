// emulator-overlap: an emulator, I/O or vhost thread (of any VM, the dedicated VM itself included)
// may run, or ran, on the pCPUs of a dedicated VM's vCPUs. Device emulation then steals their time.
import { intersectCpus } from '../../cpuset';
import { threadsFix, type FixTarget, type FixThread } from '../fix-commands';
import { iothreadNumber } from '../thread-roles';
import type { SnapshotThread } from '../snapshot';
import {
  cpusLabel,
  nonVcpuThreads,
  ranOn,
  sentence,
  tidsLabel,
  union,
  vcpuPinUnion,
  violationId,
  vmLabel,
  type Finding,
  type Rule,
  type RuleContext,
} from './context';

export const emulatorOverlap: Rule = { kind: 'emulator-overlap', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const a of ctx.vms) {
    if (a.intent === null || !a.intent.dedicated) continue;
    const reserved = vcpuPinUnion(a.vm);
    if (reserved.length === 0) continue;
    const reservedSet = new Set(reserved);
    for (const t of ctx.vms) {
      const hits: { thread: SnapshotThread; cpus: readonly number[] }[] = [];
      for (const th of nonVcpuThreads(t.vm)) {
        if (th.role !== 'emulator' && th.role !== 'iothread' && th.role !== 'vhost') continue;
        // An unpinned thread is judged by where the kernel lets it run.
        const allowed = intersectCpus(th.pin ?? th.affinity, reserved);
        const used = ranOn(th, reservedSet) ? [th.pcpu] : [];
        if (allowed.length > 0 || used.length > 0) hits.push({ thread: th, cpus: union([allowed, used]) });
      }
      if (hits.length === 0) continue;
      const tids = hits.map((h) => h.thread.tid);
      const cpus = union(hits.map((h) => h.cpus));
      const whose = t === a ? 'its own' : `${vmLabel(a.vm.name)}'s`;
      const vms = t === a ? [a.vm.name] : [t.vm.name, a.vm.name];
      out.push({
        id: violationId('emulator-overlap', vms),
        kind: 'emulator-overlap',
        severity: 'warning',
        vm: t.vm.name,
        vms,
        tids,
        pcpus: cpus,
        message: sentence(
          `${vmLabel(t.vm.name)} emulator/I/O${hits.some((h) => h.thread.role === 'vhost') ? '/vhost' : ''} threads (${tidsLabel(tids)}) may run or ran on ${cpusLabel(cpus)}, the pCPUs of ` +
            `${whose} dedicated vCPUs; usually an emulatorpin or iothreadpin missing or set to the vCPU cores.`,
        ),
        fix: restoreFix(t.vm, hits.map((h) => h.thread), reserved),
      });
    }
  }
  return out;
}

/**
 * A command exists only when every offending thread has a pin clear of the reserved pCPUs (it
 * drifted onto them); when the pin itself overlaps, the intent is what needs changing.
 */
function restoreFix(vm: FixTarget, threads: readonly SnapshotThread[], reserved: readonly number[]): string | null {
  const fixes: FixThread[] = [];
  for (const th of threads) {
    if (th.pin === null || intersectCpus(th.pin, reserved).length > 0) return null;
    if (th.role === 'emulator' || th.role === 'vhost') fixes.push({ kind: 'emulator', tid: th.tid, pin: th.pin });
    else {
      const number = th.iothread === undefined ? null : iothreadNumber(th.iothread);
      fixes.push({ kind: 'iothread', tid: th.tid, pin: th.pin, number });
    }
  }
  return threadsFix(vm, fixes);
}
