import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  it('reads the units operators write', () => {
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration(' 1s ')).toBe(1000);
  });
  it('rejects what it cannot mean', () => {
    for (const bad of ['', 'soon', '1h', '-1s', '1 s s', '0ms', '5ms', '2h', '1e3']) {
      expect(() => parseDuration(bad), bad).toThrow(/duration/);
    }
  });
});
