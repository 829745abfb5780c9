// The fleet view's tiles (SPEC "Views", fleet): per host its topology in miniature coloured by the
// VM on each pCPU now, violation counts and the age of its last frame. Built from each host's
// latest snapshot; sorting, filtering and search are pure so the page and its tests share them.
import type { FleetTile } from '../api/fleet';
import type { Snapshot } from '../model/snapshot';
import { orderCpus } from '../heatmap/timeline-cells';
import { worstSeverity } from './violation-order';
import { isStale } from './format';

export type { FleetTile };

interface Miniature {
  readonly order: readonly number[]; // pCPU ids in topology order
  readonly rows: readonly number[];
}

/** Miniatures by topology: a host's topology hardly ever changes, and the fleet rebuilds 2,000 tiles a second. */
const miniatures = new Map<number, { readonly sig: Int32Array; readonly mini: Miniature }[]>();
const MAX_MINIATURES = 256;

/** What the miniature depends on, as numbers (a string key cost as much as sorting the pCPUs). */
function signature(cpus: Snapshot['topology']['cpus']): Int32Array {
  let n = 0;
  for (const c of cpus) n += 4 + c.siblings.length;
  const sig = new Int32Array(n);
  let i = 0;
  for (const c of cpus) {
    sig[i++] = c.cpu;
    sig[i++] = c.socket;
    sig[i++] = c.node;
    sig[i++] = c.core * 256 + c.siblings.length;
    for (const x of c.siblings) sig[i++] = x;
  }
  return sig;
}

function sameSig(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function miniature(cpus: Snapshot['topology']['cpus']): Miniature {
  const sig = signature(cpus);
  let h = 0x811c9dc5;
  for (let i = 0; i < sig.length; i++) h = Math.imul(h ^ (sig[i] ?? 0), 0x01000193);
  const bucket = miniatures.get(h);
  const hit = bucket?.find((e) => sameSig(e.sig, sig));
  if (hit !== undefined) return hit.mini;
  const order = orderCpus(cpus);
  const topo = new Map(cpus.map((c) => [c.cpu, c]));
  const rows: number[] = [];
  let prevKey: string | null = null;
  for (const cpu of order) {
    const c = topo.get(cpu);
    const k = c === undefined ? '?' : `${c.socket}:${c.node}`;
    if (k === prevKey && rows.length > 0) rows[rows.length - 1] = (rows[rows.length - 1] ?? 0) + 1;
    else rows.push(1);
    prevKey = k;
  }
  if (miniatures.size >= MAX_MINIATURES) miniatures.clear();
  const m = { order, rows };
  miniatures.set(h, [...(miniatures.get(h) ?? []), { sig, mini: m }]);
  return m;
}

export function fleetTile(s: Snapshot): FleetTile {
  const vms = [...new Set(s.vms.map((v) => v.name))].sort();
  const vmIndex = new Map(vms.map((n, i) => [n, i]));
  const { order, rows } = miniature(s.topology.cpus);

  // Which VM is on each pCPU now: a vCPU that ran there beats one whose observation is stale.
  const on = new Map<number, { vm: number; ran: boolean }>();
  for (const vm of s.vms) {
    const i = vmIndex.get(vm.name) ?? -1;
    for (const v of vm.vcpus) {
      const cur = on.get(v.pcpu);
      if (cur === undefined || (v.ran && !cur.ran)) on.set(v.pcpu, { vm: i, ran: v.ran });
    }
  }
  const marked = new Set<number>();
  for (const v of s.violations) for (const p of v.pcpus) marked.add(p);

  return {
    host: s.host,
    lastSeen: s.at,
    intervalMs: s.intervalMs,
    vms,
    vcpus: s.vms.reduce((n, vm) => n + vm.vcpus.length, 0),
    violations: s.violations.length,
    critical: s.violations.filter((v) => v.severity === 'critical').length,
    warnings: s.violations.filter((v) => v.severity === 'warning').length,
    worst: worstSeverity(s.violations),
    kinds: [...new Set(s.violations.map((v) => v.kind))].sort(),
    rows: [...rows],
    cells: order.map((cpu) => on.get(cpu)?.vm ?? -1),
    marks: order.map((cpu) => (marked.has(cpu) ? 1 : 0)),
    cpuIds: [...order],
  };
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** True when two tiles of one host show the same thing (their ages aside). */
export function sameTileContent(a: FleetTile, b: FleetTile): boolean {
  return (
    a.intervalMs === b.intervalMs &&
    a.vcpus === b.vcpus &&
    a.violations === b.violations &&
    a.critical === b.critical &&
    a.warnings === b.warnings &&
    a.worst === b.worst &&
    sameList(a.kinds, b.kinds) &&
    sameList(a.vms, b.vms) &&
    sameList(a.rows, b.rows) &&
    sameList(a.cells, b.cells) &&
    sameList(a.marks, b.marks) &&
    sameList(a.cpuIds, b.cpuIds)
  );
}

export type FleetSort = 'violations' | 'host' | 'age' | 'vcpus';
export type FleetFilter = 'all' | 'violations' | 'stale' | 'clean';
export const FLEET_SORTS: readonly FleetSort[] = ['violations', 'host', 'age', 'vcpus'];
export const FLEET_FILTERS: readonly FleetFilter[] = ['all', 'violations', 'stale', 'clean'];

export interface FleetQuery {
  readonly search: string; // host or VM name, case-insensitive substring
  readonly filter: FleetFilter;
  readonly sort: FleetSort;
}

export function parseFleetQuery(params: URLSearchParams): FleetQuery {
  const sort = params.get('sort');
  const filter = params.get('filter');
  return {
    search: (params.get('q') ?? '').slice(0, 200),
    sort: FLEET_SORTS.find((s) => s === sort) ?? 'violations',
    filter: FLEET_FILTERS.find((f) => f === filter) ?? 'all',
  };
}

export function fleetQueryString(q: FleetQuery): string {
  const p = new URLSearchParams();
  if (q.search !== '') p.set('q', q.search);
  if (q.filter !== 'all') p.set('filter', q.filter);
  if (q.sort !== 'violations') p.set('sort', q.sort);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

const byHost = (a: FleetTile, b: FleetTile): number => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

/**
 * Most urgent first: more critical violations, then more warnings, then stale (no fresh frame:
 * its state is unknown), then by name. A stale host keeps its last counts: what it last said.
 */
export function compareSeverity(a: FleetTile, b: FleetTile, now: number): number {
  return bySeverity(a, b, isStale(a.lastSeen, now, a.intervalMs), isStale(b.lastSeen, now, b.intervalMs));
}

function bySeverity(a: FleetTile, b: FleetTile, aStale: boolean, bStale: boolean): number {
  return b.critical - a.critical || b.warnings - a.warnings || b.violations - a.violations || Number(bStale) - Number(aStale) || byHost(a, b);
}

/** The VM names of a tile that a search matches (case-insensitive substring), ascending. */
export function matchedVms(tile: FleetTile, search: string): string[] {
  const needle = search.trim().toLowerCase();
  if (needle === '') return [];
  return tile.vms.filter((v) => v.toLowerCase().includes(needle));
}

/** The tiles to show, in order. */
export function selectTiles(tiles: readonly FleetTile[], q: FleetQuery, now: number): FleetTile[] {
  const needle = q.search.trim().toLowerCase();
  const out = tiles.filter((t) => {
    const stale = isStale(t.lastSeen, now, t.intervalMs);
    if (q.filter === 'violations' && t.violations === 0) return false;
    if (q.filter === 'stale' && !stale) return false;
    if (q.filter === 'clean' && (t.violations > 0 || stale)) return false;
    if (needle === '') return true;
    return t.host.toLowerCase().includes(needle) || t.vms.some((v) => v.toLowerCase().includes(needle));
  });
  // Staleness once per tile, not once per comparison: this runs every second on 2,000 tiles.
  const stale = new Map(out.map((t) => [t, isStale(t.lastSeen, now, t.intervalMs)]));
  const cmp: Record<FleetSort, (a: FleetTile, b: FleetTile) => number> = {
    violations: (a, b) => bySeverity(a, b, stale.get(a) === true, stale.get(b) === true),
    host: byHost,
    age: (a, b) => a.lastSeen - b.lastSeen || byHost(a, b),
    vcpus: (a, b) => b.vcpus - a.vcpus || byHost(a, b),
  };
  return out.sort(cmp[q.sort]);
}
