import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm } from '../../model/snapshot';
import { encodeTick as encodeWireTick } from '../../wire/compact-tick';
import { structureHash, structureJson } from '../../wire/structure-body';
import { ByteWriter } from './byte-codec';
import { codecFor } from './codec-fixture';
import { encodeCompactTick } from './compact-tick-row';
import { hostFrames } from './snapshot-factory';
import { decodeTick } from './tick-codec';

/** The row from the compact tick of `f` must be the row of `f` itself, byte for byte. */
function expectSameRow(frames: readonly Snapshot[]): void {
  const c = codecFor();
  const w = new ByteWriter();
  for (const f of frames) {
    const e = c.encode(f);
    const t = encodeWireTick(f, structureHash(structureJson(e.st.body)));
    if (!t) throw new Error('tick did not encode');
    const row = encodeCompactTick(w, e.st, t, e.ids);
    expect(row).toEqual(e.row);
    expect(decodeTick(e.st, row, f.at, (id) => c.body(id))).toStrictEqual(f);
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
    threads: first.threads.map((t, i) => (i === 1 ? { ...t, state: 'D' } : t)),
  };
  return { ...f, vms: [vm, ...rest] };
}

describe('encodeCompactTick', () => {
  it('writes the row encodeTick writes for the snapshot, across a hot-plug, violations and the first sample', () => {
    const frames = hostFrames({ host: 'hv-3', seed: 8, hotplugAt: 30 }, 90);
    expect(frames.some((f) => f.violations.length > 0)).toBe(true);
    expectSameRow(frames);
  });

  it('writes vCPU entries that differ from their thread, and the counters they ran with', () => {
    expectSameRow(hostFrames({ host: 'hv-4', seed: 2 }, 6).map(oddVcpus));
  });

  it('refuses a tick that does not fit the structure', () => {
    const [f] = hostFrames({ host: 'hv-5', seed: 2 }, 1);
    if (!f) throw new Error('no frame');
    const e = codecFor().encode(f);
    const t = encodeWireTick(f, structureHash(structureJson(e.st.body)));
    if (!t) throw new Error('tick did not encode');
    expect(() => encodeCompactTick(new ByteWriter(), e.st, { ...t, busy: [] }, [])).toThrow(/does not fit structure/);
  });
});
