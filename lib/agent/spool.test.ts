import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, spoolDirBytes } from './spool';
import { crc32, decodeRecords, encodeRecord } from './spool-records';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const frame = (at: number, structure: string | null = H1): { json: string; structure: string | null } => ({ json: `{"tick":1,"at":${at}}`, structure });
const open: Spool[] = [];
const spool = (dir: string, maxBytes = 1 << 20, segmentBytes?: number): Spool => {
  const s = Spool.open({ dir, maxBytes, ...(segmentBytes === undefined ? {} : { segmentBytes }), syncEveryMs: 10 });
  open.push(s);
  return s;
};
const dir = (): string => mkdtempSync(path.join(tmpdir(), 'vcpumap-spool-'));
const ats = (s: Spool): number[] => s.peek(1e9).map((f) => (JSON.parse(f.json) as { at: number }).at);
afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by the test
    }
  }
});

describe('spool records', () => {
  it('decode what they encode, and stop at a torn record at every cut', () => {
    const recs = [encodeRecord({ kind: 'structure', hash: H1, json: '{"s":1}' }), encodeRecord({ kind: 'frame', structure: H1, json: '{"at":1}' }), encodeRecord({ kind: 'frame', structure: null, json: '{"at":2,"é":1}' })];
    const all = Buffer.concat(recs);
    expect(decodeRecords(all).records.map((r) => r.record)).toEqual([
      { kind: 'structure', hash: H1, json: '{"s":1}' },
      { kind: 'frame', structure: H1, json: '{"at":1}' },
      { kind: 'frame', structure: null, json: '{"at":2,"é":1}' },
    ]);
    const before = (recs[0]?.byteLength ?? 0) + (recs[1]?.byteLength ?? 0);
    for (let cut = before; cut < all.byteLength; cut++) {
      const d = decodeRecords(all.subarray(0, cut));
      expect(d.records).toHaveLength(2);
      expect(d.intact).toBe(before);
    }
    // A flipped byte (a page that never reached the disk) is caught by the checksum.
    const bad = Buffer.from(all);
    bad[before + 12] = (bad[before + 12] ?? 0) ^ 0xff;
    expect(decodeRecords(bad).records).toHaveLength(2);
  });

  it('computes the same CRC-32 as zlib', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    const z: unknown = Reflect.get(zlib, 'crc32');
    if (typeof z === 'function') expect(crc32(data)).toBe(Number(z(data)));
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('Spool', () => {
  it('keeps frames oldest first until they are taken, across a reopen', () => {
    const d = dir();
    const s = spool(d);
    for (let at = 1; at <= 5; at++) s.push(frame(at), '{"structure":1}');
    expect(ats(s)).toEqual([1, 2, 3, 4, 5]);
    s.take(2);
    expect(s.peek(2).map((f) => f.structure)).toEqual([H1, H1]);
    s.close();
    const again = spool(d);
    expect(again.recovered).toBe(3);
    expect(ats(again)).toEqual([3, 4, 5]);
    expect(again.structure(H1)).toBe('{"structure":1}');
  });

  it('survives being abandoned without close (SIGKILL): every appended frame is there, torn tails cut off', () => {
    const d = dir();
    const s = spool(d);
    for (let at = 1; at <= 3; at++) s.push(frame(at), '{"structure":1}');
    // The process dies inside a write: half a record at the end, and the lock left behind.
    const seg = readdirSync(d).find((f) => f.endsWith('.seg')) ?? '';
    const half = encodeRecord({ kind: 'frame', structure: H1, json: '{"tick":1,"at":4}' }).subarray(0, 11);
    writeFileSync(path.join(d, seg), half, { flag: 'a' });
    writeFileSync(path.join(d, 'lock'), JSON.stringify({ pid: 999_999_999, start: '1', boot: 'x' }));
    open.splice(0); // never closed
    const again = spool(d);
    expect(again.repairedBytes).toBe(11);
    expect(ats(again)).toEqual([1, 2, 3]);
    again.push(frame(4), null);
    expect(ats(spoolAfterClose(again, d))).toEqual([1, 2, 3, 4]);
  });

  it('recovers at every point a write could have been cut', () => {
    const d = dir();
    const s = spool(d);
    s.push(frame(1), '{"structure":1}');
    s.push(frame(2), null);
    s.close();
    const seg = path.join(d, readdirSync(d).find((f) => f.endsWith('.seg')) ?? '');
    const full = readFileSync(seg);
    const one = decodeRecords(full).records[1];
    const firstEnd = (one?.offset ?? 0) + (one?.length ?? 0); // after the structure and frame 1
    for (let cut = firstEnd; cut <= full.byteLength; cut++) {
      writeFileSync(seg, full.subarray(0, cut));
      const r = spool(d);
      expect(ats(r), `cut at ${cut}`).toEqual(cut === full.byteLength ? [1, 2] : [1]);
      r.close();
      open.splice(0);
    }
  });

  it('stays within its bytes, dropping the oldest segment and saying how many frames went', () => {
    const d = dir();
    const s = spool(d, 20_000, 4000);
    let dropped = 0;
    for (let at = 1; at <= 1000; at++) dropped += s.push({ json: `{"at":${at},"pad":"${'x'.repeat(60)}"}`, structure: at % 2 ? H1 : H2 }, at % 2 ? '{"one":1}' : '{"two":2}');
    expect(spoolDirBytes(d)).toBeLessThanOrEqual(20_000);
    expect(dropped).toBeGreaterThan(500);
    expect(s.length + dropped).toBe(1000);
    const left = ats(s);
    expect(left[left.length - 1]).toBe(1000);
    expect(left).toEqual([...left].sort((a, b) => a - b));
    // Each surviving segment has the structures its frames name.
    expect(s.structure(H1)).toBe('{"one":1}');
    expect(s.structure(H2)).toBe('{"two":2}');
    s.close();
    expect(spool(d).structure(H2)).toBe('{"two":2}');
  });

  it('deletes what the server stored, and leaves an empty directory on close', () => {
    const d = dir();
    const s = spool(d, 1 << 20, 200);
    for (let at = 1; at <= 50; at++) s.push(frame(at), '{"s":1}');
    const segments = readdirSync(d).filter((f) => f.endsWith('.seg')).length;
    expect(segments).toBeGreaterThan(3);
    s.take(40);
    expect(readdirSync(d).filter((f) => f.endsWith('.seg')).length).toBeLessThan(segments);
    expect(ats(s)).toEqual(Array.from({ length: 10 }, (_, i) => 41 + i));
    s.take(10);
    s.close();
    expect(readdirSync(d).filter((f) => f !== 'lock')).toEqual([]);
  });

  it('refuses a spool another live process holds', () => {
    const d = dir();
    const start = readFileSync(`/proc/${process.ppid}/stat`, 'latin1');
    const field22 = start.slice(start.lastIndexOf(')') + 2).split(' ')[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    writeFileSync(path.join(d, 'lock'), JSON.stringify({ pid: process.ppid, start: field22, boot }));
    expect(() => Spool.open({ dir: d, maxBytes: 1 << 20 })).toThrow(new RegExp(`in use by process ${process.ppid}`));
  });
});

/** Closes and reopens (the frames as a next run sees them). */
function spoolAfterClose(s: Spool, d: string): Spool {
  s.close();
  open.splice(open.indexOf(s), 1);
  return spool(d);
}
