import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTaskStat } from './task-stat';
import { parseTaskStatBytes } from './task-stat-bytes';
import { CAPTURES, fixtureTasks, STAT_TAIL } from './test-fixtures';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function scratch(text: string): [Buffer, number] {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 64, ') 9 (x) ');
  bytes.copy(buf);
  return [buf, bytes.length];
}

function parse(text: string): ReturnType<typeof parseTaskStat> {
  return parseTaskStatBytes(...scratch(text));
}

/** The error message, or null: the bytes parser must fail exactly when and as the text one does. */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return err instanceof Error ? `error: ${err.message}` : err;
  }
}

describe('parseTaskStatBytes', () => {
  it.each(CAPTURES)('gives what parseTaskStat gives for every thread captured in %s', (file) => {
    for (const t of fixtureTasks(file)) {
      expect(parse(t.stat)).toEqual(parseTaskStat(t.stat));
      expect(parse(t.stat)).toMatchObject({ tid: t.tid, comm: t.comm, processor: t.processor });
    }
  });

  it.each([
    'CPU 0/KVM',
    'a) b (c',
    'x)',
    ')) ((',
    '',
    'tab\there',
    'vCPU ) 3 ) S 1',
    'é中 ) (',
    '\u0000\u00ff',
  ])('splits at the last ")" and keeps hostile comm %j intact', (comm) => {
    const line = `42 (${comm}) ${STAT_TAIL}`;
    expect(parse(line)).toEqual(parseTaskStat(line));
    expect(parse(line)).toMatchObject({ tid: 42, comm, state: 'S', utime: 11, stime: 543, processor: 3 });
  });

  it('reads this process from the real /proc like the text parser', () => {
    for (const tid of readdirSync('/proc/self/task')) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(`/proc/self/task/${tid}/stat`);
      } catch {
        continue; // the thread exited between readdir and read
      }
      expect(parseTaskStatBytes(bytes, bytes.length)).toEqual(parseTaskStat(bytes.toString('utf8')));
    }
  });

  const line = `7474 (CPU 0/KVM) ${STAT_TAIL}`;
  it.each([
    '',
    'garbage',
    '1 (x',
    '(x) S 1',
    'abc (x) S 1',
    '-5 (x) S 1',
    '99999999999999999999 (x) S',
    '1 (x) S 1 2 3',
    '1 (x)',
    '1 (x) ',
    '1 (x)S 1',
    `1 (init) ${STAT_TAIL.trimEnd()}`,
    `1 (init) ${STAT_TAIL.trimEnd()}\r\n`,
    line.slice(0, 120),
    line.replace(' 543 ', ' 5x3 '),
    line.replace(' 543 ', ' 99999999999999999999 '),
    line.replace('S 1 ', 'SS 1 '),
    line.replace('S 1 ', '\u00e9 1 '),
    line.replace('S 1 ', 'S  1 '),
    line.replace(' -1 3 ', ' -1 -3 '),
    `${line}second line (y) S`,
  ])('fails or succeeds exactly as parseTaskStat on %j', (text) => {
    expect(outcome(() => parse(text))).toEqual(outcome(() => parseTaskStat(text)));
  });
});
