// Frames from untrusted JSON: the compiled schema (validate.ts), then the relations it cannot
// say (frame-checks.ts). Ticks are rebuilt with their known keys only, since they are stored and
// streamed as they are; snapshots and structures keep only known keys when they are split.
import { traceFields, type Snapshot } from '../model/snapshot';
import type { CompactTick, CpuExact, VcpuExact } from './compact-tick';
import { checkStructure, checkTickOrder } from './frame-checks';
import { pickViolation } from './pick-violation';
import type { StructureBody } from './structure-body';
import { snapshotValidator, structureValidator, tickValidator } from './validate';

/** A compact tick, or FieldError naming the first bad field under `path` (e.g. "frames.3"). */
export function parseTick(v: unknown, path: string): CompactTick {
  const t = tickValidator.parse(v, path);
  checkTickOrder(t, path);
  return {
    tick: t.tick,
    host: t.host,
    at: t.at,
    intervalMs: t.intervalMs,
    ...(t.mode !== undefined ? { mode: t.mode } : {}),
    ...(t.trace !== undefined ? { trace: traceFields(t.trace) } : {}),
    structure: t.structure,
    pcpu: t.pcpu,
    ran: t.ran,
    state: t.state,
    ...(t.states !== undefined && t.states.length > 0 ? { states: t.states.map((x) => [x[0], x[1]] as const) } : {}),
    vcpus: t.vcpus.map((x) => [x[0], x[1], x[2], x[3]] as const),
    runNs: t.runNs,
    waitNs: t.waitNs,
    busy: t.busy,
    violations: t.violations.map(pickViolation),
    ...(t.residency !== undefined && t.residency.length > 0 ? { residency: t.residency } : {}),
    ...(t.vcpuExact !== undefined && t.vcpuExact.length > 0 ? { vcpuExact: t.vcpuExact.map(pickVcpuExact) } : {}),
    ...(t.cpuExact !== undefined && t.cpuExact.length > 0 ? { cpuExact: t.cpuExact.map(pickCpuExact) } : {}),
  };
}

function pickVcpuExact(x: VcpuExact): VcpuExact {
  const w = x.wakeLatencyNs;
  return {
    entry: x.entry,
    ...(x.residency !== undefined ? { residency: x.residency } : {}),
    ...(x.migrations !== undefined ? { migrations: x.migrations } : {}),
    ...(w !== undefined ? { wakeLatencyNs: w === null ? null : ([w[0], w[1], w[2], w[3]] as const) } : {}),
  };
}

function pickCpuExact(x: CpuExact): CpuExact {
  return {
    index: x.index,
    ...(x.others !== undefined
      ? {
          others: x.others.map((o) => ({ pid: o.pid, tid: o.tid, comm: o.comm, ns: o.ns, switchIns: o.switchIns, kernel: o.kernel, ...(o.vm !== undefined ? { vm: o.vm } : {}) })),
        }
      : {}),
    ...(x.othersRest !== undefined ? { othersRest: { tasks: x.othersRest.tasks, ns: x.othersRest.ns } } : {}),
    ...(x.irqs !== undefined ? { irqs: x.irqs.map((q) => ({ irq: q.irq, name: q.name, count: q.count })) } : {}),
    ...(x.lostEvents !== undefined ? { lostEvents: x.lostEvents } : {}),
  };
}

export function parseSnapshot(v: unknown, path: string): Snapshot {
  const s = snapshotValidator.parse(v, path);
  checkStructure(s, path);
  return s;
}

export function parseStructure(v: unknown, path: string): StructureBody {
  const s = structureValidator.parse(v, path);
  checkStructure(s, path);
  return s;
}
