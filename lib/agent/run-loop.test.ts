import { describe, expect, it } from 'vitest';
import { runLoop } from './run-loop';

describe('runLoop', () => {
  it('waits for a tick that returns a promise before the next, and skips the ticks it missed', async () => {
    const stop = new AbortController();
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const t0 = Date.now();
    await runLoop(
      20,
      stop.signal,
      () => {
        starts.push(Date.now() - t0);
        if (running > 0) overlapped = true;
        if (starts.length === 2) {
          running++;
          return new Promise<void>((r) => setTimeout(() => { running--; r(); }, 70)); // a grace of 70 ms
        }
        if (starts.length === 4) stop.abort();
        return undefined;
      },
      () => {},
    );
    expect(overlapped).toBe(false);
    expect(starts).toHaveLength(4);
    // The tick after the slow one starts on the cadence after it ended, not three ticks at once.
    expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(70);
    expect((starts[3] ?? 0) - (starts[2] ?? 0)).toBeGreaterThanOrEqual(10);
  });

  it('reports a rejected tick and goes on', async () => {
    const stop = new AbortController();
    const errors: unknown[] = [];
    let n = 0;
    await runLoop(
      5,
      stop.signal,
      () => {
        n++;
        if (n === 3) stop.abort();
        return n === 1 ? Promise.reject(new Error('boom')) : undefined;
      },
      (err) => errors.push(err),
    );
    expect(n).toBe(3);
    expect(errors.map((e) => (e instanceof Error ? e.message : e))).toEqual(['boom']);
  });
});
