import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../model/snapshot';
import { codecFor, type EncodedFrame } from '../../../test/support/codec-fixture';
import { LiveWindow, SEGMENT_TICKS, type HostWindow } from './live-window';
import { mulberry32, hostFrames } from '../../../test/support/snapshot-factory';
import type { Structure } from './structure';
import { decodePlacement, decodeTick, isWholeRow, newPlacement, type TickViolation } from './tick-codec';

function fill(frames: readonly Snapshot[], windowMs: number, order?: readonly number[]): { window: LiveWindow; hw: HostWindow; encoded: EncodedFrame[] } {
  const c = codecFor();
  const encoded = frames.map((f) => c.encode(f));
  const window = new LiveWindow(windowMs);
  const hw = window.hostOrCreate(frames[0]?.host ?? 'h', Number.NEGATIVE_INFINITY);
  for (const i of order ?? encoded.map((_, k) => k)) {
    const e = encoded[i];
    if (e) hw.insert(e.at, e.st, e.row, e.bodies);
  }
  return { window, hw, encoded };
}

/** What the window holds of each frame: the frame itself (whole rows), else its placement (sealed segments). */
type Held = Snapshot | { at: number; pcpu: number[]; ran: number[]; violations: TickViolation[] };

function placementOf(st: Structure, row: Uint8Array, at: number): Held {
  const p = newPlacement(st.placedCount);
  const violations: TickViolation[] = [];
  decodePlacement(st, row, at, p, violations);
  return { at, pcpu: Array.from(p.pcpu), ran: Array.from(p.ran), violations };
}

function heldAll(hw: HostWindow, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): Held[] {
  const out: Held[] = [];
  hw.forEach(from, to, (t) => {
    if (!isWholeRow(t.st, t.row)) {
      out.push(placementOf(t.st, t.row, t.at));
      return;
    }
    out.push(
      decodeTick(t.st, t.row, t.at, (id) => {
        const b = hw.body(id);
        if (!b) throw new Error(`body ${id} not in window`);
        return b;
      }),
    );
  });
  return out;
}

/** What heldAll should give for `frames`: whole for the ticks whose rows are whole. */
function expected(hw: HostWindow, encoded: readonly EncodedFrame[], frames: readonly Snapshot[]): Held[] {
  const whole = new Set<number>();
  hw.forEach(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, (t) => {
    if (isWholeRow(t.st, t.row)) whole.add(t.at);
  });
  return frames.map((f) => {
    if (whole.has(f.at)) return f;
    const e = encoded.find((x) => x.at === f.at);
    if (!e) throw new Error(`frame ${f.at} was not encoded`);
    return placementOf(e.st, e.row, e.at);
  });
}

function shuffled(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] ?? 0, a[i] ?? 0];
  }
  return a;
}

describe('live window', () => {
  it('keeps the last windowMs per host, exactly, across sealed and open segments', () => {
    const frames = hostFrames({ host: 'hv-01', hotplugAt: 20 }, 400);
    const { hw, encoded } = fill(frames, 100_000);
    const newest = frames.at(-1)?.at ?? 0;
    expect(hw.newest).toBe(newest);
    expect(hw.coverageStart).toBe(newest - 100_000);
    const covered = frames.filter((f) => f.at >= hw.coverageStart);
    // whole segments are evicted: at most one segment more than the window
    expect(hw.size).toBeGreaterThanOrEqual(covered.length);
    expect(hw.size).toBeLessThan(covered.length + SEGMENT_TICKS);
    expect(heldAll(hw, hw.coverageStart)).toStrictEqual(expected(hw, encoded, covered));
    // sealed segments keep placements only; the newest segment too, but for its newest tick
    const cut = heldAll(hw).filter((h) => !('version' in h)).length;
    expect(cut).toBeGreaterThanOrEqual(hw.size - SEGMENT_TICKS);
    expect(heldAll(hw, newest).at(-1)).toStrictEqual(frames.at(-1));
    // the hot-plug structure of tick 20 has left with its ticks; the current one is there
    expect(hw.structure(1)).toBeUndefined();
    expect(hw.structure(2)).toBeDefined();
  });

  it('keeps the newest tick whole and the rest of the open segment as placements', () => {
    const frames = hostFrames({ host: 'hv-06' }, 40);
    const { hw, encoded, window } = fill(frames, 10_000_000);
    const whole: number[] = [];
    hw.forEach(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, (t) => {
      if (isWholeRow(t.st, t.row)) whole.push(t.at);
    });
    expect(whole).toStrictEqual([frames.at(-1)?.at]);
    expect(heldAll(hw)).toStrictEqual(expected(hw, encoded, frames));
    const rows = encoded.reduce((n, e) => n + e.row.length, 0);
    expect(window.byteSize()).toBeLessThan(rows / 2);
  });

  it('stores out-of-order ticks at their time (backlog), splitting segments as they grow', () => {
    const frames = hostFrames({ host: 'hv-02' }, 500);
    const { hw, encoded } = fill(frames, 10_000_000, shuffled(frames.length, 7));
    expect(hw.size).toBe(500);
    expect(heldAll(hw)).toStrictEqual(expected(hw, encoded, frames));
  });

  it('ignores a tick it already has and ticks older than its coverage', () => {
    const frames = hostFrames({ host: 'hv-03' }, 200);
    const { hw, encoded } = fill(frames, 50_000);
    const last = encoded.at(-1);
    const old = encoded[0];
    if (!last || !old) throw new Error('no frames');
    expect(hw.has(last.at)).toBe(true);
    expect(hw.insert(last.at, last.st, last.row, last.bodies)).toBe(false);
    expect(hw.has(old.at)).toBe(false);
    expect(hw.insert(old.at, old.st, old.row, old.bodies)).toBe(false);
    expect(hw.has(old.at)).toBe(false);
  });

  it('finds the nearest tick (the earlier one on a tie)', () => {
    const frames = hostFrames({ host: 'hv-04' }, 200).map((f, i) => ({ ...f, at: 1_000_000 + i * 1000 }));
    const { hw } = fill(frames, 10_000_000);
    expect(hw.nearest(0)?.at).toBe(1_000_000);
    expect(hw.nearest(9e12)?.at).toBe(1_199_000);
    expect(hw.nearest(1_064_400)?.at).toBe(1_064_000);
    expect(hw.nearest(1_064_500)?.at).toBe(1_064_000);
    expect(hw.nearest(1_064_501)?.at).toBe(1_065_000);
    expect(hw.nearest(1_127_999)?.at).toBe(1_128_000); // across a segment boundary
    expect(hw.latest()?.at).toBe(1_199_000);
  });

  it('evicts exactly on request but always keeps the newest tick and its references', () => {
    const frames = hostFrames({ host: 'hv-05' }, 150);
    const { hw, encoded } = fill(frames, 10_000_000);
    const newest = frames.at(-1);
    if (!newest) throw new Error('no frames');
    hw.evict(newest.at - 10_000, true);
    expect(heldAll(hw)).toStrictEqual(expected(hw, encoded, frames.filter((f) => f.at >= newest.at - 10_000)));
    hw.evict(newest.at + 3_600_000, true);
    expect(hw.size).toBe(1);
    expect(hw.coverageStart).toBe(newest.at);
    expect(heldAll(hw)).toStrictEqual([newest]);
  });

  it('keeps several hosts apart', () => {
    const window = new LiveWindow(60_000);
    const c = codecFor();
    for (const host of ['a', 'b', 'c']) {
      const hw = window.hostOrCreate(host, Number.NEGATIVE_INFINITY);
      for (const f of hostFrames({ host, seed: host.charCodeAt(0) }, 70)) {
        const e = c.encode(f);
        hw.insert(e.at, e.st, e.row, e.bodies);
      }
    }
    expect([...window.all()].map((h) => [h.host, h.size])).toEqual([
      ['a', 70],
      ['b', 70],
      ['c', 70],
    ]);
    expect(window.byteSize()).toBeGreaterThan(0);
  });
});
