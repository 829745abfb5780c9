// The fleet view's tiles (SPEC "Views", fleet): per host its topology in miniature coloured by the
// VM on each pCPU now, violation counts and the age of its last frame. Built from each host's
// latest snapshot; sorting, filtering and search are pure so the page and its tests share them.
import type { Severity, Snapshot, ViolationKind } from '../model/snapshot';
import { orderCpus } from '../heatmap/timeline-cells';
import { worstSeverity } from './violation-order';
import { isStale } from './format';

export interface FleetTile {
  readonly host: string;
  readonly lastSeen: number; // epoch ms of the newest frame
  readonly intervalMs: number | null;
  readonly vms: readonly string[]; // names, ascending
  readonly vcpus: number;
  readonly violations: number;
  readonly critical: number; // violations of severity critical
  readonly warnings: number; // violations of severity warning
  readonly worst: Severity | null;
  readonly kinds: readonly ViolationKind[]; // distinct, ascending
  /** Miniature rows (one per socket and NUMA node): the number of pCPUs in each, in topology order. */
  readonly rows: readonly number[];
  /** Per pCPU in topology order: index into `vms` of the VM whose vCPU is on it now, or -1. */
  readonly cells: readonly number[];
  /** Per pCPU in topology order: 1 when a violation names that pCPU. */
  readonly marks: readonly (0 | 1)[];
  readonly cpuIds: readonly number[]; // pCPU id of each cell
}

export function fleetTile(s: Snapshot): FleetTile {
  const vms = [...new Set(s.vms.map((v) => v.name))].sort();
  const vmIndex = new Map(vms.map((n, i) => [n, i]));
  const order = orderCpus(s.topology.cpus);
  const topo = new Map(s.topology.cpus.map((c) => [c.cpu, c]));

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

  const rows: number[] = [];
  let prevKey: string | null = null;
  for (const cpu of order) {
    const c = topo.get(cpu);
    const key = c === undefined ? '?' : `${c.socket}:${c.node}`;
    if (key === prevKey && rows.length > 0) rows[rows.length - 1] = (rows[rows.length - 1] ?? 0) + 1;
    else rows.push(1);
    prevKey = key;
  }
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
    rows,
    cells: order.map((cpu) => on.get(cpu)?.vm ?? -1),
    marks: order.map((cpu) => (marked.has(cpu) ? 1 : 0)),
    cpuIds: order,
  };
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
  return (
    b.critical - a.critical ||
    b.warnings - a.warnings ||
    b.violations - a.violations ||
    Number(isStale(b.lastSeen, now, b.intervalMs)) - Number(isStale(a.lastSeen, now, a.intervalMs)) ||
    byHost(a, b)
  );
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
  const cmp: Record<FleetSort, (a: FleetTile, b: FleetTile) => number> = {
    violations: (a, b) => compareSeverity(a, b, now),
    host: byHost,
    age: (a, b) => a.lastSeen - b.lastSeen || byHost(a, b),
    vcpus: (a, b) => b.vcpus - a.vcpus || byHost(a, b),
  };
  return out.sort(cmp[q.sort]);
}
