import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READ_PRIORITY_MS, ReadsFirst } from './reads-first';

afterEach(() => {
  vi.useRealTimers();
});

/** A request and response pair as far as the gate looks at them. */
function exchange(): { req: IncomingMessage; res: ServerResponse } {
  const req = { destroyed: false } as unknown as IncomingMessage;
  const res = { writableEnded: false } as unknown as ServerResponse;
  return { req, res };
}

function setup(maxParkMs = 250): { gate: ReadsFirst; started: { name: string; queuedMs: number }[]; push: (name: string) => Promise<void> } {
  vi.useFakeTimers();
  const gate = new ReadsFirst(() => maxParkMs, () => Date.now());
  const started: { name: string; queuedMs: number }[] = [];
  const push = (name: string): Promise<void> => {
    const { req, res } = exchange();
    return gate.push(req, res, async (_q, _s, queuedMs) => {
      started.push({ name, queuedMs });
    });
  };
  return { gate, started, push };
}

describe('ReadsFirst', () => {
  it('starts a push at once when no read is in flight', async () => {
    const { started, push } = setup();
    await push('a');
    expect(started).toEqual([{ name: 'a', queuedMs: 0 }]);
  });

  it('parks pushes while a read is in flight and starts them, in order, once it is answered', async () => {
    const { gate, started, push } = setup();
    const done = gate.read();
    const pushes = [push('a'), push('b')];
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual([]);
    expect(gate.parkedCount).toBe(2);
    done();
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(pushes);
    expect(started.map((s) => s.name)).toEqual(['a', 'b']);
    expect(started[0]?.queuedMs).toBe(100);
  });

  it('queues a push behind parked ones even when the reads are already done', async () => {
    const { gate, started, push } = setup();
    const done = gate.read();
    const first = push('a');
    done();
    const second = push('b'); // arrives before the parked one was started
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all([first, second]);
    expect(started.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('starts a push parked past its limit while reads go on, telling it how long it waited', async () => {
    const { gate, started, push } = setup(250);
    gate.read(); // never answered within the test
    const p = push('a');
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(60);
    await p;
    expect(started).toHaveLength(1);
    expect(started[0]?.queuedMs).toBeGreaterThanOrEqual(250);
  });

  it('stops holding pushes for a read older than READ_PRIORITY_MS (a long download or a trace waiting on its agent)', async () => {
    const { gate, started, push } = setup(60_000);
    gate.read();
    const p = push('a');
    await vi.advanceTimersByTimeAsync(READ_PRIORITY_MS + 10);
    await p;
    expect(started.map((s) => s.name)).toEqual(['a']);
    await push('b'); // the old read no longer parks anything
    expect(started.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('drops a parked push whose client left, without running its handler', async () => {
    const { gate, started } = setup();
    const done = gate.read();
    const { req, res } = exchange();
    const p = gate.push(req, res, async () => {
      started.push({ name: 'gone', queuedMs: 0 });
    });
    Object.assign(req, { destroyed: true });
    done();
    await vi.advanceTimersByTimeAsync(0);
    await p;
    expect(started).toEqual([]);
    expect(gate.parkedCount).toBe(0);
  });

  it('starts parked pushes a few per turn, not all in one', async () => {
    const { gate, started, push } = setup();
    const done = gate.read();
    const pushes = Array.from({ length: 10 }, (_, i) => push(String(i)));
    done();
    vi.advanceTimersToNextTimer(); // one turn
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(10);
    await vi.runAllTimersAsync();
    await Promise.all(pushes);
    expect(started.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  });
});
