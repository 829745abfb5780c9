// ProcessThreads on a fake /proc tree. A directory's link count is 2 + its subdirectories on a
// plain file system too, as for a procfs task directory, so thread arrivals can be staged.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAT_TAIL } from '../../test/support/procfs-fixtures';
import { ProcessThreads } from './process-threads';

const PID = 500;
const T = 1_700_000_000_000;

function fakeProc(): {
  root: string;
  task(tid: number, runNs: number, comm?: string, o?: { allowed?: string; stat?: string }): void;
  drop(tid: number): void;
} {
  const root = mkdtempSync(path.join(tmpdir(), 'vcpumap-threads-'));
  const dir = (tid: number): string => `${root}/${PID}/task/${tid}`;
  return {
    root,
    task(tid, runNs, comm = `CPU ${tid}/KVM`, o = {}) {
      mkdirSync(dir(tid), { recursive: true });
      writeFileSync(`${dir(tid)}/stat`, `${tid} (${comm}) ${o.stat ?? STAT_TAIL}`);
      writeFileSync(`${dir(tid)}/status`, `Name:\t${comm}\nTgid:\t${PID}\nPid:\t${tid}\nCpus_allowed_list:\t${o.allowed ?? '0-3'}\n`);
      writeFileSync(`${dir(tid)}/schedstat`, `${runNs} 0 1\n`);
    },
    drop(tid) {
      rmSync(dir(tid), { recursive: true });
    },
  };
}

describe('ProcessThreads', () => {
  it('reads every thread, and hands back the same array while none ran', () => {
    const p = fakeProc();
    p.task(PID, 1000, 'qemu-system-x86');
    p.task(501, 1000, 'CPU 0) /KVM');
    const threads = new ProcessThreads(p.root, PID, { affinityEveryMs: 5000, fullEveryMs: 5000 });
    const first = threads.sample(T);
    expect(first?.threads.map((t) => [t.tid, t.name, t.pcpu, t.runNs, t.affinity])).toEqual([
      [PID, 'qemu-system-x86', 3, 1000, [0, 1, 2, 3]],
      [501, 'CPU 0) /KVM', 3, 1000, [0, 1, 2, 3]],
    ]);
    expect(first?.tidKey).toBe(`${PID},501`);
    const second = threads.sample(T + 100);
    expect(second?.threads).toBe(first?.threads);
    threads.close();
  });

  it('sees a thread that appears or leaves on the tick a thread of the process ran', () => {
    const p = fakeProc();
    p.task(PID, 1000);
    p.task(501, 1000);
    const threads = new ProcessThreads(p.root, PID, { affinityEveryMs: 5000, fullEveryMs: 5000 });
    threads.sample(T);
    // The creator ran (its schedstat moved) and a vCPU was hot-plugged.
    p.task(PID, 2000);
    p.task(502, 10);
    const plugged = threads.sample(T + 100);
    expect(plugged?.tidKey).toBe(`${PID},501,502`);
    expect(plugged?.threads.find((t) => t.tid === PID)?.runNs).toBe(2000);
    expect(plugged?.threads.find((t) => t.tid === 502)?.runNs).toBe(10);
    p.drop(501);
    p.task(PID, 3000);
    expect(threads.sample(T + 200)?.tidKey).toBe(`${PID},502`);
    threads.close();
  });

  it('lists the task directory every fullEveryMs even when nothing ran', () => {
    const p = fakeProc();
    p.task(PID, 1000);
    const threads = new ProcessThreads(p.root, PID, { affinityEveryMs: 5000, fullEveryMs: 5000 });
    threads.sample(T);
    p.task(503, 1000);
    expect(threads.sample(T + 10_000)?.tidKey).toBe(`${PID},503`);
    threads.close();
  });

  it('says when a mask or a scheduling policy changed, and re-reads every mask on demand', () => {
    const p = fakeProc();
    p.task(PID, 1000, 'qemu-system-x86');
    p.task(501, 1000);
    const threads = new ProcessThreads(p.root, PID, { affinityEveryMs: 60_000, fullEveryMs: 60_000 });
    const first = threads.sample(T);
    expect(first?.placementChanged).toBe(false); // a first read is not a change
    expect(first?.threads[1]).toMatchObject({ policy: 0, rtPriority: 0, affinity: [0, 1, 2, 3] });
    // A taskset on a thread that sleeps: not seen by sample() until the periodic read...
    p.task(501, 1000, 'CPU 501/KVM', { allowed: '2' });
    expect(threads.sample(T + 100)?.placementChanged).toBe(false);
    // ...but at once when asked (the intent changed).
    const reread = threads.rereadAffinity(T + 150);
    expect(reread.placementChanged).toBe(true);
    expect(reread.threads[1]?.affinity).toEqual([2]);
    expect(threads.rereadAffinity(T + 160).placementChanged).toBe(false);
    // chrt -f -p 7 on a thread that then runs: the same stat read gives the policy.
    p.task(501, 2000, 'CPU 501/KVM', { allowed: '2', stat: STAT_TAIL.replace(' -1 3 0 0 ', ' -1 3 7 1 ') });
    const rt = threads.sample(T + 200);
    expect(rt?.placementChanged).toBe(true);
    expect(rt?.threads[1]).toMatchObject({ policy: 1, rtPriority: 7 });
    expect(threads.sample(T + 300)?.placementChanged).toBe(false);
    threads.close();
  });

  it('says the process is gone once its directory is', () => {
    const p = fakeProc();
    p.task(PID, 1000);
    const threads = new ProcessThreads(p.root, PID, { affinityEveryMs: 5000, fullEveryMs: 0 });
    threads.sample(T);
    rmSync(`${p.root}/${PID}`, { recursive: true });
    expect(threads.sample(T + 100)).toBeNull();
  });
});
