import { afterEach, describe, expect, it } from 'vitest';
import { IngestLoad } from './ingest-load';

const loads: IngestLoad[] = [];
const make = (lag: () => number, maxInFlight = 4): IngestLoad => {
  const l = new IngestLoad({ maxInFlight, maxLagMs: 50, maxQueueMs: 100, windowMs: 20, lag });
  loads.push(l);
  return l;
};
const windows = (n: number): Promise<void> => new Promise((r) => setTimeout(r, 20 * n + 10));
afterEach(() => {
  for (const l of loads.splice(0)) l.close();
});

describe('IngestLoad', () => {
  it('bounds the requests in flight by count', () => {
    const l = make(() => 0, 2);
    const a = l.admit();
    const b = l.admit();
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(l.admit()).toMatchObject({ ok: false, reason: /in flight/ });
    if (a.ok) a.done();
    expect(l.admit().ok).toBe(true);
    expect(l.shed).toBe(1);
  });

  it('sheds a push that already waited past the queueing bound before it was looked at (parked behind reads)', () => {
    const l = make(() => 0);
    expect(l.admit(99).ok).toBe(true);
    expect(l.admit(101)).toMatchObject({ ok: false, reason: /waited 101 ms behind pages and reads/ });
    expect(l.shed).toBe(1);
  });

  it('sheds while the event loop stays behind, not for one slow moment, and says when to come back', async () => {
    let lag = 0;
    const l = make(() => lag);
    lag = 200;
    await windows(1);
    expect(l.admit().ok).toBe(true); // one window: a GC pause, a slow page
    await windows(2);
    const refused = l.admit();
    expect(refused).toMatchObject({ ok: false, reason: /behind by 200 ms/ });
    expect(refused.ok ? 0 : refused.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(refused.ok ? 0 : refused.retryAfterS).toBeLessThanOrEqual(3);
    lag = 0;
    await windows(2);
    expect(l.admit().ok).toBe(true);
  });

  it('sheds while even the quickest ingest of a window waited past the bound (a standing queue)', async () => {
    const l = new IngestLoad({ maxInFlight: 4, maxLagMs: 50, maxQueueMs: 100, windowMs: 200, lag: () => 0 });
    loads.push(l);
    const slow = [l.admit(), l.admit()];
    await new Promise((r) => setTimeout(r, 150));
    for (const s of slow) if (s.ok) s.done();
    // The window in which they finished says 150 ms; from then on new ingests are refused.
    while (l.queueMs === 0) await new Promise((r) => setTimeout(r, 10));
    expect(l.queueMs).toBeGreaterThanOrEqual(140);
    expect(l.admit()).toMatchObject({ ok: false, reason: /wait \d+ ms/ });
    await new Promise((r) => setTimeout(r, 450)); // windows without ingests in flight clear it
    expect(l.admit().ok).toBe(true);
  });
});
