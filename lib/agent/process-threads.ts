// Samples every thread of one QEMU process each tick, as cheaply as the kernel allows. Measured
// on this machine, one read costs: stat 5.3 us, schedstat 1.8 us, status 13 us, and listing the
// task directory 27 us. So, per tick:
// - schedstat is read for every thread. When its text is unchanged the thread has not run since
//   the last tick, so its stat fields (last CPU, utime, stime) cannot have changed either: the
//   previous sample is reused and stat is not read. (A sleeping thread keeps its last CPU even
//   when its affinity changes: see violation-2 in test/fixtures/libvirt-9.0-qemu-7.2.) Every
//   thread's stat is still re-read every `fullEveryMs`, which also refreshes its state letter.
// - the task directory is listed only when its link count changes (procfs reports 2 + the
//   number of threads) or every `fullEveryMs`, so hot-plugged vCPUs appear at once.
// - status (the affinity) is re-read every `affinityEveryMs`, and at once when a thread is seen
//   on a CPU outside the affinity read last time.
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { sameCpus } from '../cpuset';
import { parseSchedstat, parseTaskStat, parseTaskStatus } from '../procfs/task-stat';
import type { CpuList, ThreadSample } from '../model/types';
import { isGone, lastBytes, openIfPresent, UNCHANGED, type KeptOpenFile, type LastBytes } from './kept-open-file';

interface TaskFiles {
  readonly stat: KeptOpenFile;
  readonly schedstat: KeptOpenFile | null; // absent without CONFIG_SCHED_INFO
  readonly status: KeptOpenFile;
  affinity: CpuList;
  affinityReadAt: number; // epoch ms
  readonly schedLast: LastBytes; // schedstat bytes as read last time
  statReadAt: number; // epoch ms
  last: ThreadSample | null;
}

export interface ProcessSample {
  readonly threads: readonly ThreadSample[];
  /** Sorted thread ids: changes when a vCPU is hot-plugged or a worker comes and goes. */
  readonly tidKey: string;
}

export interface ProcessThreadsOptions {
  readonly affinityEveryMs: number;
  /** Longest time a thread's stat and the task list may go unread (ms). */
  readonly fullEveryMs: number;
}

export class ProcessThreads {
  private readonly tasks = new Map<number, TaskFiles>();
  private taskDirFd: number | null = null;
  private links = -1;
  private listedAt = Number.NEGATIVE_INFINITY;
  private tids: readonly number[] = [];
  private tidKey = '';

  constructor(
    readonly procRoot: string,
    readonly pid: number,
    private readonly opts: ProcessThreadsOptions,
  ) {}

  /** One sample of every thread, or null when the process has exited. */
  sample(now: number): ProcessSample | null {
    if (!this.refreshTaskList(now)) {
      this.close();
      return null;
    }
    const threads: ThreadSample[] = [];
    let lost = false;
    for (const tid of this.tids) {
      const t = this.readTask(tid, now);
      if (t) threads.push(t);
      else lost = true;
    }
    // A thread that exited since the listing: list again next tick.
    if (lost) this.listedAt = Number.NEGATIVE_INFINITY;
    const key = lost ? threads.map((t) => t.tid).join(',') : this.tidKey;
    return { threads, tidKey: key };
  }

  /** Lists the task directory when needed; false when the process is gone. */
  private refreshTaskList(now: number): boolean {
    const dir = `${this.procRoot}/${this.pid}/task`;
    try {
      this.taskDirFd ??= openSync(dir, 'r');
      const links = fstatSync(this.taskDirFd).nlink;
      if (links === this.links && now - this.listedAt < this.opts.fullEveryMs) return true;
      const names = readdirSync(dir);
      this.links = links;
      this.listedAt = now;
      const tids = names.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
      const present = new Set(tids);
      for (const [tid, files] of this.tasks) {
        if (!present.has(tid)) {
          closeTask(files);
          this.tasks.delete(tid);
        }
      }
      this.tids = tids;
      this.tidKey = tids.join(',');
      return true;
    } catch (err) {
      if (isGone(err)) return false;
      throw err;
    }
  }

  private readTask(tid: number, now: number): ThreadSample | null {
    let files = this.tasks.get(tid);
    if (!files) {
      const opened = openTask(`${this.procRoot}/${this.pid}/task/${tid}`);
      if (!opened) return null; // exited between the listing and now
      files = opened;
      this.tasks.set(tid, files);
    }
    // schedstat unchanged: the thread has not run since the last read (see the file comment).
    let sched: ReturnType<typeof parseSchedstat> | null = null;
    let idle = false;
    if (files.schedstat) {
      const text = files.schedstat.readIfChanged(files.schedLast);
      if (text === null) return this.forget(tid, files);
      if (text === UNCHANGED) idle = true;
      else sched = parseSchedstat(text);
    }
    let sample = files.last;
    if (sample === null || !idle || now - files.statReadAt >= this.opts.fullEveryMs) {
      const statText = files.stat.read();
      if (statText === null) return this.forget(tid, files);
      const stat = parseTaskStat(statText);
      // The first read starts each thread at a random phase, so the periodic refreshes of many
      // threads spread over the period instead of all landing on one tick.
      files.statReadAt = sample === null ? now - Math.random() * this.opts.fullEveryMs : now;
      // Unchanged schedstat with a due stat refresh: the counters are those of the last sample.
      const counters = sched ?? (sample === null ? null : { runNs: sample.runNs, waitNs: sample.waitNs, timeslices: sample.timeslices });
      const fresh: ThreadSample = {
        tid,
        name: stat.comm,
        state: stat.state,
        pcpu: stat.processor,
        utime: stat.utime,
        stime: stat.stime,
        runNs: counters ? counters.runNs : null,
        waitNs: counters ? counters.waitNs : null,
        timeslices: counters ? counters.timeslices : null,
        affinity: files.affinity,
      };
      // A refresh that finds nothing new keeps the same object: "unchanged" stays cheap to see.
      if (sample === null || !sameSample(sample, fresh)) sample = fresh;
    }
    if (now - files.affinityReadAt >= this.opts.affinityEveryMs || !files.affinity.includes(sample.pcpu)) {
      const statusText = files.status.read();
      if (statusText === null) return this.forget(tid, files);
      const affinity = parseTaskStatus(statusText).cpusAllowedList;
      files.affinityReadAt = files.last === null ? now - Math.random() * this.opts.affinityEveryMs : now;
      if (!sameCpus(affinity, files.affinity)) {
        files.affinity = affinity;
        sample = { ...sample, affinity };
      }
    }
    files.last = sample;
    return sample;
  }

  private forget(tid: number, files: TaskFiles): null {
    closeTask(files);
    this.tasks.delete(tid);
    return null;
  }

  close(): void {
    for (const files of this.tasks.values()) closeTask(files);
    this.tasks.clear();
    if (this.taskDirFd !== null) {
      try {
        closeSync(this.taskDirFd);
      } catch {
        // the directory of an exited process: nothing to release
      }
      this.taskDirFd = null;
    }
  }
}

function sameSample(a: ThreadSample, b: ThreadSample): boolean {
  return (
    a.name === b.name &&
    a.state === b.state &&
    a.pcpu === b.pcpu &&
    a.utime === b.utime &&
    a.stime === b.stime &&
    a.runNs === b.runNs &&
    a.waitNs === b.waitNs &&
    a.timeslices === b.timeslices &&
    a.affinity === b.affinity
  );
}

function openTask(dir: string): TaskFiles | null {
  const stat = openIfPresent(`${dir}/stat`);
  if (!stat) return null;
  const status = openIfPresent(`${dir}/status`);
  if (!status) {
    stat.close();
    return null;
  }
  const schedstat = openIfPresent(`${dir}/schedstat`);
  return {
    stat,
    status,
    schedstat,
    // -Infinity forces the first reads.
    affinity: [],
    affinityReadAt: Number.NEGATIVE_INFINITY,
    schedLast: lastBytes(),
    statReadAt: Number.NEGATIVE_INFINITY,
    last: null,
  };
}

function closeTask(files: TaskFiles): void {
  files.stat.close();
  files.status.close();
  files.schedstat?.close();
}
