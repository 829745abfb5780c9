import { describe, expect, it } from 'vitest';
import { formatInZone, offsetText, parseZone, UTC, zoneLabel, zoneOffsetMs } from './time-zone';

describe('time zones', () => {
  it('accepts zone names Intl knows and falls back to UTC for anything else', () => {
    expect(parseZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseZone('Mars/Olympus')).toBe(UTC);
    expect(parseZone('')).toBe(UTC);
    expect(parseZone(null)).toBe(UTC);
    expect(parseZone('x'.repeat(100))).toBe(UTC);
  });
  it('knows offsets across daylight saving time', () => {
    expect(zoneOffsetMs(Date.UTC(2026, 0, 15), 'Europe/Berlin')).toBe(3_600_000);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 15), 'Europe/Berlin')).toBe(7_200_000);
    expect(zoneOffsetMs(Date.UTC(2026, 0, 15), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(Date.UTC(2026, 0, 15), UTC)).toBe(0);
    expect(offsetText(-5.5 * 3_600_000, 'Asia/X')).toBe('-05:30');
  });
  it('writes clocks for the wall and labels for the switch', () => {
    const at = Date.UTC(2026, 10, 24, 23, 59, 30);
    expect(formatInZone(at, UTC, 'minutes')).toBe('23:59');
    expect(formatInZone(at, 'Europe/Berlin', 'minutes')).toBe('00:59');
    expect(formatInZone(at, 'Europe/Berlin', 'clock')).toBe('00:59:30');
    expect(formatInZone(at, 'Europe/Berlin', 'seconds')).toBe('2026-11-25 00:59:30+01:00');
    expect(zoneLabel(UTC)).toBe('UTC');
    expect(zoneLabel('Europe/Berlin')).toBe('local (Europe/Berlin)');
  });
});
