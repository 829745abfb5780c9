import { describe, expect, it } from 'vitest';
import { Fanout, type EventSink } from './fanout';

/** A sink whose client reads `reads` bytes of what it was given (Infinity: everything). */
function sink(reads = Infinity): EventSink & { got: Buffer[]; dropped: boolean } {
  let written = 0;
  const s = {
    got: [] as Buffer[],
    dropped: false,
    backlog: () => Math.max(0, written - reads),
    write: (e: Buffer) => {
      written += e.byteLength;
      s.got.push(e);
    },
    drop: () => {
      s.dropped = true;
    },
  };
  return s;
}

const opts = { maxStreams: 3, maxStreamsPerClient: 2, maxBacklogBytes: 100 };

describe('Fanout', () => {
  it('writes one event object to every stream of its topic, and heartbeats to all', () => {
    const f = new Fanout(opts);
    const a = sink();
    const b = sink();
    const c = sink();
    f.open('1', 'host:x', a);
    f.open('2', 'host:x', b);
    f.open('3', 'fleet', c);
    const event = Buffer.from('event: snapshot\ndata: {}\n\n');
    f.publish('host:x', event);
    expect(a.got[0]).toBe(event); // the same bytes, not a copy per client
    expect(b.got[0]).toBe(event);
    expect(c.got).toHaveLength(0);
    f.publish('*', Buffer.from(': hb\n\n'));
    expect([a.got.length, b.got.length, c.got.length]).toEqual([2, 2, 1]);
  });

  it('drops a stream whose backlog passes the bound and frees its place', () => {
    const f = new Fanout(opts);
    const slow = sink(0);
    const fast = sink();
    f.open('1', 'host:x', slow);
    f.open('2', 'host:x', fast);
    for (let i = 0; i < 5; i++) f.publish('host:x', Buffer.alloc(40));
    expect(slow.dropped).toBe(true);
    expect(slow.got.length).toBeLessThan(5);
    expect(fast.got).toHaveLength(5);
    expect(f.dropped).toBe(1);
    expect(f.size).toBe(1);
    expect(f.listeners('host:x')).toBe(1);
  });

  it('bounds streams per client (429) and in all (503), and counts closed ones out', () => {
    const f = new Fanout(opts);
    const first = f.open('a', 'fleet', sink());
    expect(f.open('a', 'fleet', sink()).ok).toBe(true);
    expect(f.open('a', 'fleet', sink())).toMatchObject({ ok: false, status: 429 });
    expect(f.open('b', 'fleet', sink()).ok).toBe(true);
    expect(f.open('c', 'fleet', sink())).toMatchObject({ ok: false, status: 503 });
    if (first.ok) first.close();
    expect(f.open('a', 'fleet', sink()).ok).toBe(true);
  });
});
