// Validation of agent frames at the ingest boundary. Every field of the Snapshot contract is
// checked, with bounds: frames come from the network and VM names from tenants.
import { z } from 'zod';
import { SNAPSHOT_VERSION, type Snapshot } from '../model/snapshot';
import type { StructureBody } from '../wire/structure-body';

export const MAX_CPU = 8191;
export const MAX_TIME = 8.64e15; // epoch ms
export const BAD_HOST_CHARS = /[\s/\\?#%]/;
export const HOST_MESSAGE = 'a host name without spaces, slashes, ?, # or %';
const cpu = z.number().int().min(0).max(MAX_CPU);
const cpuList = z.array(cpu).max(MAX_CPU + 1);
const tid = z.number().int().min(1).max(2 ** 31);
const time = z.number().int().min(0).max(MAX_TIME);
const ns = z.number().min(0).nullable();
const name = z.string().min(1).max(1024);
const text = z.string().max(4096);

// Exact mode (docs/api.md): trace figures of the interval.
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const residencySchema = z.array(z.object({ pcpu: cpu, ns: count, switchIns: count })).max(MAX_CPU + 1);
const wakeLatencySchema = z.object({ p50: count, p99: count, max: count, count }).nullable();
const otherTaskSchema = z.object({
  pid: tid.nullable(),
  tid: z.number().int().min(0).max(2 ** 31),
  comm: z.string().max(64),
  ns: count,
  switchIns: count,
  kernel: z.boolean(),
  vm: name.optional(),
});
const irqSchema = z.object({ irq: z.string().min(1).max(32), name: z.string().max(512), count });

const cpuSchema = z.object({
  cpu,
  socket: z.number().int().min(0).max(65535),
  die: z.number().int().min(0).max(65535),
  core: z.number().int().min(0).max(1 << 20),
  node: z.number().int().min(0).max(65535),
  siblings: cpuList,
  isolated: z.boolean(),
  busy: z.number().min(0).max(1).nullable(),
  others: z.array(otherTaskSchema).max(256).optional(),
  othersRest: z.object({ tasks: count, ns: count }).optional(),
  irqs: z.array(irqSchema).max(4096).optional(),
  lostEvents: count.optional(),
});
const VOLATILE_CPU_FIELDS = { busy: true, others: true, othersRest: true, irqs: true, lostEvents: true } as const;

const vcpuSchema = z.object({
  index: z.number().int().min(0).max(MAX_CPU),
  tid,
  pcpu: cpu,
  affinity: cpuList,
  pin: cpuList.nullable(),
  ran: z.boolean(),
  state: z.string().max(4),
  runNs: ns,
  waitNs: ns,
  identity: z.enum(['qmp', 'libvirt', 'thread-name']),
  props: z.record(z.string().max(64), z.number()).optional(),
  residency: residencySchema.optional(),
  migrations: count.optional(),
  wakeLatencyNs: wakeLatencySchema.optional(),
});

const threadSchema = z.object({
  tid,
  role: z.enum(['vcpu', 'emulator', 'iothread', 'vhost', 'other', 'unknown']),
  name: z.string().max(64),
  pcpu: cpu,
  affinity: cpuList,
  pin: cpuList.nullable(),
  ran: z.boolean(),
  state: z.string().max(4),
  policy: z.enum(['other', 'fifo', 'rr', 'batch', 'idle', 'deadline', 'ext']).optional(),
  priority: z.number().int().min(0).max(99).optional(),
  vcpu: z.number().int().min(0).max(MAX_CPU).optional(),
  iothread: z.string().max(256).optional(),
  residency: residencySchema.optional(),
});

const cgroupSchema = z.object({ path: z.string().min(1).max(4096), file: z.string().min(1).max(4096), cpus: cpuList });

const vmSchema = z.object({
  name,
  uuid: z.string().max(64).nullable(),
  pid: tid,
  source: z.enum(['qemu', 'libvirt']),
  intent: z.enum(['pins-file', 'libvirt', 'none']),
  dedicated: z.boolean(),
  maxVcpus: z.number().int().min(0).max(MAX_CPU + 1).nullable(),
  identity: z.enum(['qmp', 'libvirt', 'thread-name', 'unknown']).optional(),
  cgroup: cgroupSchema.nullable().optional(),
  vcpus: z.array(vcpuSchema).max(MAX_CPU + 1),
  threads: z.array(threadSchema).max(65536),
});

export const violationSchema = z.object({
  id: z.string().max(4096),
  kind: z.enum([
    'off-pin',
    'affinity-drift',
    'unpinned-vcpu',
    'shared-dedicated',
    'emulator-overlap',
    'smt-sibling-shared',
    'numa-split',
    'isolation-mismatch',
    'overcommit',
    'intruder',
    'irq-on-dedicated',
    'sched-policy-drift',
  ]),
  severity: z.enum(['critical', 'warning', 'info']),
  vm: name,
  vms: z.array(name).max(4096),
  vcpu: z.number().int().min(0).max(MAX_CPU).optional(),
  tid: tid.optional(),
  tids: z.array(tid).max(65536).optional(),
  pcpus: cpuList,
  message: text,
  fix: text.nullable(),
  since: time,
  lastSeen: time,
});

const hostSchema = z.string().min(1).max(253).regex(/^[^\s/\\?#%]+$/, HOST_MESSAGE);

export const snapshotSchema: z.ZodType<Snapshot> = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  host: hostSchema,
  at: time,
  intervalMs: z.number().min(0).max(86_400_000).nullable(),
  mode: z.enum(['exact', 'sampled']).optional(),
  trace: z.object({ events: count, lostEvents: count }).optional(),
  topology: z.object({ cpus: z.array(cpuSchema).max(MAX_CPU + 1), isolated: cpuList, nohzFull: cpuList }),
  vms: z.array(vmSchema).max(4096),
  violations: z.array(violationSchema).max(100_000),
});

/** The static part of a snapshot (lib/wire/structure-body.ts), sent beside compact ticks. */
export const structureSchema: z.ZodType<StructureBody> = z.object({
  host: hostSchema,
  topology: z.object({ cpus: z.array(cpuSchema.omit(VOLATILE_CPU_FIELDS)).max(MAX_CPU + 1), isolated: cpuList, nohzFull: cpuList }),
  vms: z
    .array(
      vmSchema.extend({
        vcpus: z
          .array(vcpuSchema.omit({ pcpu: true, ran: true, state: true, runNs: true, waitNs: true, residency: true, migrations: true, wakeLatencyNs: true }))
          .max(MAX_CPU + 1),
        threads: z.array(threadSchema.omit({ pcpu: true, ran: true, state: true, residency: true })).max(65536),
      }),
    )
    .max(4096),
});

export class BadFrameError extends Error {
  constructor(detail: string) {
    super(`invalid frame: ${detail}`);
    this.name = 'BadFrameError';
  }
}

/** Turns zod issues into one line a person can act on: `frames.0.vms.2.pid: expected number`. `prefix` is the path of what was parsed. */
export function describeIssues(err: z.ZodError, max = 5, prefix = ''): string {
  const lines = err.issues.slice(0, max).map((i) => `${[prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(body)'}: ${i.message}`);
  const more = err.issues.length > max ? ` (+${err.issues.length - max} more)` : '';
  return lines.join('; ') + more;
}
