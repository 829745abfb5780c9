import { describe, expect, it } from 'vitest';
import { codecFor } from '../../../test/support/codec-fixture';
import { minuteOf, ResidencyMinute } from './residency';
import { hostFrames } from '../../../test/support/snapshot-factory';
import { decodePlacement, newPlacement, type TickViolation } from './tick-codec';

function minuteFrom(frames = hostFrames({ host: 'hv', hotplugAt: 30 }, 60)) {
  const c = codecFor();
  const m = new ResidencyMinute(minuteOf(frames[0]?.at ?? 0));
  const halves = [new ResidencyMinute(m.minute), new ResidencyMinute(m.minute)];
  frames.forEach((f, i) => {
    const e = c.encode(f);
    const p = newPlacement(e.st.placedCount);
    const vs: TickViolation[] = [];
    decodePlacement(e.st, e.row, e.at, p, vs);
    m.addTick(e.st, p, vs);
    halves[i % 2]?.addTick(e.st, p, vs);
  });
  return { m, halves, frames };
}

describe('residency minute', () => {
  it('counts, per thread, the ticks on each pCPU and survives encoding', () => {
    const { m, frames } = minuteFrom();
    expect(m.ticks).toBe(60);
    let total = 0;
    m.forEachEntry((_sid, _placed, _pcpu, n) => (total += n));
    const threadTicks = frames.reduce((n, f) => n + f.vms.reduce((k, vm) => k + vm.threads.length, 0), 0);
    expect(total).toBe(threadTicks);
    const back = ResidencyMinute.decode(m.minute, m.ticks, m.encode());
    expect(back.groups).toStrictEqual(m.groups);
    expect(back.violations).toStrictEqual(m.violations);
    expect(back.structureIds().sort()).toStrictEqual([1, 2]); // hot-plug at tick 30
  });

  it('merges partial counts of one minute into the whole', () => {
    const { m, halves } = minuteFrom();
    const [a, b] = halves;
    if (!a || !b) throw new Error('no halves');
    a.merge(b);
    expect(a.ticks).toBe(m.ticks);
    expect(a.groups).toStrictEqual(m.groups);
    expect(a.violations).toStrictEqual(m.violations);
  });

  it('reports trailing bytes', () => {
    const { m } = minuteFrom(hostFrames({ host: 'hv' }, 3));
    const bytes = new Uint8Array([...m.encode(), 0]);
    expect(() => ResidencyMinute.decode(m.minute, m.ticks, bytes)).toThrow(/trailing/);
  });
});
