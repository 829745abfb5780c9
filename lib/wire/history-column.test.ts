import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm } from '../model/snapshot';
import { openStore } from '../server/store/store';
import { appendFrame, liveHistory } from '../ui/live-history';
import { hostFrames } from '../../test/support/snapshot-factory';
import { FrameSplitter } from './frame';

const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-column-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A vCPU whose thread is not in the task list (a race between the task list and libvirt's status). */
function unlinked(s: Snapshot, pcpu: number): Snapshot {
  const [vm, ...rest] = s.vms;
  if (!vm) throw new Error('no VM');
  const [v0, ...vs] = vm.vcpus;
  if (!v0) throw new Error('no vCPU');
  const odd: SnapshotVm = { ...vm, vcpus: [{ ...v0, tid: 424_242, pcpu, ran: true }, ...vs] };
  return { ...s, vms: [odd, ...rest] };
}

describe('history column', () => {
  it('is the same on the server and on the live page for a vCPU without a thread (regression: the page showed null)', async () => {
    const [a, b] = hostFrames({ host: 'hv-col', seed: 5 }, 2).map((f) => unlinked(f, 2));
    if (!a || !b) throw new Error('no frames');
    const splitter = new FrameSplitter();
    const store = await openStore({ dataDir: dir });
    try {
      await store.ingest([splitter.split(a)]);
      const first = await store.history('hv-col', a.at, a.at);
      // The page: the server's history of the first frame, then the second frame from the stream.
      const fb = splitter.split(b);
      const live = appendFrame(liveHistory(first), fb.body, fb.tick, 60_000).history;
      await store.ingest([fb]);
      const served = await store.history('hv-col', a.at, b.at);
      const col = (h: typeof served): (number | null)[] => {
        const i = h.threads.findIndex((t) => t.tid === 424_242);
        return h.pcpu.map((row) => row[i] ?? null);
      };
      expect(col(served)).toEqual([2, 2]);
      expect(col(live)).toEqual([2, 2]);
      expect(live.threads).toEqual(served.threads);
      expect(live.pcpu).toEqual(served.pcpu);
      expect(live.ran).toEqual(served.ran);
    } finally {
      await store.close();
    }
  });
});
