import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm } from '../../model/snapshot';
import { codecFor, type EncodedFrame } from '../../../test/support/codec-fixture';
import { hostFrames } from '../../../test/support/snapshot-factory';
import { historyColumn } from '../../wire/history-column';
import { decodeChunk, encodeChunk } from './chunk-codec';
import { decodeRecord, type TickRecord } from './tick-codec';

/** Frames grouped as the store groups them into chunks: by structure run within a minute. */
function chunks(frames: readonly Snapshot[]): EncodedFrame[][] {
  const c = codecFor();
  const out: EncodedFrame[][] = [];
  let cur: EncodedFrame[] = [];
  for (const f of frames) {
    const e = c.encode(f);
    const prev = cur[cur.length - 1];
    if (prev && (prev.st !== e.st || Math.floor(prev.at / 60_000) !== Math.floor(e.at / 60_000))) {
      out.push(cur);
      cur = [];
    }
    cur.push(e);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const records = (list: readonly EncodedFrame[]): TickRecord[] => list.map((e) => decodeRecord(e.st, e.row, e.at));

function odd(f: Snapshot, i: number): Snapshot {
  const [vm0, ...rest] = f.vms;
  if (!vm0) throw new Error('no VM');
  const [v0, v1, v2, ...vs] = vm0.vcpus;
  if (!v0 || !v1 || !v2) throw new Error('no vCPUs');
  const vm: SnapshotVm = {
    ...vm0,
    // v0 without a thread, v1 moved after the task list was read, v2 with fractional and huge counters
    vcpus: [{ ...v0, tid: 424_242, pcpu: i % 5, state: i % 2 ? 'R' : 'Q?' }, i % 3 === 0 ? { ...v1, pcpu: v1.pcpu + 1 } : v1, { ...v2, runNs: i === 3 ? 1.5 : 2 ** 52 + i, waitNs: null }, ...vs],
    threads: vm0.threads.map((t, k) => (k === 1 && i % 4 === 0 ? { ...t, state: 'Sl+' } : k === 2 ? { ...t, state: 'D' } : t)),
  };
  const busy = i === 5 ? Math.PI / 4 : null;
  return {
    ...f,
    vms: [vm, ...rest],
    topology: busy === null ? f.topology : { ...f.topology, cpus: f.topology.cpus.map((c, k) => (k === 0 ? { ...c, busy } : c)) },
    // violations change order between ticks
    violations: i % 2 ? [...f.violations].reverse() : f.violations,
  };
}

describe('chunk codec', () => {
  it('gives back every record exactly, across a hot-plug, violations coming and going, and the first sample', { timeout: 30_000 }, () => {
    const list = chunks(hostFrames({ host: 'hv-c', seed: 6, hotplugAt: 70 }, 200));
    expect(list.length).toBeGreaterThanOrEqual(4);
    for (const group of list) {
      const st = group[0]?.st;
      if (!st) throw new Error('empty group');
      expect(decodeChunk(st, encodeChunk(st, records(group)))).toStrictEqual(records(group));
    }
  });

  it('gives back unusual values exactly: vCPUs without a thread, long states, fractions, nulls, reordered violations', () => {
    const frames = hostFrames({ host: 'hv-o', seed: 2 }, 20).map(odd);
    const [group] = chunks(frames.slice(0, 20));
    const st = group?.[0]?.st;
    if (!group || !st) throw new Error('no group');
    expect(decodeChunk(st, encodeChunk(st, records(group)))).toStrictEqual(records(group));
  });

  it('gives back exact-mode records exactly, beside ticks without them', () => {
    const frames = hostFrames({ host: 'hv-x', seed: 8, exact: true }, 70);
    for (const group of chunks(frames)) {
      const st = group[0]?.st;
      if (!st) throw new Error('empty group');
      const recs = records(group);
      expect(recs.some((r) => r.exact?.vcpuExact !== undefined) || group.length === 1).toBe(true);
      expect(decodeChunk(st, encodeChunk(st, recs))).toStrictEqual(recs);
    }
  });

  it('stores the history column of every tick as its placed rows', () => {
    const [group] = chunks(hostFrames({ host: 'hv-h', seed: 3 }, 30).map(odd));
    const st = group?.[0]?.st;
    if (!group || !st) throw new Error('no group');
    const back = decodeChunk(st, encodeChunk(st, records(group)));
    back.forEach((rec, i) => {
      const col = historyColumn(st.body, group[i]?.tick ?? (null as never));
      const own = new Map(rec.vcpus.map((x) => [x[0], x]));
      col.placed.forEach((_, row) => {
        const entry = row < st.threadCount ? -1 : (st.index.unlinked[row - st.threadCount] ?? -1);
        expect(entry < 0 ? rec.pcpu[row] : own.get(entry)?.[1]).toBe(col.pcpu[row]);
        expect(entry < 0 ? rec.ran[row] : own.get(entry)?.[2]).toBe(col.ran[row]);
      });
    });
  });

  it('refuses records it cannot keep in order', () => {
    const [group] = chunks(hostFrames({ host: 'hv-r', seed: 3 }, 3));
    const st = group?.[0]?.st;
    if (!group || !st) throw new Error('no group');
    expect(() => encodeChunk(st, records(group).reverse())).toThrow(/ascending/);
  });
});
