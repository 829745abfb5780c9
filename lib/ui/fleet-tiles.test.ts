import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { compareSeverity, fleetTile, matchedVms, parseFleetQuery, fleetQueryString, selectTiles, type FleetTile } from './fleet-tiles';
import { snapshot, vm } from '../../test/support/view-snapshots';

describe('fleetTile', () => {
  it('colours each pCPU by the VM whose vCPU is on it now, a vCPU that ran beating a stale one', () => {
    const s = snapshot('hv-1', 1000, 4, [vm('b', 10, [{ pcpu: 1, ran: false }]), vm('a', 20, [{ pcpu: 1, ran: true }, { pcpu: 3, ran: true }])]);
    const t = fleetTile(s);
    expect(t.vms).toEqual(['a', 'b']);
    expect(t.cpuIds).toEqual([0, 1, 2, 3]);
    expect(t.cells).toEqual([-1, 0, -1, 0]);
    expect(t.vcpus).toBe(3);
    expect(t.rows).toEqual([4]);
  });

  it('marks the pCPUs that violations name and keeps the worst severity', () => {
    const s: Snapshot = {
      ...snapshot('hv-1', 1000, 2, [vm('a', 1, [{ pcpu: 0, ran: true }])]),
      violations: [
        { id: 'x', kind: 'overcommit', severity: 'warning', vm: 'a', vms: ['a'], pcpus: [1], message: 'm', fix: null, since: 1, lastSeen: 2 },
        { id: 'y', kind: 'off-pin', severity: 'critical', vm: 'a', vms: ['a'], vcpu: 0, pcpus: [0], message: 'm', fix: null, since: 1, lastSeen: 2 },
      ],
    };
    const t = fleetTile(s);
    expect(t.marks).toEqual([1, 1]);
    expect(t.worst).toBe('critical');
    expect(t.critical).toBe(1);
    expect(t.warnings).toBe(1);
    expect(t.kinds).toEqual(['off-pin', 'overcommit']);
  });

  it('splits the miniature into one row per socket and node', () => {
    const base = snapshot('hv', 1, 4, []);
    const s: Snapshot = {
      ...base,
      topology: { ...base.topology, cpus: base.topology.cpus.map((c) => ({ ...c, socket: c.cpu < 2 ? 0 : 1, node: c.cpu < 2 ? 0 : 1 })) },
    };
    expect(fleetTile(s).rows).toEqual([2, 2]);
  });
});

describe('selectTiles', () => {
  const now = 100_000;
  const tiles = [
    fleetTile(snapshot('hv-b', now - 1000, 2, [vm('web-1', 1, [{ pcpu: 0, ran: true }])])),
    fleetTile({ ...snapshot('hv-a', now - 60_000, 2, [vm('db-1', 2, [{ pcpu: 1, ran: true }])]) }),
    fleetTile({
      ...snapshot('hv-c', now - 500, 2, [vm('db-2', 3, [{ pcpu: 1, ran: true }])]),
      violations: [{ id: 'v', kind: 'off-pin', severity: 'critical', vm: 'db-2', vms: ['db-2'], pcpus: [1], message: 'm', fix: null, since: 1, lastSeen: 2 }],
    }),
  ];
  const q = (over: Partial<ReturnType<typeof parseFleetQuery>>) => ({ ...parseFleetQuery(new URLSearchParams()), ...over });

  it('puts hosts in violation first, then stale ones, then by name', () => {
    expect(selectTiles(tiles, q({}), now).map((t) => t.host)).toEqual(['hv-c', 'hv-a', 'hv-b']);
  });
  it('searches host and VM names, case-insensitively', () => {
    expect(selectTiles(tiles, q({ search: 'DB' }), now).map((t) => t.host)).toEqual(['hv-c', 'hv-a']);
    expect(selectTiles(tiles, q({ search: 'hv-b' }), now).map((t) => t.host)).toEqual(['hv-b']);
  });
  it('filters stale, in violation and clean hosts', () => {
    expect(selectTiles(tiles, q({ filter: 'stale' }), now).map((t) => t.host)).toEqual(['hv-a']);
    expect(selectTiles(tiles, q({ filter: 'violations' }), now).map((t) => t.host)).toEqual(['hv-c']);
    expect(selectTiles(tiles, q({ filter: 'clean' }), now).map((t) => t.host)).toEqual(['hv-b']);
  });
  it('sorts by age, oldest frame first', () => {
    expect(selectTiles(tiles, q({ sort: 'age' }), now).map((t) => t.host)).toEqual(['hv-a', 'hv-b', 'hv-c']);
  });
  it('reads and writes its state from the URL, ignoring unknown values', () => {
    const parsed = parseFleetQuery(new URLSearchParams('q=web&filter=stale&sort=bogus'));
    expect(parsed).toEqual({ search: 'web', filter: 'stale', sort: 'violations' });
    expect(fleetQueryString(parsed)).toBe('?q=web&filter=stale');
    expect(fleetQueryString(q({}))).toBe('');
  });
});

describe('severity order', () => {
  const now = 100_000;
  const base = fleetTile(snapshot('x', now - 500, 2, []));
  const t = (host: string, critical: number, warnings: number, lastSeen = now - 500): FleetTile => ({
    ...base,
    host,
    lastSeen,
    critical,
    warnings,
    violations: critical + warnings,
    worst: critical > 0 ? 'critical' : warnings > 0 ? 'warning' : null,
  });

  it('sorts by critical count, then warnings, then stale, then name: many warnings never beat one critical', () => {
    const tiles = [t('warn-5', 0, 5), t('crit-1', 1, 0), t('clean', 0, 0), t('stale', 0, 0, now - 60_000), t('crit-2', 2, 0), t('crit-1-warn', 1, 3)];
    expect([...tiles].sort((x, y) => compareSeverity(x, y, now)).map((x) => x.host)).toEqual(['crit-2', 'crit-1-warn', 'crit-1', 'warn-5', 'stale', 'clean']);
    expect(selectTiles(tiles, parseFleetQuery(new URLSearchParams()), now).map((x) => x.host)).toEqual(['crit-2', 'crit-1-warn', 'crit-1', 'warn-5', 'stale', 'clean']);
  });

  it('names the VMs a search matched', () => {
    const tile = { ...base, vms: ['db-1', 'web-1', 'web-2'] };
    expect(matchedVms(tile, 'WEB')).toEqual(['web-1', 'web-2']);
    expect(matchedVms(tile, ' ')).toEqual([]);
    expect(matchedVms(tile, 'x')).toEqual([]);
  });
});
