import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStatBytes } from './proc-stat-bytes';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function parse(text: string): ReturnType<typeof parseProcStatBytes> {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 64, '\ncpu9 1 1 1 1\n');
  bytes.copy(buf);
  return parseProcStatBytes(buf, bytes.length);
}

const PROC_STAT = [
  'cpu  1000 20 300 5000 40 5 6 7 100 2',
  'cpu0 500 10 150 2500 20 2 3 4 50 1',
  'cpu1 500 10 150 2500 20 3 3 3 50 1',
  `intr 12345 ${'0 '.repeat(2000)}0`,
  'ctxt 999',
  'btime 1700000000',
  'procs_running 2',
  '',
].join('\n');

describe('parseProcStatBytes', () => {
  it('sums busy without double-counting guest time and skips the aggregate and the long intr line', () => {
    expect(parse(PROC_STAT)).toEqual([
      { cpu: 0, busy: 500 + 10 + 150 + 2 + 3 + 4, total: 500 + 10 + 150 + 2 + 3 + 4 + 2500 + 20, steal: 4 },
      { cpu: 1, busy: 500 + 10 + 150 + 3 + 3 + 3, total: 500 + 10 + 150 + 3 + 3 + 3 + 2500 + 20, steal: 3 },
    ]);
  });

  it('handles sparse ids (offline CPUs), old kernels with 4 columns, CRLF, and sorts', () => {
    expect(parse('cpu  1 1 1 1\ncpu3 1 2 3 4\ncpu0 10 0 0 90')).toEqual([
      { cpu: 0, busy: 10, total: 100, steal: 0 },
      { cpu: 3, busy: 6, total: 10, steal: 0 },
    ]);
    expect(parse('intr 1\ncpu7 1 2 3 4\r\n')).toEqual([{ cpu: 7, busy: 6, total: 10, steal: 0 }]);
  });

  it('parses lines the kernel does not print (trailing space, double spaces, more than 10 counters) as the line parser does', () => {
    expect(parse('cpu2 1 2 3 4 \ncpu0  1  2 3 4\ncpu1 1 1 1 1 1 1 1 1 1 1 x y\n')).toEqual([
      { cpu: 0, busy: 6, total: 10, steal: 0 },
      { cpu: 1, busy: 6, total: 8, steal: 1 },
      { cpu: 2, busy: 6, total: 10, steal: 0 },
    ]);
    expect(parse(`cpu0 ${'9'.repeat(17)} 0 0 1\n`)).toEqual([{ cpu: 0, busy: Number('9'.repeat(17)), total: Number('9'.repeat(17)) + 1, steal: 0 }]);
  });

  it('reads the real /proc/stat', () => {
    const bytes = readFileSync('/proc/stat');
    const cpus = parseProcStatBytes(bytes, bytes.length);
    const lines = bytes.toString('utf8').split('\n').filter((l) => /^cpu\d/.test(l));
    expect(cpus.map((c) => `cpu${c.cpu}`)).toEqual(lines.map((l) => l.split(' ')[0]));
    for (const c of cpus) expect(c.total).toBeGreaterThanOrEqual(c.busy);
  });

  it('rejects garbage, naming the line', () => {
    expect(() => parse('')).toThrow(/no "cpuN" lines/);
    expect(() => parse('hello world')).toThrow(/no "cpuN" lines/);
    expect(() => parse('cpu  1 2 3 4\n')).toThrow(/no "cpuN" lines/);
    expect(() => parse('cpu0 1 2 3\n')).toThrow(/line 1: expected at least 4 counters/);
    expect(() => parse('cpu0 1 2 x 4\n')).toThrow(/line 1: "x"/);
    expect(() => parse('cpu0 1 2 3 4\ncpu0 1 2 3 4\n')).toThrow(/line 2: cpu0 appears twice/);
    expect(() => parse('cpu0x 1 2 3 4\n')).toThrow(/line 1/);
    expect(() => parse(`cpu0 ${'9'.repeat(30)} 1 1 1\n`)).toThrow(/not a non-negative integer counter/);
  });
});
