import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { encodeTick, type CompactTick } from './compact-tick';
import { checkTickFits } from './frame-checks';
import { parseTick } from './parse';
import { extractStructure, structureHash, structureJson, type StructureBody } from './structure-body';
import { FieldError } from './validate';
import { hostFrames } from '../../test/support/snapshot-factory';

function fixture(): { frame: Snapshot; body: StructureBody; tick: CompactTick; json: Record<string, unknown> } {
  const frame = hostFrames({ host: 'hv-01', seed: 9 }, 40).find((f) => f.violations.length > 0);
  if (!frame) throw new Error('fixture has no frame with violations');
  const body = extractStructure(frame);
  const tick = encodeTick(frame, structureHash(structureJson(body)));
  if (!tick) throw new Error('tick did not encode');
  const json: unknown = JSON.parse(JSON.stringify(tick));
  if (typeof json !== 'object' || json === null) throw new Error('not an object');
  return { frame, body, tick, json: { ...json } };
}

function rejects(v: unknown, message: RegExp): void {
  let err: unknown = null;
  try {
    parseTick(v, 'frames.3');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FieldError);
  expect(err instanceof Error ? err.message : '').toMatch(message);
}

describe('parseTick', () => {
  it('accepts what the agent encodes, unchanged', () => {
    const { tick, json } = fixture();
    expect(parseTick(json, 'frames.0')).toEqual(tick);
    expect(parseTick({ ...json, extra: 'ignored' }, 'frames.0')).toEqual(tick);
  });

  it('rejects what is not a tick object', () => {
    for (const v of [null, 7, 'tick', [], [1, 2]]) rejects(v, /^frames\.3: expected object/);
    const { json } = fixture();
    rejects({ ...json, tick: 2 }, /^frames\.3\.tick: expected 1/);
  });

  // [field, bad value, message]: every field, each way it can be wrong.
  const cases: [string, unknown, RegExp][] = [
    ['host', undefined, /^frames\.3\.host: expected string/],
    ['host', 42, /^frames\.3\.host: expected string/],
    ['host', '', /^frames\.3\.host: a host name without/],
    ['host', 'a/b', /^frames\.3\.host: a host name without/],
    ['host', 'a b', /^frames\.3\.host: a host name without/],
    ['host', 'x'.repeat(254), /^frames\.3\.host: a host name without/],
    ['at', '1', /^frames\.3\.at: expected an integer from 0 to/],
    ['at', -1, /^frames\.3\.at: expected an integer/],
    ['at', 1.5, /^frames\.3\.at: expected an integer/],
    ['at', 9e15, /^frames\.3\.at: expected an integer/],
    ['intervalMs', -1, /^frames\.3\.intervalMs: expected a number from 0 to 86400000 or null/],
    ['intervalMs', '1000', /^frames\.3\.intervalMs: expected a number/],
    ['intervalMs', undefined, /^frames\.3\.intervalMs: expected a number/],
    ['structure', 'abc', /^frames\.3\.structure: expected the structure hash/],
    ['structure', 'A'.repeat(64), /^frames\.3\.structure: expected the structure hash/],
    ['structure', null, /^frames\.3\.structure: expected the structure hash/],
    ['pcpu', 'x', /^frames\.3\.pcpu: expected array/],
    ['pcpu', [0, 1, -1], /^frames\.3\.pcpu\.2: expected an integer from 0 to 8191/],
    ['pcpu', [0, 8192], /^frames\.3\.pcpu\.1: expected an integer from 0 to 8191/],
    ['pcpu', [0.5], /^frames\.3\.pcpu\.0: expected an integer/],
    ['pcpu', [null], /^frames\.3\.pcpu\.0: expected an integer/],
    ['ran', [1, 0], /^frames\.3\.ran: expected string/],
    ['ran', '0120', /^frames\.3\.ran\.2: expected "0" or "1"/],
    ['state', 5, /^frames\.3\.state: expected string/],
    ['state', 'SS S', /^frames\.3\.state\.2: expected a printable ASCII character/],
    ['state', 'SS\u00e9', /^frames\.3\.state\.2: expected a printable ASCII character/],
    ['vcpus', {}, /^frames\.3\.vcpus: expected array/],
    ['vcpus', [[0, 1, 1]], /^frames\.3\.vcpus\.0: expected \[entry, pcpu, ran/],
    ['vcpus', [[-1, 1, 1, 'R']], /^frames\.3\.vcpus\.0\.0: expected an integer/],
    ['vcpus', [[2, 1, 1, 'R'], [2, 1, 1, 'R']], /^frames\.3\.vcpus\.1\.0: entries must be ascending/],
    ['vcpus', [[0, 9000, 1, 'R']], /^frames\.3\.vcpus\.0\.1: expected an integer from 0 to 8191/],
    ['vcpus', [[0, 1, true, 'R']], /^frames\.3\.vcpus\.0\.2: expected 0 or 1/],
    ['vcpus', [[0, 1, 1, 'RRRRR']], /^frames\.3\.vcpus\.0\.3: expected a string of at most 4/],
    ['runNs', null, /^frames\.3\.runNs: expected array/],
    ['runNs', [1, -5], /^frames\.3\.runNs\.1: expected a number >= 0 or null/],
    ['runNs', ['5'], /^frames\.3\.runNs\.0: expected a number >= 0 or null/],
    ['waitNs', [0, null, {}], /^frames\.3\.waitNs\.2: expected a number >= 0 or null/],
    ['busy', [0.5, 1.5], /^frames\.3\.busy\.1: expected a number from 0 to 1 or null/],
    ['busy', [-0.1], /^frames\.3\.busy\.0: expected a number from 0 to 1 or null/],
    ['violations', undefined, /^frames\.3\.violations: /],
    ['violations', [{ kind: 'off-pin' }], /^frames\.3\.violations\.0\.id: /],
  ];
  it.each(cases)('names the field: %s = %j', (field, bad, message) => {
    const { json } = fixture();
    rejects({ ...json, [field]: bad }, message);
  });

  it('names the field inside a bad violation', () => {
    const { json, tick } = fixture();
    const [v] = tick.violations;
    rejects({ ...json, violations: [{ ...v, severity: 'fatal' }] }, /^frames\.3\.violations\.0\.severity: /);
  });

  it('bounds array sizes', () => {
    const { json } = fixture();
    rejects({ ...json, pcpu: new Array<number>((1 << 20) + 1).fill(0) }, /^frames\.3\.pcpu: more than 1048576 entries/);
    rejects({ ...json, state: 'S'.repeat((1 << 20) + 1) }, /^frames\.3\.state: more than 1048576 characters/);
  });
});

describe('checkTickFits', () => {
  const fits = (t: CompactTick, body: StructureBody): void => checkTickFits(t, body, 'frames.1');

  it('accepts a tick of its structure', () => {
    const { tick, body } = fixture();
    expect(() => fits(tick, body)).not.toThrow();
  });

  const cases: [string, (t: CompactTick) => CompactTick, RegExp][] = [
    ['pcpu', (t) => ({ ...t, pcpu: t.pcpu.slice(1) }), /^frames\.1\.pcpu: expected 72 entries \(the threads of structure [0-9a-f]{12}\), got 71/],
    ['ran', (t) => ({ ...t, ran: `${t.ran}1` }), /^frames\.1\.ran: expected 72 entries/],
    ['state', (t) => ({ ...t, state: '' }), /^frames\.1\.state: expected 72 entries/],
    ['runNs', (t) => ({ ...t, runNs: [...t.runNs, 0] }), /^frames\.1\.runNs: expected 64 entries \(the vCPU entries/],
    ['waitNs', (t) => ({ ...t, waitNs: [] }), /^frames\.1\.waitNs: expected 64 entries/],
    ['busy', (t) => ({ ...t, busy: t.busy.slice(2) }), /^frames\.1\.busy: expected 64 entries \(the pCPUs/],
    ['vcpus', (t) => ({ ...t, vcpus: [[64, 0, 1, 'R']] }), /^frames\.1\.vcpus\.0\.0: no vCPU entry 64/],
  ];
  it.each(cases)('names the array that does not fit: %s', (_field, change, message) => {
    const { tick, body } = fixture();
    expect(() => fits(change(tick), body)).toThrow(message);
  });

  it('requires an entry for a vCPU that has no thread', () => {
    const { tick, body } = fixture();
    const [vm, ...rest] = body.vms;
    if (!vm) throw new Error('no VM');
    const [v0, ...vs] = vm.vcpus;
    if (!v0) throw new Error('no vCPU');
    const unlinked: StructureBody = { ...body, vms: [{ ...vm, vcpus: [{ ...v0, tid: 999_999 }, ...vs] }, ...rest] };
    expect(() => fits(tick, unlinked)).toThrow(/^frames\.1\.vcpus: vCPU entry 0 of structure [0-9a-f]{12} has no thread: it must be listed/);
    expect(() => fits({ ...tick, vcpus: [[0, 3, 1, 'R']] }, unlinked)).not.toThrow();
  });
});
