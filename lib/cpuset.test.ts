import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCpuset, intersectCpus, isSubset, parseCpuset, sameCpus, withCpuBudget } from './cpuset';

const FIX = path.join(import.meta.dirname, '../test/fixtures/libvirt-9.0-qemu-7.2');

describe('parseCpuset', () => {
  it.each([
    ['0', [0]],
    ['0-3', [0, 1, 2, 3]],
    ['0-3,8', [0, 1, 2, 3, 8]],
    ['0-3,^2,8', [0, 1, 3, 8]],
    ['^2,0-3', [0, 1, 3]], // exclusions apply after inclusions whatever their position
    ['0-7,^2-5', [0, 1, 6, 7]],
    ['0-7,^2-3,^5', [0, 1, 4, 6, 7]],
    ['8,0-3,2,3,1', [0, 1, 2, 3, 8]], // duplicates merged, sorted
    [' 0-1 , 4 \n', [0, 1, 4]],
    ['\t2-3,10-11\n', [2, 3, 10, 11]],
    ['5-5', [5]],
    ['007', [7]],
    ['^3', []], // exclusion only: nothing included
    ['1,^1', []],
    ['', []],
    ['   \n', []],
    ['8191', [8191]],
  ])('%j -> %j', (text, want) => {
    expect(parseCpuset(text)).toEqual(want);
  });

  it('reads the kernel and libvirt lists captured in the fixtures', () => {
    const status = readFileSync(path.join(FIX, 'probe1.proc-tasks.txt'), 'utf8');
    const lists = [...status.matchAll(/^Cpus_allowed_list:\t(.*)$/gm)].map((m) => parseCpuset(m[1] ?? ''));
    expect(lists).toEqual([[0, 1], [0, 1], [0, 1], [0], [1], [0]]);
    // virsh vcpupin table of the hot-plugged guest
    const vcpupin = readFileSync(path.join(FIX, 'probe1.after-hotplug.vcpupin.txt'), 'utf8');
    const pins = [...vcpupin.matchAll(/^ (\d+)\s+(\S+)$/gm)].map((m) => parseCpuset(m[2] ?? ''));
    expect(pins).toEqual([[0], [1], [0, 1], [0, 1]]);
  });

  it.each([
    ['5-3', /"5-3".*reversed/],
    ['a', /not a CPU number/],
    ['1-a', /not a CPU number/],
    ['-1', /negative/],
    ['1,-2', /negative/],
    ['1,,2', /empty item at position 2/],
    [',1', /empty item at position 1/],
    ['1,', /empty item at position 2/],
    ['2-', /"2-" has no end/],
    ['1.5', /not a CPU number/],
    ['0x1', /not a CPU number/],
    ['1 2', /not a CPU number/],
    ['+1', /not a CPU number/],
    ['0-3:2', /not a CPU number/], // kernel stride syntax: never printed by the kernel
    ['^', /not a CPU number/],
    ['^^1', /not a CPU number/],
    ['1--2', /not a CPU number/],
    ['8192', /exceeds the maximum 8191/],
    ['0-99999999999999999999999', /exceeds the maximum/],
    ['9'.repeat(400), /exceeds the maximum/],
    ['0-4294967295', /exceeds the maximum/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseCpuset(text)).toThrow(msg);
  });

  it('names the offending text, cut when huge', () => {
    expect(() => parseCpuset('0-3,x')).toThrow('invalid cpuset "0-3,x": "x" is not a CPU number or range');
    const huge = `${'1,'.repeat(1000)}x`;
    expect(() => parseCpuset(huge)).toThrow(/^invalid cpuset "(1,){40}\.\.\."/);
  });

  it('honours maxCpu', () => {
    expect(parseCpuset('0-3', { maxCpu: 3 })).toEqual([0, 1, 2, 3]);
    expect(() => parseCpuset('4', { maxCpu: 3 })).toThrow(/exceeds the maximum 3/);
    expect(() => parseCpuset('1', { maxCpu: -1 })).toThrow(/maxCpu/);
    expect(() => parseCpuset('1', { maxCpu: Number.NaN })).toThrow(/maxCpu/);
  });

  it('stays fast on many overlapping full ranges', () => {
    const text = Array.from({ length: 2000 }, () => '0-8191').join(',');
    const t0 = performance.now();
    expect(parseCpuset(text)).toHaveLength(8192);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('formatCpuset', () => {
  it.each([
    [[], ''],
    [[0], '0'],
    [[0, 1, 2, 3, 8], '0-3,8'],
    [[0, 2, 4], '0,2,4'],
    [[1, 2], '1-2'],
    [[8, 0, 1, 1, 2], '0-2,8'], // unsorted input with duplicates still formats correctly
  ])('%j -> %j', (cpus, want) => {
    expect(formatCpuset(cpus)).toBe(want);
  });

  it('round-trips with parseCpuset', () => {
    for (const text of ['0-3,8', '0,2,4-6,8191', '', '5']) {
      expect(formatCpuset(parseCpuset(text))).toBe(text);
    }
  });

  it('rejects ids that are not CPUs', () => {
    expect(() => formatCpuset([-1])).toThrow(/not a CPU id: -1/);
    expect(() => formatCpuset([1.5])).toThrow(/not a CPU id/);
    expect(() => formatCpuset([Number.NaN])).toThrow(/not a CPU id/);
  });
});

describe('set helpers', () => {
  it('sameCpus', () => {
    expect(sameCpus([0, 1], [0, 1])).toBe(true);
    expect(sameCpus([1, 0, 0], [0, 1])).toBe(true);
    expect(sameCpus([0], [0, 1])).toBe(false);
    expect(sameCpus([0, 2], [0, 1])).toBe(false);
    expect(sameCpus([], [])).toBe(true);
  });

  it('intersectCpus', () => {
    expect(intersectCpus([0, 1, 2, 3], [2, 3, 4])).toEqual([2, 3]);
    expect(intersectCpus([0, 1], [2, 3])).toEqual([]);
    expect(intersectCpus([], [1])).toEqual([]);
    expect(intersectCpus([3, 1, 2], [2, 3])).toEqual([2, 3]);
  });

  it('isSubset', () => {
    expect(isSubset([1], [0, 1])).toBe(true);
    expect(isSubset([0, 1], [0, 1])).toBe(true);
    expect(isSubset([], [])).toBe(true);
    expect(isSubset([0, 1], [1])).toBe(false);
    // probe1.psr-outside-affinity: vCPU 2 last ran on CPU 0 while its affinity was 1
    expect(isSubset([0], parseCpuset('1'))).toBe(false);
  });
});

describe('withCpuBudget', () => {
  it('bounds the CPU ids that parseCpuset may produce in total, and only inside the call', () => {
    expect(withCpuBudget(10, () => [parseCpuset('0-3'), parseCpuset('4-9')].flat())).toHaveLength(10);
    expect(() => withCpuBudget(10, () => [parseCpuset('0-3'), parseCpuset('4-10')])).toThrow(/more than 10 CPU ids in total/);
    // Exclusions do not buy room: the inclusions are what would be expanded.
    expect(() => withCpuBudget(5, () => parseCpuset('0-9,^2-9'))).toThrow(/more than 5/);
    expect(parseCpuset('0-8191')).toHaveLength(8192);
  });
});
