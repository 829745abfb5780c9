// isolation-mismatch: with isolated CPUs on the host (isolcpus / cpuset partitions), pinned vCPUs
// should sit either all on isolated CPUs or all off them, a dedicated VM belongs on isolated CPUs,
// and host work (emulator threads, kernel helpers, other processes) belongs off them.
import { threadsFix, type FixThread } from '../fix-commands';
import {
  cpusLabel,
  pinnedTo,
  sentence,
  setText,
  tidsLabel,
  union,
  violationId,
  vmLabel,
  type Finding,
  type Rule,
  type RuleContext,
} from './context';
import type { SnapshotVm } from '../snapshot';

export const isolationMismatch: Rule = { kind: 'isolation-mismatch', detect, perTick: true };

/** Share of an interval (0..1) above which an isolated pCPU counts as doing host work. */
const HOST_BUSY_THRESHOLD = 0.2;

function detect(ctx: RuleContext): readonly Finding[] {
  if (ctx.isolated.size === 0) return [];
  return [
    ...ctx.vms.flatMap(({ vm, intent }) => [
      ...vcpuPlacement(ctx, vm, intent?.dedicated ?? false),
      ...hostThreads(ctx, vm),
    ]),
    ...busyIsolated(ctx),
  ];
}

function vcpuPlacement(ctx: RuleContext, vm: SnapshotVm, dedicated: boolean): readonly Finding[] {
  const pins = union(vm.vcpus.flatMap((v) => (pinnedTo(ctx, v.pin) ? [v.pin] : [])));
  if (pins.length === 0) return [];
  const isolated = pins.filter((c) => ctx.isolated.has(c));
  const housekeeping = pins.filter((c) => !ctx.isolated.has(c));
  let what: string;
  if (isolated.length > 0 && housekeeping.length > 0) {
    what =
      `vCPU pins mix isolated ${cpusLabel(isolated)} with non-isolated ${cpusLabel(housekeeping)}; ` +
      'usually a pin list that ran past the end of the isolated range';
  } else if (dedicated && isolated.length === 0) {
    what =
      `is dedicated but its vCPUs are pinned to non-isolated ${cpusLabel(pins)} while the host isolates ` +
      `${setText([...ctx.isolated].sort((a, b) => a - b))}; usually pins written before the host was set up with isolcpus`;
  } else return [];
  return [
    {
      id: violationId('isolation-mismatch', [vm.name], 'vcpu-pins'),
      kind: 'isolation-mismatch',
      severity: 'warning',
      vm: vm.name,
      vms: [vm.name],
      pcpus: pins,
      message: sentence(`${vmLabel(vm.name)} ${what}.`),
      fix: null,
    },
  ];
}

/** Emulator threads, vhost workers and kernel helpers of the VM that ran on an isolated CPU this interval. */
function hostThreads(ctx: RuleContext, vm: SnapshotVm): readonly Finding[] {
  const hits = vm.threads.filter(
    (t) => (t.role === 'emulator' || t.role === 'vhost' || t.role === 'other') && t.ran && ctx.isolated.has(t.pcpu),
  );
  if (hits.length === 0) return [];
  const tids = hits.map((t) => t.tid);
  const cpus = union([hits.map((t) => t.pcpu)]);
  // Restorable only when every thread's own pin keeps it off the isolated CPUs (it drifted).
  const fixes: FixThread[] = [];
  for (const t of hits) {
    if ((t.role !== 'emulator' && t.role !== 'vhost') || t.pin === null || t.pin.some((c) => ctx.isolated.has(c))) break;
    fixes.push({ kind: 'emulator', tid: t.tid, pin: t.pin });
  }
  return [
    {
      id: violationId('isolation-mismatch', [vm.name], 'host-threads'),
      kind: 'isolation-mismatch',
      severity: 'warning',
      vm: vm.name,
      vms: [vm.name],
      tids,
      pcpus: cpus,
      message: sentence(
        `${vmLabel(vm.name)} emulator or kernel helper threads (${tidsLabel(tids)}) ran on isolated ${cpusLabel(cpus)}; ` +
          'usually a missing emulatorpin, or a vCPU cgroup that kernel helpers like kvm-nx-lpage-recovery follow.',
      ),
      fix: fixes.length === hits.length ? threadsFix(vm, fixes) : null,
    },
  ];
}

/**
 * Isolated pCPUs busy in the interval with no tracked vCPU on them: host work where none belongs.
 * A thread of unknown role (a VM whose vCPUs cannot be identified) may be a vCPU: its pCPU is not
 * counted as host work either.
 */
function busyIsolated(ctx: RuleContext): readonly Finding[] {
  const vcpuRanOn = new Set(
    ctx.vms.flatMap(({ vm }) => [
      ...vm.vcpus.flatMap((v) => (v.ran ? [v.pcpu] : [])),
      ...vm.threads.flatMap((t) => (t.role === 'unknown' && t.ran ? [t.pcpu] : [])),
    ]),
  );
  const busy = ctx.topology.cpus.filter(
    (c) => c.isolated && c.busy !== null && c.busy > HOST_BUSY_THRESHOLD && !vcpuRanOn.has(c.cpu),
  );
  if (busy.length === 0) return [];
  const peak = Math.max(...busy.map((c) => c.busy ?? 0));
  const cpus = busy.map((c) => c.cpu);
  return [
    {
      id: violationId('isolation-mismatch', [], 'host-busy'),
      kind: 'isolation-mismatch',
      severity: 'warning',
      vm: '(host)',
      vms: [],
      pcpus: cpus,
      message: sentence(
        `Isolated ${cpusLabel(cpus)} ${cpus.length === 1 ? 'was' : 'were'} up to ${Math.round(peak * 100)}% busy in the last interval ` +
          'while no tracked vCPU ran there; usually host processes, kernel threads or IRQs placed on isolated CPUs.',
      ),
      fix: null,
    },
  ];
}
