// Exact mode's figures put into the snapshot: per vCPU and thread its residency, migrations and
// wake-up latency; per watched pCPU (pinned by a VM, or isolated) the other tasks that ran there
// and its interrupts. Pure. A VM with nothing new keeps the very same object tick after tick, so
// the snapshot's JSON caching and the violation reuse still see an idle VM as unchanged.
import { MAX_OTHERS_PER_CPU, type ExactObservation, type ExactResidency } from './exact';
import type { Snapshot, SnapshotCpu, SnapshotOtherTask, SnapshotThread, SnapshotVcpu, SnapshotVm } from './snapshot';
import type { CpuList } from './types';

/** The pCPUs whose other tasks exact mode keeps: every pCPU a vCPU is pinned to, and the isolated ones. */
export function watchedCpus(topology: Snapshot['topology'], vms: readonly SnapshotVm[]): number[] {
  const online = topology.cpus.map((c) => c.cpu);
  const out = new Set<number>(topology.isolated);
  for (const vm of vms) for (const v of vm.vcpus) if (restricts(v.pin, online)) for (const c of v.pin) out.add(c);
  return [...out].sort((a, b) => a - b);
}

/** A pin that names CPUs on purpose (not every online CPU): its vCPU owns those pCPUs. */
function restricts(pin: CpuList | null, online: CpuList): pin is CpuList {
  return pin !== null && pin.length > 0 && pin.length < online.length;
}

const NO_RESIDENCY: readonly ExactResidency[] = [];
const quiet = new WeakSet<SnapshotVm>(); // decorated VMs with no exact activity
const quietOf = new WeakMap<SnapshotVm, SnapshotVm>();

/**
 * The trace placed at least this much less of a vCPU's interval than schedstat counts it ran
 * (ns; the larger of the two), beyond what ran between the trace's cut and the schedstat read:
 * its residency is incomplete. Below it, a hypervisor's steal (the trace's clock runs on through
 * it, schedstat's does not) and a switch the decoder placed from its wake-up.
 */
export const TRACE_SHORT_NS = 25e6;
export const TRACE_SHORT_SHARE = 0.1;

/**
 * How much of its run time (schedstat) the trace did not place on any pCPU, when that is more than
 * the cut and the read apart explain (TRACE_SHORT_NS, TRACE_SHORT_SHARE, beyond the time between
 * them: cutToReadNs); else 0. A switch-in the kernel did not report and nothing placed ends that way.
 */
export function traceShortNs(v: SnapshotVcpu, exact: Pick<ExactObservation, 'threads' | 'cutToReadNs'>): number {
  if (v.runNs === null || v.runNs <= TRACE_SHORT_NS) return 0;
  let placed = 0;
  for (const r of exact.threads.get(v.tid)?.residency ?? NO_RESIDENCY) placed += r.ns;
  const short = v.runNs - placed - exact.cutToReadNs;
  return short > TRACE_SHORT_NS && short > TRACE_SHORT_SHARE * v.runNs ? short + exact.cutToReadNs : 0;
}

/**
 * The VM with exact figures on each vCPU and thread followed for the whole interval. A vCPU that
 * ran (schedstat) while its pCPU was blind to the trace gets none: unknown, not "did not run"; so
 * does one whose run time the trace placed only in part (traceShortNs): a part of its residency
 * would read as where it ran.
 */
export function exactVm(vm: SnapshotVm, exact: ExactObservation): SnapshotVm {
  let active = false;
  for (const t of vm.threads) if (exact.threads.has(t.tid)) active = true;
  const blind = exact.blindCpus.length > 0 ? new Set(exact.blindCpus) : null;
  const known = (t: { readonly tid: number; readonly ran: boolean; readonly pcpu: number }): boolean =>
    exact.covered.has(t.tid) && !(blind !== null && t.ran && blind.has(t.pcpu) && !exact.threads.has(t.tid));
  let short: Set<number> | null = null;
  for (const v of vm.vcpus) if (traceShortNs(v, exact) > 0) (short ??= new Set()).add(v.tid);
  const knownVcpu = (v: { readonly tid: number; readonly ran: boolean; readonly pcpu: number }): boolean => known(v) && !(short?.has(v.tid) ?? false);
  if (!active) {
    // Nothing ran: the decorated VM of the last tick still holds, if it knew the same threads.
    const cached = quiet.has(vm) ? vm : quietOf.get(vm);
    if (cached && cached.threads.every((t) => (t.residency !== undefined) === knownVcpu(t)) && cached.vcpus.every((v) => (v.residency !== undefined) === knownVcpu(v))) return cached;
  }
  const vcpus = vm.vcpus.map((v) => (knownVcpu(v) ? exactVcpu(v, exact) : v));
  const threads = vm.threads.map((t) => (knownVcpu(t) ? exactThread(t, exact) : t));
  const out: SnapshotVm = { ...vm, vcpus, threads }; // same key order: vcpus and threads keep their places
  if (!active) {
    quiet.add(out);
    quietOf.set(vm, out);
  }
  return out;
}

// One literal per shape, keys in contract order (docs/api.md), so every vCPU entry shares a class.
function exactVcpu(v: SnapshotVcpu, exact: ExactObservation): SnapshotVcpu {
  const e = exact.threads.get(v.tid);
  const residency = e?.residency ?? NO_RESIDENCY;
  const migrations = e?.migrations ?? 0;
  const wakeLatencyNs = e?.wakeLatencyNs ?? null;
  if (v.props === undefined) {
    return { index: v.index, tid: v.tid, pcpu: v.pcpu, affinity: v.affinity, pin: v.pin, ran: v.ran, state: v.state, runNs: v.runNs, waitNs: v.waitNs, identity: v.identity, residency, migrations, wakeLatencyNs };
  }
  return { index: v.index, tid: v.tid, pcpu: v.pcpu, affinity: v.affinity, pin: v.pin, ran: v.ran, state: v.state, runNs: v.runNs, waitNs: v.waitNs, identity: v.identity, props: v.props, residency, migrations, wakeLatencyNs };
}

function exactThread(t: SnapshotThread, exact: ExactObservation): SnapshotThread {
  const residency = exact.threads.get(t.tid)?.residency ?? NO_RESIDENCY;
  // Every field the thread has (policy and priority included: sched-policy-drift and the views
  // read them in exact mode too), then its residency, in contract order.
  return { ...t, residency };
}

/**
 * The topology's pCPUs with what exact mode saw on the watched ones: the other tasks (the VMs'
 * threads that are not vCPUs pinned there, and every other task), the interrupts, lost events.
 */
export function exactCpus(cpus: readonly SnapshotCpu[], vms: readonly SnapshotVm[], exact: ExactObservation): readonly SnapshotCpu[] {
  if (exact.watched.length === 0 && exact.lostByCpu.size === 0) return cpus;
  const watched = new Set(exact.watched);
  const online = cpus.map((c) => c.cpu);
  // The VMs' own threads per pCPU, from their residency, leaving out the vCPUs pinned there.
  const vmRuns = new Map<number, SnapshotOtherTask[]>();
  for (const vm of vms) {
    const pinOf = new Map<number, CpuList | null>();
    for (const v of vm.vcpus) pinOf.set(v.tid, v.pin);
    for (const t of vm.threads) {
      if (t.residency === undefined) continue;
      const pin = pinOf.get(t.tid);
      for (const r of t.residency) {
        if (!watched.has(r.pcpu) || r.ns <= 0) continue;
        if (pin !== undefined && restricts(pin, online) && pin.includes(r.pcpu)) continue; // it belongs there
        let list = vmRuns.get(r.pcpu);
        if (!list) vmRuns.set(r.pcpu, (list = []));
        list.push({ pid: vm.pid, tid: t.tid, comm: t.name, ns: r.ns, switchIns: r.switchIns, kernel: false, vm: vm.name });
      }
    }
  }
  return cpus.map((c) => {
    const lost = exact.lostByCpu.get(c.cpu) ?? 0;
    if (!watched.has(c.cpu)) return lost > 0 ? { ...c, lostEvents: lost } : c;
    const all: SnapshotOtherTask[] = [...(vmRuns.get(c.cpu) ?? [])];
    for (const o of exact.others.get(c.cpu) ?? []) {
      all.push(o.vm === null ? { pid: o.pid, tid: o.tid, comm: o.comm, ns: o.ns, switchIns: o.switchIns, kernel: o.kernel } : { pid: o.pid, tid: o.tid, comm: o.comm, ns: o.ns, switchIns: o.switchIns, kernel: o.kernel, vm: o.vm });
    }
    all.sort((a, b) => b.ns - a.ns || a.tid - b.tid);
    const others = all.slice(0, MAX_OTHERS_PER_CPU);
    const rest = exact.othersRest.get(c.cpu);
    let restTasks = rest?.tasks ?? 0;
    let restNs = rest?.ns ?? 0;
    for (const o of all.slice(MAX_OTHERS_PER_CPU)) {
      restTasks++;
      restNs += o.ns;
    }
    const irqs = exact.irqs.get(c.cpu) ?? [];
    const out: SnapshotCpu = { ...c, others, ...(restTasks > 0 ? { othersRest: { tasks: restTasks, ns: restNs } } : {}), irqs };
    return lost > 0 ? { ...out, lostEvents: lost } : out;
  });
}
