// The read API's answers as the browser reads them (docs/api.md, Read API), declared with the
// same TypeBox nodes as the frames (lib/wire/schema.ts) and compiled by reply-validators.ts. A
// snapshot is the frame's own schema; a history, the fleet's tiles and the stream's events are
// declared here. Replies carry no bounds of their own beyond the frames' (the server made them
// from validated frames): these say what the browser relies on, so that a reply that drifts from
// the contract is an error naming its field, not a page drawn from garbage.
import Type from 'typebox';
import type { Severity } from '../model/snapshot';
import { THREAD_ROLES, VIOLATION_KINDS, cpuExact, hostSchema, nullable, oneOf, residency, snapshotSchema, structureSchema, violationSchema, wakeLatencyNs } from '../wire/schema';

const object = <P extends Parameters<typeof Type.Object>[0]>(properties: P) => Type.Object(properties, { errorMessage: 'expected object' });
const array = <S extends Parameters<typeof Type.Array>[0]>(items: S) => Type.Array(items, { errorMessage: 'expected array' });
const int = (minimum: number) => Type.Integer({ minimum, errorMessage: `expected an integer >= ${minimum}` });
const time = int(0);
const count = int(0);
const str = Type.String({ errorMessage: 'expected string' });
const bit = Type.Unsafe<0 | 1>({ enum: [0, 1], errorMessage: 'expected 0 or 1' });
const cpuOrNull = nullable(int(0), 'expected a pCPU id or null');
const nsOrNull = nullable(Type.Number({ minimum: 0 }), 'expected a number >= 0 or null');
/** [column][thread] (or [column][cpu]) of `cell`. */
const grid = <S extends Parameters<typeof Type.Array>[0]>(cell: S) => array(array(cell));

export const historyThreadSchema = object({
  key: str,
  vm: str,
  pid: int(1),
  tid: int(1),
  role: oneOf(THREAD_ROLES),
  vcpu: nullable(int(0), 'expected a vCPU index or null'),
  name: str,
});

/** GET /api/v1/hosts/{host}/history (lib/api/history.ts); its columns' lengths are checked after it. */
export const historySchema = object({
  host: hostSchema,
  from: time,
  to: time,
  stepMs: nullable(int(1), 'expected a bucket width in ms or null'),
  ticks: array(time),
  threads: array(historyThreadSchema),
  pcpu: grid(cpuOrNull),
  ran: nullable(grid(bit), 'expected [tick][thread] of 0 or 1, or null'),
  share: nullable(grid(Type.Number({ minimum: 0, maximum: 1, errorMessage: 'expected a number from 0 to 1' })), 'expected [bucket][thread] of shares, or null'),
  runNs: Type.Optional(grid(nsOrNull)),
  waitNs: Type.Optional(grid(nsOrNull)),
  residency: Type.Optional(grid(nullable(residency, 'expected [{ pcpu, ns, switchIns }] or null'))),
  migrations: Type.Optional(grid(nullable(count, 'expected an integer >= 0 or null'))),
  wakeLatencyNs: Type.Optional(grid(wakeLatencyNs)),
  cpus: Type.Optional(array(int(0))),
  cpuExact: Type.Optional(grid(nullable(object(cpuExact), 'expected { others, othersRest, irqs, lostEvents } or null'))),
  violations: array(violationSchema),
});

const fleetTileSchema = object({
  host: hostSchema,
  lastSeen: time,
  intervalMs: nullable(Type.Number({ minimum: 0 }), 'expected a number >= 0 or null'),
  vms: array(str),
  vcpus: count,
  violations: count,
  critical: count,
  warnings: count,
  worst: Type.Unsafe<Severity | null>({ type: ['string', 'null'], enum: ['critical', 'warning', 'info', null], errorMessage: 'expected "critical", "warning", "info" or null' }),
  kinds: array(oneOf(VIOLATION_KINDS)),
  rows: array(count),
  cells: array(int(-1)),
  marks: array(bit),
  cpuIds: array(int(0)),
});

/** GET /api/v1/fleet. */
export const fleetSchema = array(fleetTileSchema);

/** A `tiles` event of GET /api/v1/stream?view=tiles. */
export const tilesEventSchema = object({
  at: time,
  reset: Type.Boolean({ errorMessage: 'expected boolean' }),
  tiles: array(fleetTileSchema),
  gone: array(str),
  order: Type.Optional(array(str)),
  seen: array(Type.Number({ errorMessage: 'expected number' })),
});

/** A `structure` event of GET /api/v1/stream?host=H&format=frames. */
export const structureEventSchema = object({
  hash: Type.String({ pattern: '^[0-9a-f]{64}$', errorMessage: 'expected the structure hash (64 lowercase hex digits)' }),
  body: structureSchema,
});

/** POST /api/v1/analyze: a Snapshot, with what a paste could not observe. */
export const analyzeSchema = object({
  ...snapshotSchema.properties,
  unobserved: Type.Optional(array(oneOf(['affinity', 'runQueue'] as const))),
});

/** Every error answer: `{ error }`, and for a paste the fields that could not be read. */
export const errorBodySchema = object({
  error: str,
  fields: Type.Optional(
    Type.Unsafe<Record<string, string>>({
      type: 'object',
      additionalProperties: { type: 'string', errorMessage: 'expected string' },
      errorMessage: 'expected object',
    }),
  ),
});
