import { describe, expect, it } from 'vitest';
import type { FleetTile } from './fleet-tiles';
import { estimateMeasure, MORE_KEY, moreText, statusText, wallLayout, wallOrder, wallScale, wallState, type TileBox, type WallLayout } from './wall-layout';

const NOW = 1_000_000;

function tile(host: string, over: Partial<FleetTile> = {}): FleetTile {
  return {
    host,
    lastSeen: NOW - 500,
    intervalMs: 1000,
    vms: ['vm-a', 'vm-b'],
    vcpus: 4,
    violations: 0,
    critical: 0,
    warnings: 0,
    worst: null,
    kinds: [],
    rows: [8],
    cells: [0, 0, 1, 1, -1, -1, -1, -1],
    marks: [0, 0, 0, 0, 0, 0, 0, 0],
    cpuIds: [0, 1, 2, 3, 4, 5, 6, 7],
    ...over,
  };
}

const critical = (h: string) => tile(h, { violations: 2, critical: 1, warnings: 1, worst: 'critical', kinds: ['affinity-drift', 'off-pin'] });
const warning = (h: string) => tile(h, { violations: 1, warnings: 1, worst: 'warning', kinds: ['smt-sibling-shared'] });
const stale = (h: string) => tile(h, { lastSeen: NOW - 10 * 60_000, violations: 1, critical: 1, worst: 'critical', kinds: ['off-pin'] });

function fleet(n: { critical?: number; warning?: number; stale?: number; clean?: number }): FleetTile[] {
  const out: FleetTile[] = [];
  const name = (kind: string, i: number) => `hv-${kind}-${String(i).padStart(4, '0')}`;
  for (let i = 0; i < (n.critical ?? 0); i++) out.push(critical(name('crit', i)));
  for (let i = 0; i < (n.warning ?? 0); i++) out.push(warning(name('warn', i)));
  for (let i = 0; i < (n.stale ?? 0); i++) out.push(stale(name('gone', i)));
  for (let i = 0; i < (n.clean ?? 0); i++) out.push(tile(name('ok', i)));
  return out;
}

/** The layout of a w x h screen whose body is `header` px (at scale 1) shorter. */
function layout(tiles: FleetTile[], w: number, h: number, header = 0): WallLayout {
  const scale = wallScale(w, h);
  return wallLayout(wallOrder(tiles, NOW), w, h - header * scale, scale, estimateMeasure);
}

function overlaps(a: TileBox, b: TileBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Every tile inside the area, none over another, every name whole on its lines. */
function expectSound(l: WallLayout, names: Map<string, string>): void {
  const all = [...l.tiles, ...(l.clean.mode === 'tiles' ? l.clean.tiles : [])];
  for (const t of all) {
    expect(t.x).toBeGreaterThanOrEqual(0);
    expect(t.y).toBeGreaterThanOrEqual(0);
    expect(t.x + t.w).toBeLessThanOrEqual(l.width);
    expect(t.y + t.h).toBeLessThanOrEqual(l.height);
  }
  all.forEach((a, i) => all.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false)));
  for (const t of l.tiles) {
    const name = names.get(t.key) ?? '';
    const inner = t.w - 2 * (l.type.padX + l.type.border);
    expect(estimateMeasure(name, l.type.name, true)).toBeLessThanOrEqual(inner * t.nameLines);
  }
  if (l.clean.mode === 'band') expect(l.clean.y + l.clean.labelPx * 1.2 + l.clean.rows * (l.clean.cell + 1)).toBeLessThanOrEqual(l.height + 1);
}

const namesOf = (tiles: FleetTile[], l: WallLayout) => {
  const m = new Map(tiles.map((t) => [t.host, t.host]));
  if (l.more !== null) m.set(MORE_KEY, moreText(l.more).name);
  return m;
};

describe('wallState and wallOrder', () => {
  it('puts critical first (most critical first), then warning, then unknown, then clean', () => {
    const tiles = [tile('a'), warning('b'), stale('c'), critical('d'), tile('e', { violations: 3, critical: 3, worst: 'critical', kinds: ['off-pin'] })];
    expect(wallOrder(tiles, NOW).map((h) => [h.tile.host, h.state])).toEqual([
      ['e', 'critical'],
      ['d', 'critical'],
      ['b', 'warning'],
      ['c', 'unknown'],
      ['a', 'clean'],
    ]);
  });
  it('calls a host with no fresh frame unknown, whatever it said last, never ok', () => {
    expect(wallState(stale('x'), NOW)).toBe('unknown');
    expect(wallState(tile('y', { lastSeen: NOW - 60_000 }), NOW)).toBe('unknown');
    expect(statusText(tile('y', { lastSeen: NOW - 60_000 }), 'unknown', '1 min ago')).toBe('unknown, last seen 1 min ago');
    expect(statusText(critical('z'), 'critical', '2 s ago')).toBe('1 critical · 1 warning · 2 s ago');
  });
});

describe('wallLayout', () => {
  for (const [w, h, min] of [
    [1920, 1080, 18],
    [3840, 2160, 36],
  ] as const) {
    it(`names every host in violation of a 500-host fleet whole at ${min} px or more on ${w}x${h}`, () => {
      const tiles = fleet({ critical: 40, warning: 25, stale: 15, clean: 420 });
      const l = layout(tiles, w, h, 50);
      expect(l.more).toBeNull();
      expect(l.shown).toHaveLength(80);
      expect(l.type.name).toBeGreaterThanOrEqual(min);
      expect(l.tiles.map((t) => t.key)).toEqual(wallOrder(tiles, NOW).slice(0, 80).map((x) => x.tile.host));
      expect(['band', 'tiles']).toContain(l.clean.mode);
      expectSound(l, namesOf(tiles, l));
    });
  }

  it('gives a handful of hosts in violation big type and a miniature', () => {
    const tiles = fleet({ critical: 2, warning: 1, clean: 5 });
    const l = layout(tiles, 1920, 1080);
    expect(l.type.name).toBeGreaterThan(30);
    expect(l.type.mini).toBeGreaterThan(0);
    expect(l.clean.mode).toBe('tiles');
    expectSound(l, namesOf(tiles, l));
  });

  it('shows the worst hosts and "+K more in violation" when even the smallest type cannot hold them all', () => {
    const tiles = fleet({ critical: 600, warning: 1400 });
    const l = layout(tiles, 1920, 1080);
    expect(l.type.name).toBe(18);
    const more = l.more;
    if (more === null) throw new Error('expected a "+K more" tile');
    expect(l.shown.length + more.hidden).toBe(2000);
    expect(l.shown.length).toBeGreaterThan(50);
    expect(l.shown.every((h) => h.state === 'critical')).toBe(true); // the worst ones are shown
    expect(more.critical + more.warning).toBe(more.hidden);
    expect(moreText(more).name).toBe(`+${more.hidden.toLocaleString('en-US')} more in violation`);
    expect(l.tiles[l.tiles.length - 1]?.key).toBe(MORE_KEY);
    expect(l.clean.mode).toBe('none');
    expectSound(l, namesOf(tiles, l));
  });

  it('folds 2,000 clean hosts into a band of squares, and into a count when not even that fits', () => {
    const band = layout(fleet({ critical: 3, clean: 1997 }), 1920, 1080);
    expect(band.clean).toMatchObject({ mode: 'band', count: 1997 });
    expectSound(band, new Map());
    const crowded = layout(fleet({ critical: 70, clean: 1930 }), 1920, 1080);
    expect(['band', 'count']).toContain(crowded.clean.mode);
    expect(crowded.more).toBeNull();
    const tiny = layout(fleet({ clean: 2000 }), 320, 40);
    expect(tiny.clean).toMatchObject({ mode: 'count', count: 2000 });
  });

  it('wraps a name wider than the screen instead of cutting it', () => {
    const long = 'hv-'.padEnd(200, 'x');
    const tiles = [critical(long)];
    const l = layout(tiles, 1920, 1080);
    expect(l.tiles[0]?.nameLines).toBeGreaterThan(1);
    expectSound(l, namesOf(tiles, l));
  });

  it('keeps its geometry while the clock ticks (ages are reserved, not measured)', () => {
    const tiles = fleet({ critical: 5, stale: 5, clean: 20 });
    const a = layout(tiles, 1920, 1080);
    const b = wallLayout(wallOrder(tiles.map((t) => ({ ...t, lastSeen: t.lastSeen - 100 })), NOW), 1920, 1080, 1, estimateMeasure);
    expect(b.tiles).toEqual(a.tiles);
  });

  it('counts clean hosts whose tiles have not come yet, never naming them', () => {
    const l = wallLayout(wallOrder(fleet({ critical: 3 }), NOW), 1920, 1080, 1, estimateMeasure, 5);
    expect(l.clean).toMatchObject({ mode: 'band', count: 5 });
  });

  it('lays out an empty fleet as nothing at all', () => {
    const l = layout([], 1920, 1080);
    expect(l.tiles).toEqual([]);
    expect(l.clean.mode).toBe('none');
  });
});
