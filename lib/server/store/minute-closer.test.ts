import { describe, expect, it } from 'vitest';
import { MinuteCloser } from './minute-closer';

const M = 60_000;
const T0 = 1_764_000_000_000; // minute-aligned

describe('minute closer', () => {
  it('closes the previous minute when a later one starts, and re-opens minutes a backlog lands in', () => {
    const c = new MinuteCloser();
    expect(c.stored('h', 1, Number.NEGATIVE_INFINITY, [T0, T0 + 1000])).toBe(T0 + 1000);
    expect(c.size).toBe(0); // still in its first minute
    expect(c.stored('h', 1, T0 + 1000, [T0 + M + 5])).toBe(T0 + M + 5);
    expect([...c.pending(1)]).toStrictEqual([T0]);
    // an agent's backlog, older than the newest minute: minutes 0 (again) and -3 are due
    c.stored('h', 1, T0 + M + 5, [T0 + 10, T0 - 3 * M]);
    expect([...c.pending(1)].sort()).toStrictEqual([T0 - 3 * M, T0]);
    expect(c.take(1)).toStrictEqual([{ host: 'h', hostId: 1, minute: T0 }]);
    c.requeue([{ host: 'h', hostId: 1, minute: T0 }]);
    expect(c.size).toBe(2);
    c.forget(1);
    expect(c.size).toBe(0);
  });
});
