import { describe, expect, it } from 'vitest';
import { decodeNotice, encodeNotices } from './replica-notify';

describe('replica notifications', () => {
  it('names every frame, in payloads PostgreSQL accepts (< 8000 bytes)', () => {
    const ats = Array.from({ length: 3000 }, (_, i) => 1_764_000_000_000 + i * 1000);
    const host = `h"ü${'x'.repeat(240)}`;
    const payloads = encodeNotices('replica-1', new Map([[host, ats], ['small', [1, 2]]]));
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const notices = payloads.map(decodeNotice);
    expect(notices.every((n) => n.replica === 'replica-1')).toBe(true);
    expect(notices.filter((n) => n.host === host).flatMap((n) => n.ats)).toStrictEqual(ats);
    expect(notices.filter((n) => n.host === 'small').flatMap((n) => n.ats)).toStrictEqual([1, 2]);
  });

  it('rejects what it did not write', () => {
    expect(() => decodeNotice('nope')).toThrow(/not JSON/);
    expect(() => decodeNotice('{"r":"x","h":"y","a":["1"]}')).toThrow(/unexpected shape/);
  });
});
