import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSchedstatBytes } from './schedstat-bytes';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function parse(text: string): ReturnType<typeof parseSchedstatBytes> {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 32, '9 9 ');
  bytes.copy(buf);
  return parseSchedstatBytes(buf, bytes.length);
}

describe('parseSchedstatBytes', () => {
  it('parses the three counters, with blanks around them', () => {
    expect(parse('5430123456 1234567 890\n')).toEqual({ runNs: 5430123456, waitNs: 1234567, timeslices: 890 });
    expect(parse('0 0 0')).toEqual({ runNs: 0, waitNs: 0, timeslices: 0 });
    expect(parse(' 1 2 3 \n')).toEqual({ runNs: 1, waitNs: 2, timeslices: 3 });
    expect(parse('123456789012345 1 2\n').runNs).toBe(123456789012345);
  });

  it('rounds u64 values beyond 2^53 as Number() does and rejects beyond u64', () => {
    expect(parse('18446744073709551615 1 1').runNs).toBe(2 ** 64);
    expect(parse('9007199254740993 1 1').runNs).toBe(Number('9007199254740993'));
    expect(parse('1234567890123456789 2 3\n').runNs).toBe(Number('1234567890123456789'));
    expect(() => parse('18446744073709551616 1 1')).toThrow(/not a non-negative integer counter/);
    expect(() => parse(`${'9'.repeat(300)} 1 1`)).toThrow(/not a non-negative integer counter/);
  });

  it('reads the real /proc/self/schedstat', () => {
    const bytes = readFileSync('/proc/self/schedstat');
    expect(parseSchedstatBytes(bytes, bytes.length).runNs).toBeGreaterThan(0);
  });

  it.each(['', '\n', '1 2', '1 2 3 4', '1  2 3', 'a b c', '-1 2 3', '1.5 2 3', '1 2 3x', '1\t2 3', '1 2 3\n4'])('rejects %j', (text) => {
    expect(() => parse(text)).toThrow(/schedstat/);
  });
});
