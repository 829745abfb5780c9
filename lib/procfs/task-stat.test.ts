import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStatBytes } from './proc-stat-bytes';
import { parseCpusAllowedList, pcpuLoad } from './task-stat';

function procStat(): ReturnType<typeof parseProcStatBytes> {
  const bytes = readFileSync('/proc/stat');
  return parseProcStatBytes(bytes, bytes.length);
}

describe('parseCpusAllowedList', () => {
  it('reads the lists the kernel prints', () => {
    expect(parseCpusAllowedList('0')).toEqual([0]);
    expect(parseCpusAllowedList('0-3,8')).toEqual([0, 1, 2, 3, 8]);
  });

  it('rejects what the kernel does not print', () => {
    expect(() => parseCpusAllowedList('0-')).toThrow(/bad Cpus_allowed_list: invalid cpuset "0-"/);
    expect(() => parseCpusAllowedList('0-3,^1')).toThrow(/"\^" syntax/);
  });
});

describe('pcpuLoad', () => {
  it('computes the busy share of the interval', () => {
    const prev = [{ cpu: 0, busy: 100, total: 1000, steal: 0 }, { cpu: 1, busy: 0, total: 1000, steal: 0 }];
    const cur = [{ cpu: 0, busy: 150, total: 1100, steal: 0 }, { cpu: 1, busy: 100, total: 1100, steal: 0 }];
    expect(pcpuLoad(prev, cur)).toEqual([{ cpu: 0, busy: 0.5 }, { cpu: 1, busy: 1 }]);
  });

  it('works on two real /proc/stat readings', () => {
    const a = procStat();
    const b = procStat();
    for (const l of pcpuLoad(a, b)) {
      expect(l.busy).toBeGreaterThanOrEqual(0);
      expect(l.busy).toBeLessThanOrEqual(1);
    }
  });

  it('leaves out CPUs that appeared, disappeared, reset or did not advance; never NaN', () => {
    const prev = [
      { cpu: 0, busy: 100, total: 1000, steal: 0 },
      { cpu: 1, busy: 100, total: 1000, steal: 0 }, // goes offline
      { cpu: 3, busy: 900, total: 9000, steal: 0 }, // counters reset
      { cpu: 4, busy: 100, total: 1000, steal: 0 }, // no time elapsed
      { cpu: 5, busy: 100, total: 1000, steal: 0 }, // idle went backwards: clamp to 1
    ];
    const cur = [
      { cpu: 0, busy: 110, total: 1100, steal: 0 },
      { cpu: 2, busy: 10, total: 100, steal: 0 }, // came online
      { cpu: 3, busy: 5, total: 50, steal: 0 },
      { cpu: 4, busy: 100, total: 1000, steal: 0 },
      { cpu: 5, busy: 200, total: 1050, steal: 0 },
    ];
    const out = pcpuLoad(prev, cur);
    expect(out).toEqual([{ cpu: 0, busy: 0.1 }, { cpu: 5, busy: 1 }]);
    expect(pcpuLoad([], cur)).toEqual([]);
    expect(pcpuLoad(prev, [])).toEqual([]);
    expect(pcpuLoad([{ cpu: 0, busy: Number.NaN, total: 1, steal: 0 }], [{ cpu: 0, busy: 1, total: 2, steal: 0 }])).toEqual([]);
  });
});
