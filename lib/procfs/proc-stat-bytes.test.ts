import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStat } from './task-stat';
import { parseProcStatBytes } from './proc-stat-bytes';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function parse(text: string): ReturnType<typeof parseProcStat> {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 64, '\ncpu9 1 1 1 1\n');
  bytes.copy(buf);
  return parseProcStatBytes(buf, bytes.length);
}

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return err instanceof Error ? `error: ${err.message}` : err;
  }
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
  it('gives what parseProcStat gives', () => {
    expect(parse(PROC_STAT)).toEqual(parseProcStat(PROC_STAT));
    expect(parse(PROC_STAT)).toHaveLength(2);
    const sparse = 'cpu  1 1 1 1\ncpu3 1 2 3 4\ncpu0 10 0 0 90';
    expect(parse(sparse)).toEqual(parseProcStat(sparse));
  });

  it('reads the real /proc/stat', () => {
    const bytes = readFileSync('/proc/stat');
    const cpus = parseProcStatBytes(bytes, bytes.length);
    expect(cpus.map((c) => c.cpu)).toEqual(parseProcStat(bytes.toString('utf8')).map((c) => c.cpu));
  });

  it.each([
    '',
    'hello world',
    'cpu  1 2 3 4\n',
    'cpu0 1 2 3\n',
    'cpu0 1 2 x 4\n',
    'cpu0 1 2 3 4\ncpu0 1 2 3 4\n',
    'cpu0x 1 2 3 4\n',
    `cpu0 ${'9'.repeat(30)} 1 1 1\n`,
    'intr 1\ncpu7 1 2 3 4\r\n',
  ])('fails or succeeds exactly as parseProcStat on %j', (text) => {
    expect(outcome(() => parse(text))).toEqual(outcome(() => parseProcStat(text)));
  });
});
