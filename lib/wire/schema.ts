// The one declarative description of every frame that crosses the network: the Snapshot contract
// (docs/api.md), its static part (the structure, structure-body.ts), the compact tick
// (compact-tick.ts) and the ingest body. JSON Schema built with TypeBox and compiled to code by
// validate.ts; each node carries the message a bad value gets (`errorMessage`, a string or one per
// keyword), so that errors name the field as `frames.3.pcpu.17: expected an integer from 0 to 8191`.
// Key order here is the contract's: the structure's canonical JSON follows it (structure-body.ts).
// Relations a schema cannot say (vCPU indices unique in a VM, tick entries ascending, a tick
// fitting its structure) are checked after it, in frame-checks.ts.
import Type, { type Static, type TSchema, type TUnsafe } from 'typebox';

export const MAX_CPU = 8191;
export const MAX_TIME = 8.64e15; // epoch ms
/** Threads and vCPU entries a tick may carry (4096 VMs of 65536 threads would be far more). */
export const MAX_ENTRIES = 1 << 20;
export const MAX_FRAMES = 10_000;
export const MAX_STRUCTURES = 1000;

/**
 * Host names: DNS-like labels (letters, digits, `-` and `_`, 1 to 63 each, no leading or
 * trailing `-`) joined by single dots, at most 253 characters. So `.`, `..`, empty labels,
 * spaces, slashes, `%`, NUL, control and bidi characters are refused: a host is a path segment
 * of every page and API route, and a name shown to people.
 */
export const HOST_PATTERN = '^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*$';
export const HOST_MESSAGE =
  'a host name without spaces, slashes, ?, #, %, control or bidi characters: DNS-like labels (letters, digits, "-" and "_", 1 to 63 each, not starting or ending with "-") joined by single dots, at most 253 characters';

/** What validate.ts reads of a node besides JSON Schema: the message, and per-character patterns. */
export type ErrorMessage = string | Readonly<Record<string, string>>;

const object = <P extends Parameters<typeof Type.Object>[0]>(properties: P) => Type.Object(properties, { errorMessage: 'expected object' });

const int = (minimum: number, maximum: number, errorMessage = `expected an integer from ${minimum} to ${maximum}`) =>
  Type.Integer({ minimum, maximum, errorMessage });

/** `schema` or null; one JSON Schema node (`type: [T, "null"]`), so errors point at the value itself. */
export function nullable<S extends TSchema>(schema: S, errorMessage: ErrorMessage): TUnsafe<Static<S> | null> {
  const type: unknown = Reflect.get(schema, 'type');
  return Type.Unsafe<Static<S> | null>({ ...schema, type: [type, 'null'], errorMessage });
}

/** One of `values` (strings). */
export const oneOf = <const V extends readonly string[]>(values: V) =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values], errorMessage: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });

const array = <S extends TSchema>(items: S, maxItems: number, what = 'entries') =>
  Type.Array(items, { maxItems, errorMessage: { type: 'expected array', maxItems: `more than ${maxItems} ${what}`, default: 'expected array' } });

const string = (maxLength: number, minLength = 0) =>
  Type.String({
    minLength,
    maxLength,
    errorMessage: { type: 'expected string', default: minLength === 0 ? `expected a string of at most ${maxLength} characters` : `expected a string of ${minLength} to ${maxLength} characters` },
  });

/** A string of one character per entry, each matching `charClass` (a regexp class). */
const charString = (charClass: string, what: string) =>
  Type.String({
    maxLength: MAX_ENTRIES,
    pattern: `^${charClass}*$`,
    charClass,
    errorMessage: { type: 'expected string', maxLength: `more than ${MAX_ENTRIES} characters`, pattern: `expected ${what}` },
  });

const cpu = int(0, MAX_CPU);
const cpuList = array(cpu, MAX_CPU + 1, 'CPUs');
const tid = int(1, 2 ** 31);
const time = int(0, MAX_TIME);
const ns = nullable(Type.Number({ minimum: 0 }), 'expected a number >= 0 or null');
const name = string(1024, 1);
const text = string(4096);
const intervalMs = nullable(Type.Number({ minimum: 0, maximum: 86_400_000 }), 'expected a number from 0 to 86400000 or null');
const busy = nullable(Type.Number({ minimum: 0, maximum: 1 }), 'expected a number from 0 to 1 or null');
const count = int(0, Number.MAX_SAFE_INTEGER);
export const hostSchema = Type.String({ minLength: 1, maxLength: 253, pattern: HOST_PATTERN, errorMessage: { type: 'expected string', default: HOST_MESSAGE } });

// ---- static fields (the structure) and volatile fields (the tick), per level ----

const staticCpu = {
  cpu,
  socket: int(0, 65535),
  die: int(0, 65535),
  core: int(0, 1 << 20),
  node: int(0, 65535),
  siblings: cpuList,
  isolated: Type.Boolean({ errorMessage: 'expected boolean' }),
};
// Exact mode (docs/api.md "Exact mode"): the interval's figures from the scheduler's trace.
export const residency = array(object({ pcpu: cpu, ns: count, switchIns: count }), MAX_CPU + 1);
export const wakeLatencyNs = nullable(object({ p50: count, p99: count, max: count, count }), 'expected { p50, p99, max, count } or null');
const otherTask = object({
  pid: nullable(tid, 'expected an integer from 1 to 2147483648 or null'),
  tid: int(0, 2 ** 31),
  comm: string(64),
  ns: count,
  switchIns: count,
  kernel: Type.Boolean({ errorMessage: 'expected boolean' }),
  vm: Type.Optional(name),
});
const irq = object({ irq: string(32, 1), name: string(512), count });
export const cpuExact = {
  others: Type.Optional(array(otherTask, 256, 'tasks')),
  othersRest: Type.Optional(object({ tasks: count, ns: count })),
  irqs: Type.Optional(array(irq, 4096, 'IRQs')),
  lostEvents: Type.Optional(count),
};
const mode = Type.Optional(oneOf(['exact', 'sampled'] as const));
const trace = Type.Optional(object({ events: count, lostEvents: count, cutToReadNs: Type.Optional(count) }));

const volatileCpu = { busy, ...cpuExact };

const staticVcpu = {
  index: int(0, MAX_CPU),
  tid,
  affinity: cpuList,
  pin: nullable(cpuList, 'expected an array of CPU ids or null'),
  identity: oneOf(['qmp', 'libvirt', 'thread-name'] as const),
  props: Type.Optional(
    Type.Unsafe<Record<string, number>>({
      type: 'object',
      propertyNames: { maxLength: 64 },
      additionalProperties: { type: 'number', errorMessage: 'expected number' },
      errorMessage: { type: 'expected object', propertyNames: 'expected property names of at most 64 characters' },
    }),
  ),
};
const placement = {
  pcpu: cpu,
  ran: Type.Boolean({ errorMessage: 'expected boolean' }),
  state: string(4),
};
const volatileVcpu = { runNs: ns, waitNs: ns };
const vcpuExact = { residency: Type.Optional(residency), migrations: Type.Optional(count), wakeLatencyNs: Type.Optional(wakeLatencyNs) };

export const THREAD_ROLES = ['vcpu', 'emulator', 'iothread', 'vhost', 'other', 'unknown'] as const;
export const SCHED_POLICIES = ['other', 'fifo', 'rr', 'batch', 'idle', 'deadline', 'ext'] as const;

const staticThread = {
  tid,
  role: oneOf(THREAD_ROLES),
  name: string(64),
  affinity: cpuList,
  pin: nullable(cpuList, 'expected an array of CPU ids or null'),
  policy: Type.Optional(oneOf(SCHED_POLICIES)),
  priority: Type.Optional(int(0, 99)),
  vcpu: Type.Optional(int(0, MAX_CPU)),
  iothread: Type.Optional(string(256)),
};

const staticVm = {
  name,
  uuid: nullable(string(64), 'expected a string of at most 64 characters or null'),
  pid: tid,
  source: oneOf(['qemu', 'libvirt'] as const),
  intent: oneOf(['pins-file', 'libvirt', 'none'] as const),
  dedicated: Type.Boolean({ errorMessage: 'expected boolean' }),
  maxVcpus: nullable(int(0, MAX_CPU + 1), `expected an integer from 0 to ${MAX_CPU + 1} or null`),
  identity: Type.Optional(oneOf(['qmp', 'libvirt', 'thread-name', 'unknown'] as const)),
  cgroup: Type.Optional(
    nullable(
      Type.Object({ path: string(4096, 1), file: string(4096, 1), cpus: cpuList }, { errorMessage: 'expected object' }),
      'expected { path, file, cpus } or null',
    ),
  ),
};

export const VIOLATION_KINDS = [
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
] as const;

export const violationSchema = Type.Object({
  id: string(4096),
  kind: oneOf(VIOLATION_KINDS),
  severity: oneOf(['critical', 'warning', 'info'] as const),
  vm: name,
  vms: array(name, 4096),
  vcpu: Type.Optional(int(0, MAX_CPU)),
  tid: Type.Optional(tid),
  tids: Type.Optional(array(tid, 65536)),
  pcpus: cpuList,
  message: text,
  fix: nullable(text, 'expected a string of at most 4096 characters or null'),
  since: time,
  lastSeen: time,
}, { errorMessage: 'expected object' });
const violations = array(violationSchema, 100_000);

export const snapshotSchema = object({
  version: Type.Literal(1, { errorMessage: 'expected 1' }),
  host: hostSchema,
  at: time,
  intervalMs,
  mode,
  trace,
  topology: object({ cpus: array(object({ ...staticCpu, ...volatileCpu }), MAX_CPU + 1), isolated: cpuList, nohzFull: cpuList }),
  vms: array(
    object({
      ...staticVm,
      vcpus: array(object({ ...staticVcpu, ...placement, ...volatileVcpu, ...vcpuExact }), MAX_CPU + 1),
      threads: array(object({ ...staticThread, ...placement, residency: Type.Optional(residency) }), 65536),
    }),
    4096,
  ),
  violations,
});

/** The static part of a snapshot (lib/wire/structure-body.ts), sent beside compact ticks. */
export const structureSchema = object({
  host: hostSchema,
  topology: object({ cpus: array(object(staticCpu), MAX_CPU + 1), isolated: cpuList, nohzFull: cpuList }),
  vms: array(object({ ...staticVm, vcpus: array(object(staticVcpu), MAX_CPU + 1), threads: array(object(staticThread), 65536) }), 4096),
});

const vcpuException = Type.Tuple([int(0, MAX_ENTRIES), cpu, Type.Unsafe<0 | 1>({ enum: [0, 1], errorMessage: 'expected 0 or 1' }), string(4)], {
  errorMessage: { type: 'expected [entry, pcpu, ran (0 or 1), state]', minItems: 'expected [entry, pcpu, ran (0 or 1), state]', additionalItems: 'expected [entry, pcpu, ran (0 or 1), state]' },
});
const threadStateException = Type.Tuple([int(0, MAX_ENTRIES), string(4)], {
  errorMessage: { type: 'expected [thread, state]', minItems: 'expected [thread, state]', additionalItems: 'expected [thread, state]' },
});

// A residency in a tick: (pcpu, ns, switchIns) triples, flat (frame-checks.ts checks the triples).
const flatResidency = array(count, 3 * (MAX_CPU + 1), 'numbers');
const threadResidency = Type.Array(count, {
  minItems: 1,
  maxItems: 1 + 3 * (MAX_CPU + 1),
  errorMessage: { type: 'expected [thread, pcpu, ns, switchIns, ...]', minItems: 'expected [thread, pcpu, ns, switchIns, ...]', maxItems: 'too many numbers' },
});
const vcpuExactEntry = object({
  entry: int(0, MAX_ENTRIES),
  residency: Type.Optional(flatResidency),
  migrations: Type.Optional(count),
  wakeLatencyNs: Type.Optional(
    nullable(Type.Tuple([count, count, count, count], { errorMessage: 'expected [p50, p99, max, count]' }), 'expected [p50, p99, max, count] or null'),
  ),
});
const cpuExactEntry = object({ index: int(0, MAX_CPU), ...cpuExact });

/** The compact tick (compact-tick.ts); its arrays' lengths are checked against the structure later. */
export const tickSchema = object({
  tick: Type.Literal(1, { errorMessage: 'expected 1' }),
  host: hostSchema,
  at: time,
  intervalMs,
  mode,
  trace,
  structure: Type.String({ pattern: '^[0-9a-f]{64}$', errorMessage: 'expected the structure hash (64 lowercase hex digits)' }),
  // per thread
  pcpu: array(cpu, MAX_ENTRIES),
  ran: charString('[01]', '"0" or "1"'),
  state: charString('[!-~]', 'a printable ASCII character'),
  states: Type.Optional(array(threadStateException, MAX_ENTRIES)),
  // per vCPU entry
  vcpus: array(vcpuException, MAX_ENTRIES),
  runNs: array(ns, MAX_ENTRIES),
  waitNs: array(ns, MAX_ENTRIES),
  // per pCPU
  busy: array(busy, MAX_ENTRIES),
  violations,
  // exact mode, sparse and ascending: threads with a residency, vCPU entries and pCPUs with exact figures
  residency: Type.Optional(array(threadResidency, MAX_ENTRIES)),
  vcpuExact: Type.Optional(array(vcpuExactEntry, MAX_ENTRIES)),
  cpuExact: Type.Optional(array(cpuExactEntry, MAX_CPU + 1)),
});

/** A frame of a batch: a full snapshot or a tick, told apart by the `tick` key. */
export const batchSchema = object({
  frames: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_FRAMES, errorMessage: { type: 'expected array', minItems: 'expected at least one frame', maxItems: `more than ${MAX_FRAMES} frames` } }),
  structures: Type.Optional(array(Type.Unknown(), MAX_STRUCTURES, 'structures')),
});

/** The ingest body's optional `agent`: the agent's push counters (docs/api.md). */
export const agentCountersSchema = object({ spooled: count, sent: count, dropped: count });
