// Samples every thread of one QEMU process each tick, as cheaply as the kernel allows. Measured
// on this machine, one read costs: stat 5.3 us, schedstat 1.8-3 us, status 11-13 us, and
// listing the task directory 27 us. So, per tick:
// - schedstat is read for every thread and compared, as bytes, with the last read. When it is
//   unchanged the thread has not run since the last tick, so its stat fields (last CPU, utime,
//   stime) cannot have changed either: the previous sample is reused and stat is not read. (A
//   sleeping thread keeps its last CPU even when its affinity changes: see violation-2 in
//   test/fixtures/libvirt-9.0-qemu-7.2.) Every thread's stat is still re-read every
//   `fullEveryMs`, which also refreshes its state letter.
// - the task directory's link count (procfs reports 2 + the number of threads) is checked only
//   when a thread ran or exited: a new thread is made by clone() from a thread of the same
//   process, which therefore ran. It is listed again when the count changes or every
//   `fullEveryMs`, so hot-plugged vCPUs appear at once.
// - status (the affinity) is re-read every `affinityEveryMs`, and at once when a thread is seen
//   on a CPU outside the affinity read last time. A sample says when a mask (or a scheduling
//   policy, from the same stat read) changed, so that the agent can re-read the intent at once:
//   a mask must be judged against the intent as it stands after the change.
// - when nothing changed, the same threads array is returned, so "this VM is idle" is one
//   comparison for the snapshot builder.
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { sameCpus } from '../cpuset';
import { parseCpusAllowedList } from '../procfs/task-stat';
import { parseSchedstatBytes } from '../procfs/schedstat-bytes';
import { parseTaskStatBytes } from '../procfs/task-stat-bytes';
import { cpusAllowedListText } from '../procfs/status-affinity-bytes';
import type { CpuList, ThreadSample } from '../model/types';
import { isGone } from './gone';
import { preadWhole, scratchBytes } from './pread-scratch';
import { NO_BYTES, SCHED_BYTES, ThreadTable } from './thread-table';

export interface ProcessSample {
  readonly threads: readonly ThreadSample[];
  /** Sorted thread ids: changes when a vCPU is hot-plugged or a worker comes and goes. */
  readonly tidKey: string;
  /** A thread's kernel mask or scheduling policy changed in this sample (not on a thread's first read). */
  readonly placementChanged: boolean;
}

export interface ProcessThreadsOptions {
  readonly affinityEveryMs: number;
  /** Longest time a thread's stat and the task list may go unread (ms). */
  readonly fullEveryMs: number;
}

// What reading one row found.
const IDLE = 0; // schedstat unchanged and the sample object kept
const RAN = 1; // schedstat changed (or cannot tell: no schedstat), or the sample object changed
const LOST = 2; // the thread exited

// What listing the task directory found.
const GONE = 0; // the process exited
const SAME_TABLE = 1; // the same threads, every row readable: the table is kept
const NEW_TABLE = 2;

export class ProcessThreads {
  private table = ThreadTable.empty();
  private taskDirFd: number | null = null;
  private links = -1;
  private listedAt = Number.NEGATIVE_INFINITY;
  private relistNow = true;
  private last: ProcessSample = { threads: [], tidKey: '', placementChanged: false };
  private placementChanged = false;

  constructor(
    readonly procRoot: string,
    readonly pid: number,
    private readonly opts: ProcessThreadsOptions,
  ) {}

  /** One sample of every thread, or null when the process has exited. */
  sample(now: number): ProcessSample | null {
    const taskDir = `${this.procRoot}/${this.pid}/task`;
    this.placementChanged = false;
    let changed = false;
    let relisted = false;
    if (this.relistNow || now - this.listedAt >= this.opts.fullEveryMs) {
      const r = this.list(taskDir, now);
      if (r === GONE) return this.gone();
      relisted = true;
      changed = r === NEW_TABLE;
    }
    let ran = false;
    let lost = false;
    const t = this.table;
    for (let i = 0; i < t.size; i++) {
      const r = this.readRow(t, i, now);
      if (r === LOST) lost = true;
      else if (r === RAN) ran = true;
    }
    if (lost || (ran && !relisted)) {
      // A thread exited, or one ran and may have cloned another: compare the link count.
      const links = this.linkCount();
      if (links === null) return this.gone();
      if (lost || links !== this.links) {
        if (this.list(taskDir, now) === GONE) return this.gone();
        // Read the threads that are new in this listing.
        const t2 = this.table;
        for (let i = 0; i < t2.size; i++) if (t2.samples[i] === null) this.readRow(t2, i, now);
      }
      changed = true;
    }
    if (!changed && !ran) return this.last.placementChanged ? this.keep() : this.last;
    return this.collect();
  }

  /**
   * Re-reads every thread's affinity now (the intent changed: is the mask already the new one?);
   * the same sample when no mask changed.
   */
  rereadAffinity(now: number): ProcessSample {
    this.placementChanged = false;
    let changed = false;
    const t = this.table;
    for (let i = 0; i < t.size; i++) {
      const before = t.samples[i];
      if (before === null || before === undefined) continue;
      const after = this.readAffinity(t, i, before, now);
      if (after === null) {
        this.lose(t, i);
        changed = true;
      } else if (after !== before) {
        t.samples[i] = after;
        changed = true;
      }
    }
    return changed ? this.collect() : this.keep();
  }

  private collect(): ProcessSample {
    const threads: ThreadSample[] = [];
    const t3 = this.table;
    for (let i = 0; i < t3.size; i++) {
      const s = t3.samples[i];
      if (s) threads.push(s);
    }
    this.last = { threads, tidKey: t3.tidKey, placementChanged: this.placementChanged };
    return this.last;
  }

  /** The last threads, with this sample's placementChanged. */
  private keep(): ProcessSample {
    if (this.last.placementChanged !== this.placementChanged) this.last = { ...this.last, placementChanged: this.placementChanged };
    return this.last;
  }

  /**
   * Lists the task directory and rebuilds the table when the threads differ from its rows:
   * NEW_TABLE, SAME_TABLE, or GONE when the process has exited.
   */
  private list(taskDir: string, now: number): number {
    try {
      this.taskDirFd ??= openSync(taskDir, 'r');
      const links = fstatSync(this.taskDirFd).nlink;
      const tids = readdirSync(taskDir)
        .map(Number)
        .filter((n) => Number.isInteger(n))
        .sort((a, b) => a - b);
      // The first listing starts each process at a random phase, so the periodic listings of
      // many VMs spread over the period instead of all landing on one tick.
      this.listedAt = this.links < 0 ? now - Math.random() * this.opts.fullEveryMs : now;
      this.links = links;
      if (this.table.holds(tids)) {
        this.relistNow = false;
        return SAME_TABLE;
      }
      const { table, missed } = ThreadTable.relist(this.table, taskDir, tids);
      this.table = table;
      // A thread that exited between the listing and opening its files: list again next tick.
      this.relistNow = missed;
      return NEW_TABLE;
    } catch (err) {
      if (isGone(err)) return GONE;
      throw err;
    }
  }

  private linkCount(): number | null {
    if (this.taskDirFd === null) return null;
    try {
      return fstatSync(this.taskDirFd).nlink;
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
  }

  private gone(): null {
    this.close();
    return null;
  }

  /** Reads row i (see the file comment for what is read when); IDLE, RAN or LOST. */
  private readRow(t: ThreadTable, i: number, now: number): number {
    const before = t.samples[i] ?? null;
    const schedFd = t.schedFd[i] ?? -1;
    let runNs = before === null ? null : before.runNs;
    let waitNs = before === null ? null : before.waitNs;
    let timeslices = before === null ? null : before.timeslices;
    let idle = false;
    if (schedFd >= 0) {
      const len = preadWhole(schedFd);
      if (len < 0) return this.lose(t, i);
      const buf = scratchBytes();
      if (sameSchedBytes(t, i, buf, len)) {
        idle = true;
      } else {
        const s = parseSchedstatBytes(buf, len);
        keepSchedBytes(t, i, buf, len);
        runNs = s.runNs;
        waitNs = s.waitNs;
        timeslices = s.timeslices;
      }
    }
    let sample = before;
    if (sample === null || !idle || now - (t.statReadAt[i] ?? 0) >= this.opts.fullEveryMs) {
      const len = preadWhole(t.statFd[i] ?? -1);
      if (len < 0) return this.lose(t, i);
      const stat = parseTaskStatBytes(scratchBytes(), len);
      // The first read starts each thread at a random phase, so the periodic refreshes of many
      // threads spread over the period instead of all landing on one tick.
      t.statReadAt[i] = before === null ? now - Math.random() * this.opts.fullEveryMs : now;
      const fresh = threadSample(
        t.tids[i] ?? -1,
        stat.comm,
        stat.state,
        stat.processor,
        stat.utime,
        stat.stime,
        runNs,
        waitNs,
        timeslices,
        t.affinity[i] ?? [],
        stat.policy,
        stat.rtPriority,
      );
      if (sample !== null && (sample.policy !== fresh.policy || sample.rtPriority !== fresh.rtPriority)) this.placementChanged = true;
      // A refresh that finds nothing new keeps the same object: "unchanged" stays cheap to see.
      if (sample === null || !sameSample(sample, fresh)) sample = fresh;
    }
    const affinity = t.affinity[i] ?? [];
    if (now - (t.affinityReadAt[i] ?? 0) >= this.opts.affinityEveryMs || !affinity.includes(sample.pcpu)) {
      const read = this.readAffinity(t, i, sample, now);
      if (read === null) return this.lose(t, i);
      sample = read;
    }
    t.samples[i] = sample;
    return idle && sample === before ? IDLE : RAN;
  }

  /** Reads row i's Cpus_allowed_list: `sample` with the new mask, the same object when unchanged, null when the thread exited. */
  private readAffinity(t: ThreadTable, i: number, sample: ThreadSample, now: number): ThreadSample | null {
    const len = preadWhole(t.statusFd[i] ?? -1);
    if (len < 0) return null;
    const text = cpusAllowedListText(scratchBytes(), len);
    const first = t.affinityText[i] === '';
    t.affinityReadAt[i] = first ? now - Math.random() * this.opts.affinityEveryMs : now;
    if (text === t.affinityText[i]) return sample;
    const affinity = t.affinity[i] ?? [];
    const fresh = parseCpusAllowedList(text);
    t.affinityText[i] = text;
    if (sameCpus(fresh, affinity)) return sample;
    t.affinity[i] = fresh;
    if (!first) this.placementChanged = true;
    const s = sample;
    return threadSample(s.tid, s.name, s.state, s.pcpu, s.utime, s.stime, s.runNs, s.waitNs, s.timeslices, fresh, s.policy ?? null, s.rtPriority ?? null);
  }

  /** Row i's thread exited: close its files and leave it out until the next listing. */
  private lose(t: ThreadTable, i: number): number {
    t.closeRow(i);
    t.samples[i] = null;
    return LOST;
  }

  close(): void {
    this.table.close();
    this.table = ThreadTable.empty();
    this.relistNow = true;
    this.links = -1;
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

function sameSchedBytes(t: ThreadTable, i: number, buf: Buffer, len: number): boolean {
  if (len !== t.schedLen[i] || len > SCHED_BYTES) return false;
  const base = i * SCHED_BYTES;
  const kept = t.schedBytes;
  for (let j = 0; j < len; j++) if (buf[j] !== kept[base + j]) return false;
  return true;
}

function keepSchedBytes(t: ThreadTable, i: number, buf: Buffer, len: number): void {
  if (len > SCHED_BYTES) {
    t.schedLen[i] = NO_BYTES; // never matches: such a thread is read in full every tick
    return;
  }
  t.schedBytes.set(buf.subarray(0, len), i * SCHED_BYTES);
  t.schedLen[i] = len;
}

// Every sample is made here, so they all share one hidden class and the code that reads them
// stays monomorphic (an object spread would make a second shape).
function threadSample(
  tid: number,
  name: string,
  state: string,
  pcpu: number,
  utime: number,
  stime: number,
  runNs: number | null,
  waitNs: number | null,
  timeslices: number | null,
  affinity: CpuList,
  policy: number | null,
  rtPriority: number | null,
): ThreadSample {
  return { tid, name, state, pcpu, utime, stime, runNs, waitNs, timeslices, affinity, policy, rtPriority };
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
    a.affinity === b.affinity &&
    a.policy === b.policy &&
    a.rtPriority === b.rtPriority
  );
}
