import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { encodeTick } from '../wire/compact-tick';
import { extractStructure, structureHash, structureJson, type StructureBody } from '../wire/structure-body';
import { parseIngestBody } from './ingest-body';
import { resolveFrames, UnknownStructureError } from './resolve-frames';
import { frameSnapshot } from '../wire/frame';
import { BadFrameError } from './ingest-body';
import { hostFrames } from '../../test/support/snapshot-factory';

/** What the store is given, as the snapshots it will serve. */
const resolveSnapshots = (...args: Parameters<typeof resolveFrames>): Snapshot[] => resolveFrames(...args).map(frameSnapshot);

const frames = hostFrames({ host: 'hv-01', seed: 2, hotplugAt: 3 }, 6);
const structureOf = (s: Snapshot): StructureBody => extractStructure(s);
const hashOf = (s: Snapshot): string => structureHash(structureJson(structureOf(s)));
function tickJson(s: Snapshot): Record<string, unknown> {
  const v: unknown = JSON.parse(JSON.stringify(encodeTick(s, hashOf(s))));
  if (typeof v !== 'object' || v === null) throw new Error('tick JSON is not an object');
  return { ...v };
}
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const none = (): undefined => undefined;

function error(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('did not throw');
}

describe('ingest body with compact ticks', () => {
  it('resolves ticks against structures sent with them, across a structure change, beside full snapshots', () => {
    const [f0, f1, f2, f3, f4] = frames;
    if (!f0 || !f1 || !f2 || !f3 || !f4) throw new Error('fixture too short');
    expect(hashOf(f0)).not.toBe(hashOf(f4)); // the hot-plug changed the structure
    const body = wire({ structures: [structureOf(f0), structureOf(f4)], frames: [tickJson(f0), f1, tickJson(f2), tickJson(f4)] });
    expect(resolveSnapshots(parseIngestBody(body), none)).toEqual([f0, f1, f2, f4]);
    expect(f3).toBeDefined();
  });

  it('names a structure by the hash of its canonical form, whatever key order it came in', () => {
    const [f0] = frames;
    if (!f0) throw new Error('no frame');
    const s = structureOf(f0);
    const reordered = { vms: s.vms, topology: s.topology, host: s.host };
    expect(resolveSnapshots(parseIngestBody(wire({ structures: [reordered], frames: [tickJson(f0)] })), none)).toEqual([f0]);
  });

  it('uses a structure the store already has, and answers UnknownStructureError (409) when none has it', () => {
    const [f0] = frames;
    if (!f0) throw new Error('no frame');
    const batch = parseIngestBody(wire({ frames: [tickJson(f0)] }));
    const known = (host: string, hash: string): StructureBody | undefined => (host === 'hv-01' && hash === hashOf(f0) ? structureOf(f0) : undefined);
    expect(resolveSnapshots(batch, known)).toEqual([f0]);
    const err = error(() => resolveSnapshots(batch, none));
    expect(err).toBeInstanceOf(UnknownStructureError);
    expect(err.message).toMatch(/^frames\.0\.structure: unknown structure [0-9a-f]{64} for host "hv-01": send it in "structures"/);
  });

  it('does not resolve a tick with another host\'s structure', () => {
    const [f0] = frames;
    if (!f0) throw new Error('no frame');
    const other = { ...structureOf(f0), host: 'hv-02' };
    const t = { ...encodeTick(f0, structureHash(structureJson(other))), host: 'hv-01' };
    expect(error(() => resolveSnapshots(parseIngestBody(wire({ structures: [other], frames: [t] })), none))).toBeInstanceOf(UnknownStructureError);
  });

  it('answers 400 naming the field for a bad structure, a bad tick, a tick that does not fit, and a bad snapshot among ticks', () => {
    const [f0, f1] = frames;
    if (!f0 || !f1) throw new Error('no frame');
    const s = structureOf(f0);
    const badStructure = { ...s, vms: s.vms.map((vm, i) => (i === 1 ? { ...vm, pid: 'seven' } : vm)) };
    const cases: [unknown, RegExp][] = [
      [{ structures: [badStructure], frames: [tickJson(f0)] }, /^invalid frame: structures\.0\.vms\.1\.pid: /],
      [{ structures: {}, frames: [tickJson(f0)] }, /^invalid frame: structures: /],
      [{ structures: [s], frames: [] }, /^invalid frame: frames: /],
      [{ structures: [s], frames: [{ ...tickJson(f0), at: 'now' }] }, /^invalid frame: frames\.0\.at: expected an integer/],
      [{ frames: [tickJson(f0), { ...f1, vms: [{ ...f1.vms[0], pid: -1 }] }] }, /^invalid frame: frames\.1\.vms\.0\.pid: /],
    ];
    for (const [body, message] of cases) {
      const err = error(() => resolveSnapshots(parseIngestBody(wire(body)), none));
      expect(err).toBeInstanceOf(BadFrameError);
      expect(err.message).toMatch(message);
    }
    const short = { ...tickJson(f0), busy: [0.5] };
    const err = error(() => resolveSnapshots(parseIngestBody(wire({ structures: [s], frames: [short] })), none));
    expect(err).toBeInstanceOf(BadFrameError);
    expect(err.message).toMatch(/^invalid frame: frames\.0\.busy: expected 64 entries \(the pCPUs of structure/);
  });

  it('keeps the messages of a batch of full snapshots and of a single snapshot', () => {
    expect(error(() => parseIngestBody({ frames: [{ version: 1 }] })).message).toMatch(/^invalid frame: frames\.0\.host: /);
    const [f0] = frames;
    if (!f0) throw new Error('no frame');
    expect(error(() => parseIngestBody({ ...f0, at: -1 })).message).toMatch(/^invalid frame: at: /);
    expect(parseIngestBody(wire(f0)).frames).toEqual([f0]);
  });
});
