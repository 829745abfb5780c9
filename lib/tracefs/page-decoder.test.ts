import { describe, expect, it } from 'vitest';
import { decodePage, PageFormatError, PageStream, type RecordSink } from './page-decoder';
import { buildPage, fixtureBytes, fixtureLayout, switchData, wakingData } from '../../test/support/tracefs-fixtures';

const layout = fixtureLayout();

interface Seen {
  readonly pages: string[];
  readonly events: string[];
}

/** Every page and event as text: page time and losses, event time, type and its first 8 data bytes. */
function collect(): { sink: RecordSink; seen: Seen } {
  const seen: Seen = { pages: [], events: [] };
  const time = new Float64Array(1);
  const sink: RecordSink = {
    time,
    page(lost) {
      seen.pages.push(`${time[0]}/${lost}`);
    },
    event(view, at, len) {
      const ts = time[0] ?? 0;
      const head = [...new Uint8Array(view.buffer, view.byteOffset + at, Math.min(8, len))].join(',');
      seen.events.push(`${ts}:${view.getUint16(at, true)}:${len}:${head}`);
    },
  };
  return { sink, seen };
}

/** A cheap fingerprint of everything decoded (count, times, types, lengths, first data words). */
function fingerprint(chunks: readonly Uint8Array[]): string {
  let h = 0x811c9dc5;
  let n = 0;
  const mix = (x: number): void => {
    h = Math.imul(h ^ (x | 0), 16777619);
    h = Math.imul(h ^ Math.floor(x / 4294967296), 16777619);
  };
  const time = new Float64Array(1);
  const s = new PageStream(layout, 0, {
    time,
    page(lost) {
      mix(time[0] ?? 0);
      mix(lost);
    },
    event(view, at, len) {
      n++;
      mix(time[0] ?? 0);
      mix(len);
      mix(view.getUint32(at, true));
      mix(view.getUint32(at + 4, true));
    },
  });
  for (const c of chunks) s.push(c);
  return `${n}/${s.pendingBytes}/${h >>> 0}`;
}

function decodeChunks(chunks: readonly Uint8Array[]): Seen {
  const { sink, seen } = collect();
  const s = new PageStream(layout, 0, sink);
  for (const c of chunks) s.push(c);
  expect(s.pendingBytes).toBe(0);
  return seen;
}

const CAPTURES = ['reference.cpu0.pages', 'reference.cpu1.pages', 'cpu1.lost.pages', 'cpu0.sparse.pages'];

describe('PageStream on pages captured from this machine', () => {
  for (const file of CAPTURES) {
    const bytes = fixtureBytes(file);
    const whole = decodeChunks([bytes]);

    it(`${file}: gives the same records whatever the split, at every byte of every page`, () => {
      expect(whole.events.length).toBeGreaterThan(20);
      // A split inside page p only changes how p is put together, so splitting each page alone at
      // every byte covers every split of the whole capture, at a fraction of the cost.
      for (let p = 0; p * layout.pageSize < bytes.length; p++) {
        const page = bytes.subarray(p * layout.pageSize, (p + 1) * layout.pageSize);
        const want = fingerprint([page]);
        for (let k = 0; k <= page.length; k++) {
          const got = fingerprint([page.subarray(0, k), page.subarray(k)]);
          if (got !== want) throw new Error(`split at byte ${k} of page ${p} of ${file} decodes differently: ${got}, want ${want}`);
        }
      }
      // And the fingerprint itself sees what the slow, detailed decoding sees.
      expect(fingerprint([bytes]).split('/')[0]).toBe(String(whole.events.length));
    });

    it(`${file}: gives the same records in three uneven chunks and one byte at a time`, () => {
      const a = Math.floor(bytes.length / 3) + 7;
      const b = Math.floor((2 * bytes.length) / 3) - 5;
      expect(decodeChunks([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual(whole);
      const ones: Uint8Array[] = [];
      for (let i = 0; i < Math.min(bytes.length, 2 * layout.pageSize); i++) ones.push(bytes.subarray(i, i + 1));
      const firstTwo = decodeChunks([bytes.subarray(0, Math.min(bytes.length, 2 * layout.pageSize))]);
      expect(decodeChunks(ones)).toEqual(firstTwo);
    });
  }

  it('has time-ordered events and whole-page losses where the kernel flagged them', () => {
    const lost = decodeChunks([fixtureBytes('cpu1.lost.pages')]);
    // The capture overflowed a 16 KiB buffer: its stats file says "overrun: 60924".
    expect(lost.pages[0]).toMatch(/\/60924$/);
    expect(lost.pages.slice(1).every((p) => p.endsWith('/0'))).toBe(true);
    for (const file of CAPTURES) {
      const seen = decodeChunks([fixtureBytes(file)]);
      const ts = seen.events.map((e) => Number(e.split(':')[0]));
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1] ?? 0);
    }
  });

  it('reads the time-extend records of a sparse CPU (gaps of over 2^27 ns)', () => {
    const seen = decodeChunks([fixtureBytes('cpu0.sparse.pages')]);
    const ts = seen.events.map((e) => Number(e.split(':')[0]));
    const gaps = ts.slice(1).map((t, i) => t - (ts[i] ?? 0));
    expect(Math.max(...gaps)).toBeGreaterThan(2 ** 27);
    // The capture moved a task every 300 ms: the gaps sit near 300 ms, never in the 2^32 range a
    // dropped extend would give.
    expect(Math.max(...gaps)).toBeLessThan(400e6);
  });
});

describe('decodePage on built pages', () => {
  const sw = switchData(10, 'a', 1, 20, 'b');
  const wk = wakingData(20, 'b', 10, 1);

  it('applies deltas, time extends and absolute time stamps', () => {
    const page = buildPage(1_000_000, [
      { kind: 'event', delta: 100, data: sw },
      { kind: 'extend', delta: 3 * 2 ** 27 + 5 },
      { kind: 'event', delta: 7, data: wk },
      { kind: 'stamp', ts: 9_000_000_000 },
      { kind: 'event', delta: 1, data: sw, long: true },
    ]);
    const { sink, seen } = collect();
    decodePage(layout, new DataView(page.buffer), 0, 0, sink);
    expect(seen.pages).toEqual(['1000000/0']);
    expect(seen.events.map((e) => e.split(':').slice(0, 3).join(':'))).toEqual([
      '1000100:372:64',
      `${1_000_100 + 3 * 2 ** 27 + 5 + 7}:375:36`,
      '9000000001:372:64',
    ]);
  });

  it('skips discarded events and stops at end padding', () => {
    const page = buildPage(500, [
      { kind: 'event', delta: 1, data: wk },
      { kind: 'discard', bytes: 40 },
      { kind: 'event', delta: 2, data: wk },
      { kind: 'end-padding' },
      { kind: 'event', delta: 3, data: sw },
    ]);
    const { sink, seen } = collect();
    expect(decodePage(layout, new DataView(page.buffer), 0, 0, sink)).toBe(2);
    // A discarded event's delta is not added, as in the kernel's own reader.
    expect(seen.events.map((e) => Number(e.split(':')[0]))).toEqual([501, 503]);
  });

  it('reports lost events: a stored count, or -1 when only the flag is set', () => {
    for (const [missed, want] of [[123, 123], ['flag', -1]] as const) {
      const { sink, seen } = collect();
      decodePage(layout, new DataView(buildPage(7, [{ kind: 'event', delta: 0, data: wk }], missed).buffer), 0, 0, sink);
      expect(seen.pages).toEqual([`7/${want}`]);
    }
  });

  it('keeps timestamps exact past 2^53 ns of uptime by subtracting a base', () => {
    const page = buildPage(0, [{ kind: 'event', delta: 3, data: wk }]);
    const v = new DataView(page.buffer);
    v.setUint32(0, 17, true); // low word
    v.setUint32(4, 0x300000, true); // high word: 2^53.6 ns
    const { sink, seen } = collect();
    decodePage(layout, v, 0, 0x300000, sink);
    expect(seen.pages).toEqual(['17/0']);
    expect(seen.events[0]?.startsWith('20:')).toBe(true);
  });

  it('refuses a corrupt page with a message that says where', () => {
    const bad = buildPage(0, [{ kind: 'event', delta: 0, data: wk }]);
    new DataView(bad.buffer).setUint32(8, 5000, true);
    expect(() => decodePage(layout, new DataView(bad.buffer), 0, 0, collect().sink)).toThrow(PageFormatError);
    const cut = buildPage(0, [{ kind: 'event', delta: 0, data: sw, long: true }]);
    new DataView(cut.buffer).setUint32(8, 40, true);
    expect(() => decodePage(layout, new DataView(cut.buffer), 0, 0, collect().sink)).toThrow('runs past the commit length 40');
  });
});
