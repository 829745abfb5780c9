import { describe, expect, it } from 'vitest';
import { lostTotal, parseCpuTraceStats } from './cpu-stats';
import { fixtureText } from '../../test/support/tracefs-fixtures';

describe('parseCpuTraceStats', () => {
  it('reads the stats of a CPU whose buffer was overrun (captured)', () => {
    const s = parseCpuTraceStats(fixtureText('cpu1.lost.stats'));
    expect(s).toEqual({ entries: 278, bytes: 16388, overrun: 60924, commitOverrun: 0, dropped: 0 });
    expect(lostTotal(s)).toBe(60924);
  });

  it('adds every loss counter and refuses text without the counters', () => {
    expect(lostTotal(parseCpuTraceStats('entries: 1\noverrun: 2\ncommit overrun: 3\nbytes: 9\ndropped events: 4\n'))).toBe(9);
    expect(() => parseCpuTraceStats('hello')).toThrow('expected "entries:" and "overrun:"');
  });
});
