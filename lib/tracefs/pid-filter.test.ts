import { describe, expect, it } from 'vitest';
import { MAX_FILTER_CHARS, pidFilter, rangeFilter } from './pid-filter';

describe('pidFilter', () => {
  it('keeps the given thread ids, consecutive ones as a range', () => {
    expect(pidFilter([7474, 7475, 7476, 7477, 9001, 12, 13])).toBe('pid==12||pid==13||(pid>=7474&&pid<=7477)||pid==9001');
    expect(pidFilter([5, 5, 5])).toBe('pid==5');
  });

  it('keeps nothing for no threads, and gives up (null: keep all) past what tracefs accepts', () => {
    expect(pidFilter([])).toBe('pid<0');
    const scattered = Array.from({ length: 1000 }, (_, i) => 1000 + 3 * i);
    expect(pidFilter(scattered)).toBeNull();
    const vms = Array.from({ length: 100 }, (_, vm) => Array.from({ length: 8 }, (_, i) => 10_000 + vm * 50 + i)).flat();
    expect(pidFilter(vms)?.length).toBeLessThanOrEqual(MAX_FILTER_CHARS);
  });
});

describe('rangeFilter', () => {
  it('names each value of another field, consecutive ones as a range, and nothing for none', () => {
    expect(rangeFilter('target_cpu', [9, 2, 3, 4, 0])).toBe('target_cpu==0||(target_cpu>=2&&target_cpu<=4)||target_cpu==9');
    expect(rangeFilter('target_cpu', [])).toBe('');
  });
});
