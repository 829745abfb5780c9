import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm } from '../../model/snapshot';
import { expandTick } from '../../wire/compact-tick';
import { ByteWriter } from './byte-codec';
import { codecFor } from '../../../test/support/codec-fixture';
import { hostFrames } from '../../../test/support/snapshot-factory';
import { decodeRow, decodeTick, encodeRow } from './tick-codec';

/** The row of each frame's tick decodes to the tick's snapshot, and to a tick that expands to it. */
function expectRoundTrip(frames: readonly Snapshot[]): void {
  const c = codecFor();
  for (const f of frames) {
    const e = c.encode(f);
    expect(expandTick(e.st.body, e.tick)).toStrictEqual(f);
    expect(decodeTick(e.st, e.row, f.at, (id) => c.body(id))).toStrictEqual(f);
    const again = decodeRow(e.st, e.row, f.at, (id) => c.body(id));
    expect(encodeRow(new ByteWriter(), e.st, again, e.ids)).toEqual(e.row);
  }
}

function oddVcpus(f: Snapshot): Snapshot {
  const [first, ...rest] = f.vms;
  if (!first) throw new Error('no VM');
  const [v0, v1, v2, ...vs] = first.vcpus;
  if (!v0 || !v1 || !v2) throw new Error('fixture VM has < 3 vCPUs');
  const vm: SnapshotVm = {
    ...first,
    // v0 moved after the task list was read, v1 has no thread, v2 ran while its thread did not
    vcpus: [{ ...v0, pcpu: v0.pcpu + 1, state: 'R' }, { ...v1, tid: 999_999, runNs: 5, ran: true }, { ...v2, ran: !v2.ran, runNs: 0 }, ...vs],
    // a state that does not fit one character (as `ps` prints it)
    threads: first.threads.map((t, i) => (i === 1 ? { ...t, state: 'D' } : i === 2 ? { ...t, state: 'Sl+' } : t)),
  };
  return { ...f, vms: [vm, ...rest] };
}

describe('tick rows', { timeout: 30_000 }, () => {
  it('round-trip the tick across a hot-plug, violations and the first sample', () => {
    const frames = hostFrames({ host: 'hv-3', seed: 8, hotplugAt: 30 }, 90);
    expect(frames.some((f) => f.violations.length > 0)).toBe(true);
    expectRoundTrip(frames);
  });

  it('keep vCPU entries that differ from their thread, the counters they ran with, and long thread states', () => {
    expectRoundTrip(hostFrames({ host: 'hv-4', seed: 2 }, 6).map(oddVcpus));
  });

  it('refuse a tick that does not fit the structure', () => {
    const [f] = hostFrames({ host: 'hv-5', seed: 2 }, 1);
    if (!f) throw new Error('no frame');
    const e = codecFor().encode(f);
    expect(() => encodeRow(new ByteWriter(), e.st, { ...e.tick, busy: [] }, [])).toThrow(/does not fit structure/);
  });
});
