import { describe, expect, it } from 'vitest';
import { formatAge, formatAgo, formatTime, frameAge, isStale } from './format';

describe('formatAgo', () => {
  it('never says "now ago": under a second is "just now"', () => {
    expect(formatAgo(0)).toBe('just now');
    expect(formatAgo(999)).toBe('just now');
    expect(formatAgo(1000)).toBe('1 s ago');
  });
  it('rounds down through seconds, minutes, hours and days', () => {
    expect(formatAgo(59_999)).toBe('59 s ago');
    expect(formatAgo(60_000)).toBe('1 min ago');
    expect(formatAgo(3_599_999)).toBe('59 min ago');
    expect(formatAgo(3_600_000)).toBe('1 h ago');
    expect(formatAgo(47 * 3_600_000)).toBe('47 h ago');
    expect(formatAgo(3 * 86_400_000)).toBe('3 d ago');
  });
  it('takes a clock a little ahead as just now, and says so when it is far ahead', () => {
    expect(formatAgo(-3000)).toBe('just now');
    expect(formatAgo(-120_000)).toBe('2 min in the future (clock skew)');
    expect(formatAgo(Number.NaN)).toBe('at an unknown time');
  });
  it('formats durations without a suffix', () => {
    expect(formatAge(500)).toBe('0 s');
    expect(formatAge(61_000)).toBe('1 min');
  });
});

describe('formatTime', () => {
  const at = Date.UTC(2026, 10, 24, 16, 1, 21, 500);
  it('is UTC by default, with a Z', () => {
    expect(formatTime(at)).toBe('2026-11-24 16:01:21Z');
  });
  it('writes the wall time and offset of a zone', () => {
    expect(formatTime(at, 'Europe/Berlin')).toBe('2026-11-24 17:01:21+01:00');
    expect(formatTime(Date.UTC(2026, 6, 1, 12, 0, 0), 'Europe/Berlin')).toBe('2026-07-01 14:00:00+02:00');
    expect(formatTime(at, 'America/St_Johns')).toBe('2026-11-24 12:31:21-03:30');
  });
});

describe('isStale', () => {
  it('allows three intervals (at least 5 s), or 10 s when the interval is unknown', () => {
    expect(isStale(0, 5000, 1000)).toBe(false);
    expect(isStale(0, 5001, 1000)).toBe(true);
    expect(isStale(0, 10_000, null)).toBe(false);
    expect(isStale(0, 10_001, null)).toBe(true);
  });
});

describe('frameAge', () => {
  it('says just now within two intervals, so that a live host’s tile keeps its text', () => {
    expect(frameAge(0, 1999, 1000)).toBe('just now');
    expect(frameAge(0, 2000, 1000)).toBe('2 s ago');
    expect(frameAge(0, 3999, 2000)).toBe('just now');
    expect(frameAge(0, 600_000, 1000)).toBe('10 min ago');
    expect(frameAge(0, 1500, null)).toBe('just now');
  });
});
