import { describe, expect, it } from 'vitest';
import { fleetTile } from './fleet-tiles';
import { applyTilesEvent, fleetModel } from './fleet-model';
import { snapshot, vm } from '../../test/support/view-snapshots';

const a = fleetTile(snapshot('a', 1000, 2, [vm('web', 10, [{ pcpu: 0, ran: true }])]));
const b = fleetTile(snapshot('b', 1000, 2, []));

describe('applyTilesEvent', () => {
  it('keeps a tile object when only its age changed, so views skip it; its arrays stay the same', () => {
    const m0 = applyTilesEvent(fleetModel([], 0), { at: 2000, reset: true, tiles: [a, b], gone: [], order: ['a', 'b'], seen: [1000, 1000] });
    expect(m0.list).toEqual([a, b]);
    expect(m0.list[0]).toBe(a);
    const m1 = applyTilesEvent(m0, { at: 3000, reset: false, tiles: [], gone: [], seen: [500, 2000] });
    expect(m1.list.map((t) => t.lastSeen)).toEqual([2500, 1000]);
    expect(m1.list[1]).toBe(b); // unchanged
    expect(m1.list[0]?.cells).toBe(a.cells); // a copy for the age only
    expect(m1.at).toBe(3000);
  });

  it('adds, replaces and drops tiles, and starts over on reset', () => {
    const m0 = fleetModel([a, b], 1000);
    const a2 = { ...a, cells: [0, 0] };
    const c = fleetTile(snapshot('c', 1500, 1, []));
    const m1 = applyTilesEvent(m0, { at: 2000, reset: false, tiles: [a2, c], gone: ['b'], order: ['a', 'c'], seen: [1000, 500] });
    expect(m1.order).toEqual(['a', 'c']);
    expect(m1.list.map((t) => [t.host, t.cells])).toEqual([
      ['a', [0, 0]],
      ['c', [-1]],
    ]);
    const m2 = applyTilesEvent(m1, { at: 3000, reset: true, tiles: [b], gone: [], order: ['b'], seen: [2000] });
    expect(m2.list.map((t) => t.host)).toEqual(['b']);
  });

  it("keeps the tiles it held that show the same thing when a reset or an update resends them", () => {
    const m0 = fleetModel([a, b], 1000);
    const a2 = { ...a, cells: [...a.cells] }; // the same content, parsed anew
    const b2 = { ...b, critical: b.critical + 1 };
    const m1 = applyTilesEvent(m0, { at: 2000, reset: true, tiles: [a2, b2], gone: [], order: ['a', 'b'], seen: [1000, 1000] });
    expect(m1.list[0]).toBe(a);
    expect(m1.list[1]).toBe(b2);
    const m2 = applyTilesEvent(m1, { at: 3000, reset: false, tiles: [{ ...a, lastSeen: 2900 }], gone: [], seen: [100, 2000] });
    expect(m2.list[0]?.cells).toBe(a.cells);
    expect(m2.list[0]?.lastSeen).toBe(2900);
  });

  it('never goes back in time when an older event arrives', () => {
    const m = applyTilesEvent(fleetModel([a], 5000), { at: 4000, reset: false, tiles: [], gone: [], seen: [3000] });
    expect(m.at).toBe(5000);
  });
});

describe('a partial first render', () => {
  it('knows it has only the first tiles until the stream brings them all', () => {
    const m0 = fleetModel([a], 1000, 2000);
    expect(m0.partialOf).toBe(2000);
    expect(applyTilesEvent(m0, { at: 2000, reset: false, tiles: [], gone: [], seen: [0] }).partialOf).toBe(2000);
    expect(applyTilesEvent(m0, { at: 2000, reset: true, tiles: [a, b], gone: [], order: ['a', 'b'], seen: [0, 0] }).partialOf).toBeNull();
    expect(fleetModel([a, b], 1000, 2).partialOf).toBeNull();
  });
});
