// The API's answers checked as the browser takes them: the schemas of schema.ts (and the frames'
// of lib/wire) compiled to code, then what a schema cannot say (a history's columns as long as
// its ticks and threads, a tile's cells one per pCPU). Loaded by client.ts on first use, in a
// chunk of its own: the compiler stays out of the pages' first JavaScript.
import type { Static } from 'typebox';
import type { FleetTile, TilesEvent } from './fleet';
import type { History } from './history';
import type { ErrorBody } from './hosts';
import { analyzeSchema, errorBodySchema, fleetSchema, historySchema, structureEventSchema, tilesEventSchema } from './schema';
import type { Snapshot } from '../model/snapshot';
import type { CompactTick } from '../wire/compact-tick';
import type { StructureBody } from '../wire/structure-body';
import { checkTickFits } from '../wire/frame-checks';
import { compile, FieldError, snapshotValidator, tickValidator, type Compiled } from '../wire/validate';

/** Takes an answer's JSON to its type, or throws FieldError naming the first field that is wrong. */
export interface Reply<T> {
  readonly what: string; // what the answer should be, for the error
  parse(v: unknown): T;
}

function reply<T>(what: string, validator: Compiled<T>, relations: (v: T) => string | null = () => null): Reply<T> {
  return {
    what,
    parse(v) {
      const ok = validator.parse(v, '');
      const wrong = relations(ok);
      if (wrong !== null) throw new FieldError(wrong);
      return ok;
    },
  };
}

// The compiled types are the contract's: a schema that drifts from lib/api's types does not compile.
type Assignable<A, B> = A extends B ? true : never;
const contract: [
  Assignable<Static<typeof historySchema>, History>,
  Assignable<Static<typeof fleetSchema>, FleetTile[]>,
  Assignable<Static<typeof tilesEventSchema>, TilesEvent>,
  Assignable<Static<typeof structureEventSchema>, { hash: string; body: StructureBody }>,
  Assignable<Static<typeof analyzeSchema>, Snapshot>,
  Assignable<Static<typeof errorBodySchema>, ErrorBody>,
] = [true, true, true, true, true, true];
void contract;

/** A [column][row] grid that is not `columns` long with `rows` entries each: what is wrong, or null. */
function gridShape(name: string, grid: readonly (readonly unknown[])[] | null | undefined, columns: number, rows: number, rowName: string): string | null {
  if (grid === null || grid === undefined) return null;
  if (grid.length !== columns) return `${name}: expected ${columns} columns (one per tick), got ${grid.length}`;
  for (let i = 0; i < grid.length; i++) {
    const n = grid[i]?.length;
    if (n !== rows) return `${name}.${i}: expected ${rows} entries (one per ${rowName}), got ${n}`;
  }
  return null;
}

function historyShape(h: History): string | null {
  const columns = h.ticks.length;
  const threads = h.threads.length;
  for (const [name, grid] of [
    ['pcpu', h.pcpu],
    ['ran', h.ran],
    ['share', h.share],
    ['runNs', h.runNs],
    ['waitNs', h.waitNs],
    ['residency', h.residency],
    ['migrations', h.migrations],
    ['wakeLatencyNs', h.wakeLatencyNs],
  ] as const) {
    const wrong = gridShape(name, grid, columns, threads, 'thread');
    if (wrong !== null) return wrong;
  }
  return gridShape('cpuExact', h.cpuExact, columns, h.cpus?.length ?? 0, 'pCPU of cpus');
}

function tileShape(tiles: readonly FleetTile[], path: string): string | null {
  for (let i = 0; i < tiles.length; i++) {
    const t = tiles[i];
    if (t === undefined) continue;
    const n = t.rows.reduce((a, b) => a + b, 0);
    for (const [name, list] of [
      ['cells', t.cells],
      ['marks', t.marks],
      ['cpuIds', t.cpuIds],
    ] as const) {
      if (list.length !== n) return `${path}${i}.${name}: expected ${n} entries (one per pCPU of rows), got ${list.length}`;
    }
    const bad = t.cells.findIndex((c) => c >= t.vms.length);
    if (bad >= 0) return `${path}${i}.cells.${bad}: expected an index into vms (${t.vms.length}) or -1, got ${t.cells[bad]}`;
  }
  return null;
}

export const snapshotReply: Reply<Snapshot> = reply('Snapshot', snapshotValidator);
export const historyReply: Reply<History> = reply('History', compile<typeof historySchema, History>(historySchema), historyShape);
export const fleetReply: Reply<FleetTile[]> = reply('list of fleet tiles', compile<typeof fleetSchema, FleetTile[]>(fleetSchema), (t) => tileShape(t, ''));
export const tilesEventReply: Reply<TilesEvent> = reply('tiles event', compile<typeof tilesEventSchema, TilesEvent>(tilesEventSchema), (e) => tileShape(e.tiles, 'tiles.'));
export const structureEventReply: Reply<{ hash: string; body: StructureBody }> = reply('structure event', compile(structureEventSchema));
export const tickReply: Reply<CompactTick> = reply('tick', tickValidator);

/** A tick of the structure `body` (the one it names) whose arrays fit it, or FieldError saying which does not. */
export function fittedTick(t: CompactTick, body: StructureBody): CompactTick {
  checkTickFits(t, body, 'tick');
  return t;
}
export const analyzeReply: Reply<Snapshot> = reply('Snapshot', compile<typeof analyzeSchema, Snapshot>(analyzeSchema));
export const errorBodyReply: Reply<ErrorBody> = reply('error body', compile<typeof errorBodySchema, ErrorBody>(errorBodySchema));
