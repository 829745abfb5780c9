// What a thread's cpuset cgroup means for a mask that is not its pin. A task's mask never leaves
// its cgroup's cpuset (taskset fails with EINVAL: fixture violation-1-taskset-in-cgroup.txt), and
// a cpuset that shrinks, or a move into a cgroup, sets the mask of its tasks (cgroup v1 before
// Linux 6.2 resets it on any write to cpuset.cpus). So a mask may come from the cgroup rather
// than from a taskset, and a cgroup that excludes the pin must change before any taskset can
// restore it. Pure.
import { formatCpuset, intersectCpus, isSubset, sameCpus } from '../cpuset';
import { shellQuote, MAX_FIX_CHARS, type FixTarget } from './fix-commands';
import type { CgroupCpuset, CpuList } from './types';

export interface CgroupAdvice {
  /** A clause for the message, or null when the cgroup neither explains nor blocks anything. */
  readonly note: string | null;
  /** The command that restores the pin with the cgroup taken into account; null when none is safe. */
  readonly fix: string | null;
}

/**
 * `restore` is the usual command (virsh or taskset) for the `threads` (tids) whose mask is
 * `affinity` and should be `pin`; `cg` is the cgroup they are all in, when known.
 */
export function cgroupAdvice(
  vm: FixTarget,
  cg: CgroupCpuset | undefined,
  threads: number,
  affinity: CpuList,
  pin: CpuList,
  online: CpuList,
  restore: string | null,
): CgroupAdvice {
  if (cg === undefined || cg.cpus.length === 0) return { note: null, fix: restore };
  const usable = intersectCpus(pin, online);
  const want = usable.length > 0 ? usable : pin;
  const cpus = formatCpuset(cg.cpus);
  if (isSubset(want, cg.cpus)) {
    // The pin fits the cgroup: the usual command works; say where the mask came from.
    const fromCgroup = sameCpus(intersectCpus(affinity, online), intersectCpus(cg.cpus, online));
    return {
      note: fromCgroup ? `the mask is the cpuset of its cgroup (${cg.file}: ${cpus}), so a cgroup change or a move into that cgroup set it, not a taskset` : null,
      fix: restore,
    };
  }
  const blocked = `its cgroup's cpuset (${cg.file}: ${cpus}) excludes the pin, so no taskset can restore it`;
  // The cgroup holds only these threads (libvirt's vcpuN, emulator or iothreadN cgroup, or one made
  // for this thread): changing it touches nothing else.
  const own = cg.tasks <= threads;
  if (own && vm.source === 'libvirt') {
    // virsh vcpupin / emulatorpin / iothreadpin --live write that very cpuset.cpus first.
    return { note: `${blocked}; virsh rewrites that cgroup`, fix: restore };
  }
  if (restore === null) return { note: blocked, fix: null };
  if (own) return { note: blocked, fix: bounded(`echo ${formatCpuset(pin)} > ${quotePath(cg.writeFile)} && ${restore}`) };
  if (cg.version === 2) {
    // cgroup v2 keeps each task's own sched_setaffinity mask when a cpuset widens (Linux 6.2+).
    const widened = formatCpuset([...new Set([...cg.cpus, ...pin])].sort((a, b) => a - b));
    return { note: blocked, fix: bounded(`echo ${widened} > ${quotePath(cg.writeFile)} && ${restore}`) };
  }
  // cgroup v1 before Linux 6.2 resets the mask of every task of a cgroup whose cpuset.cpus is written.
  return { note: `${blocked}, and widening it may reset the affinity of the ${cg.tasks - threads} other tasks in it`, fix: null };
}

/** A file path for a POSIX shell: as is when plainly safe, else quoted. */
function quotePath(path: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(path) ? path : shellQuote(path);
}

function bounded(cmd: string): string | null {
  return cmd.length <= MAX_FIX_CHARS ? cmd : null;
}
