// Commands that would restore a pinning intent. vcpumap never runs them: they are shown to the
// operator, ready to copy. VM names are chosen by tenants, so they are quoted for a POSIX shell.
import { formatCpuset } from '../cpuset';
import type { CpuList } from './types';

/** The snapshot contract allows 4096 characters of `fix`; a longer command is not offered. */
export const MAX_FIX_CHARS = 4096;

export interface FixTarget {
  readonly name: string;
  readonly uuid: string | null;
  readonly source: 'qemu' | 'libvirt';
}

/** A non-vCPU thread whose pin a fix restores. */
export type FixThread =
  | { readonly kind: 'emulator'; readonly tid: number; readonly pin: CpuList }
  | { readonly kind: 'iothread'; readonly tid: number; readonly pin: CpuList; readonly number: number | null };

const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Quotes a word for a POSIX shell: as is when plainly safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  // Inside single quotes nothing is special except the quote itself: close, escaped quote, reopen.
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The virsh DOMAIN argument. The UUID is used instead of a name that virsh would read as an option
 * (leading "-") or that holds control characters (a pasted newline would split the command).
 */
export function domainArg(vm: FixTarget): string {
  const awkward = vm.name.startsWith('-') || CONTROL.test(vm.name);
  return shellQuote(awkward && vm.uuid !== null ? vm.uuid : vm.name);
}

/** Restores vCPU `index` (thread `tid`) to `cpus`. */
export function vcpuFix(vm: FixTarget, index: number, tid: number, cpus: CpuList): string | null {
  if (cpus.length === 0) return null;
  const set = formatCpuset(cpus);
  return bounded(vm.source === 'libvirt' ? `virsh vcpupin ${domainArg(vm)} ${index} ${set} --live` : taskset(tid, set));
}

/** Restores emulator and IOThreads to their pins; null when there is nothing to restore. */
export function threadsFix(vm: FixTarget, threads: readonly FixThread[]): string | null {
  if (threads.length === 0 || threads.some((t) => t.pin.length === 0)) return null;
  if (vm.source !== 'libvirt') return tasksetAll(threads);
  // libvirt pins all emulator threads at once (the emulator cgroup), so they must share one set.
  const emulatorSets = new Set(threads.flatMap((t) => (t.kind === 'emulator' ? [formatCpuset(t.pin)] : [])));
  if (emulatorSets.size > 1) return null;
  const commands: string[] = [];
  const loose: FixThread[] = []; // IOThreads libvirt cannot name: fall back to taskset
  for (const set of emulatorSets) commands.push(`virsh emulatorpin ${domainArg(vm)} ${set} --live`);
  for (const t of threads) {
    if (t.kind !== 'iothread') continue;
    if (t.number === null) loose.push(t);
    else commands.push(`virsh iothreadpin ${domainArg(vm)} ${t.number} ${formatCpuset(t.pin)} --live`);
  }
  const tail = loose.length > 0 ? tasksetAll(loose) : null;
  if (loose.length > 0 && tail === null) return null;
  return bounded([...commands, ...(tail === null ? [] : [tail])].join(' && '));
}

/** `taskset -pc SET TID` for each thread, joined with `&&`; a loop when that gets too long. */
function tasksetAll(threads: readonly FixThread[]): string | null {
  const sorted = [...threads].sort((a, b) => a.tid - b.tid);
  const joined = sorted.map((t) => taskset(t.tid, formatCpuset(t.pin))).join(' && ');
  if (joined.length <= MAX_FIX_CHARS) return joined;
  const sets = new Set(sorted.map((t) => formatCpuset(t.pin)));
  const [only] = sets;
  if (sets.size !== 1 || only === undefined) return null;
  return bounded(`for t in ${sorted.map((t) => t.tid).join(' ')}; do taskset -pc ${only} "$t"; done`);
}

function taskset(tid: number, set: string): string {
  return `taskset -pc ${set} ${tid}`;
}

function bounded(cmd: string): string | null {
  return cmd.length <= MAX_FIX_CHARS ? cmd : null;
}
