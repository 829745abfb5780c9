// Which thread of a QEMU process is what: vCPU n, IOThread, vhost worker, kernel helper, emulator
// work, or unknown. Pure: works on one VmObservation. vCPUs are matched by identity (QMP / libvirt
// status XML) or by QEMU's debug-threads names, never as "every thread that is not the main one":
// the kernel puts its own helpers (kvm-nx-lpage-re, kvm-pit) into the process and they are not
// vCPUs. When nothing can tell the vCPUs (no identity, no names), the threads are "unknown", not
// "emulator": they would otherwise be judged against emulatorpin, and a fix offered for a guess.
import type { CpuList, ThreadSample, VcpuIdentity, VcpuIdentitySource, VmIdentity, VmIntent, VmObservation } from './types';

/** The role of one thread with what identifies it; discriminated on `kind`. */
export type ThreadAssignment =
  | {
      readonly kind: 'vcpu';
      readonly index: number;
      readonly source: VcpuIdentitySource;
      readonly props?: Readonly<Record<string, number>>;
    }
  | {
      readonly kind: 'iothread';
      readonly id: string; // QMP id, e.g. "iothread1"
      readonly number: number | null; // libvirt iothread id N of "iothread<N>", else null
    }
  | { readonly kind: 'vhost' }
  | { readonly kind: 'other' }
  | { readonly kind: 'emulator' }
  | { readonly kind: 'unknown' };

export interface AssignedThread {
  readonly sample: ThreadSample;
  readonly role: ThreadAssignment;
  readonly pin: CpuList | null;
}

/** QEMU names vCPU threads `CPU <n>/<accel>` when started with `-name ...,debug-threads=on`. */
const VCPU_NAME = /^CPU (\d{1,5})\/(KVM|TCG|HVF|WHPX)$/;
/** QEMU names IOThread threads `IO <id>`; libvirt's ids are `iothread<N>`. */
const IOTHREAD_NAME = /^IO (iothread\d{1,9})$/;
const LIBVIRT_IOTHREAD_ID = /^iothread(\d{1,9})$/;
const IO_NAMED = /^IO \S/;
/** vhost workers of the VM's virtio devices, named after the QEMU pid: threads of the process
 * (vhost_task, Linux 6.4+) or kernel threads of their own before that. */
const VHOST_NAME = /^vhost-(\d{1,10})$/;
/** Kernel threads that KVM creates inside the VM process; their affinity follows a vCPU cgroup. */
const KERNEL_HELPER_PREFIXES: readonly string[] = ['kvm-nx-lpage-re', 'kvm-pit'];

/** Highest vCPU index believed from a name: the snapshot contract's CPU id limit. */
const MAX_VCPU_INDEX = 8191;

/** The vCPU index a thread name announces (`CPU 3/KVM` -> 3), or null. */
export function vcpuIndexFromName(name: string): number | null {
  const m = VCPU_NAME.exec(name);
  if (m?.[1] === undefined) return null;
  const index = Number(m[1]);
  return index <= MAX_VCPU_INDEX ? index : null;
}

/** libvirt's IOThread number of a QEMU iothread id (`iothread2` -> 2), or null. */
export function iothreadNumber(id: string): number | null {
  const m = LIBVIRT_IOTHREAD_ID.exec(id);
  return m?.[1] === undefined ? null : Number(m[1]);
}

export function isKernelHelper(name: string): boolean {
  return KERNEL_HELPER_PREFIXES.some((p) => name.startsWith(p));
}

/** True for `vhost-<pid>`, the vhost worker of the QEMU process `pid`. */
export function isVhostOf(name: string, pid: number): boolean {
  const m = VHOST_NAME.exec(name);
  return m?.[1] !== undefined && Number(m[1]) === pid;
}

export interface AssignedVm {
  readonly identity: VmIdentity;
  readonly threads: readonly AssignedThread[]; // in the order of `vm.threads`
}

const EMULATOR: ThreadAssignment = { kind: 'emulator' };
const UNKNOWN: ThreadAssignment = { kind: 'unknown' };

/** The VM's identity, and the roles and pins of every thread of the VM. */
export function assignThreads(vm: VmObservation): AssignedVm {
  const roles = assignRoles(vm);
  const identity = vmIdentity(vm, roles);
  // With debug-threads=on a vCPU thread is named: an unnamed thread is none, whatever QMP knew.
  const covers = vm.namesThreads === true ? null : (vm.identityCovers ?? null);
  const threads = vm.threads.map((sample) => {
    // A thread no identity or name ties: an emulator thread when the VM's vCPUs are all known
    // (covers: the threads the last QMP answer knew of), else it may be a vCPU.
    const role = roles.get(sample.tid) ?? (identity === 'unknown' || (covers !== null && !covers.has(sample.tid)) ? UNKNOWN : EMULATOR);
    return { sample, role, pin: pinFor(role, vm.intent) };
  });
  return { identity, threads };
}

/**
 * How the VM's vCPUs are known: from its identities (libvirt, QMP) when one ties a thread, else
 * from names; a VM that names its threads (debug-threads=on) but has no vCPU thread yet is
 * "thread-name" too. "unknown" when nothing ties and nothing names.
 */
function vmIdentity(vm: VmObservation, roles: ReadonlyMap<number, ThreadAssignment>): VmIdentity {
  let named = false;
  for (const r of roles.values()) {
    if (r.kind !== 'vcpu') continue;
    if (r.source !== 'thread-name') return r.source;
    named = true;
  }
  const told = vm.vcpus[0]?.source;
  if (told !== undefined) return told; // identities exist but tie no present thread (a race)
  // QEMU names its IOThreads (`IO iothread1`, `IO mon_iothread`) only with debug-threads=on too.
  if (named || vm.namesThreads === true || vm.threads.some((t) => IO_NAMED.test(t.name))) return 'thread-name';
  return 'unknown';
}

/** The intended CPUs of a thread with this role; null when the intent says nothing. */
export function pinFor(role: ThreadAssignment, intent: VmIntent | null): CpuList | null {
  if (intent === null) return null;
  switch (role.kind) {
    case 'vcpu':
      return intent.vcpupin.get(role.index) ?? intent.vcpuDefault ?? null;
    case 'iothread':
      // libvirt leaves IOThreads without an <iothreadpin> in the emulator cgroup.
      return (role.number === null ? undefined : intent.iothreadpin.get(role.number)) ?? intent.emulatorpin;
    case 'emulator':
    case 'vhost': // libvirt puts vhost workers in the emulator cgroup
      return intent.emulatorpin;
    case 'other':
    case 'unknown':
      return null;
  }
}

function assignRoles(vm: VmObservation): ReadonlyMap<number, ThreadAssignment> {
  const present = new Set(vm.threads.map((t) => t.tid));
  const roles = new Map<number, ThreadAssignment>();
  const vcpuIndexes = new Set<number>();

  // 1. vCPU identities from QMP / libvirt; the first claim of an index or a tid wins.
  for (const id of vm.vcpus) {
    if (!present.has(id.tid) || roles.has(id.tid) || vcpuIndexes.has(id.index)) continue;
    roles.set(id.tid, vcpuRole(id));
    vcpuIndexes.add(id.index);
  }
  // 2. Known IOThreads.
  const iothreadIds = new Set<string>();
  for (const io of vm.iothreads) {
    if (!present.has(io.tid) || roles.has(io.tid) || iothreadIds.has(io.id)) continue;
    roles.set(io.tid, { kind: 'iothread', id: io.id, number: iothreadNumber(io.id) });
    iothreadIds.add(io.id);
  }
  // 3. Names fill the gaps (no QMP, or a hot-plugged vCPU QMP has not been asked about yet).
  for (const t of [...vm.threads].sort((a, b) => a.tid - b.tid)) {
    if (roles.has(t.tid)) continue;
    const index = vcpuIndexFromName(t.name);
    if (index !== null && !vcpuIndexes.has(index)) {
      roles.set(t.tid, { kind: 'vcpu', index, source: 'thread-name' });
      vcpuIndexes.add(index);
      continue;
    }
    const io = IOTHREAD_NAME.exec(t.name)?.[1];
    if (io !== undefined && !iothreadIds.has(io)) {
      roles.set(t.tid, { kind: 'iothread', id: io, number: iothreadNumber(io) });
      iothreadIds.add(io);
      continue;
    }
    if (isVhostOf(t.name, vm.pid)) roles.set(t.tid, { kind: 'vhost' });
    else if (isKernelHelper(t.name)) roles.set(t.tid, { kind: 'other' });
  }
  return roles;
}

function vcpuRole(id: VcpuIdentity): ThreadAssignment {
  return id.props === undefined
    ? { kind: 'vcpu', index: id.index, source: id.source }
    : { kind: 'vcpu', index: id.index, source: id.source, props: id.props };
}
