import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSchedstat } from './task-stat';
import { parseSchedstatBytes } from './schedstat-bytes';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function parse(text: string): ReturnType<typeof parseSchedstat> {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 32, '9 9 ');
  bytes.copy(buf);
  return parseSchedstatBytes(buf, bytes.length);
}

describe('parseSchedstatBytes', () => {
  it('parses the three counters like parseSchedstat', () => {
    for (const text of ['5430123456 1234567 890\n', '0 0 0', ' 1 2 3 \n', '123456789012345 1 2\n']) {
      expect(parse(text)).toEqual(parseSchedstat(text));
    }
    expect(parse('5430123456 1234567 890\n')).toEqual({ runNs: 5430123456, waitNs: 1234567, timeslices: 890 });
  });

  it('rounds u64 values beyond 2^53 as Number() does and rejects beyond u64', () => {
    for (const text of ['18446744073709551615 1 1', '9007199254740993 1 1', '1234567890123456789 2 3\n']) {
      expect(parse(text)).toEqual(parseSchedstat(text));
    }
    expect(parse('18446744073709551615 1 1').runNs).toBe(2 ** 64);
    expect(() => parse('18446744073709551616 1 1')).toThrow(/not a non-negative integer counter/);
    expect(() => parse(`${'9'.repeat(300)} 1 1`)).toThrow(/not a non-negative integer counter/);
  });

  it('reads the real /proc/self/schedstat', () => {
    const bytes = readFileSync('/proc/self/schedstat');
    expect(parseSchedstatBytes(bytes, bytes.length).runNs).toBeGreaterThan(0);
  });

  it.each(['', '\n', '1 2', '1 2 3 4', '1  2 3', 'a b c', '-1 2 3', '1.5 2 3', '1 2 3x', '1\t2 3', '1 2 3\n4'])(
    'rejects %j as parseSchedstat does',
    (text) => {
      expect(() => parseSchedstat(text)).toThrow(/schedstat/);
      expect(() => parse(text)).toThrow(/schedstat/);
    },
  );
});
