// Per-thread state of one QEMU process, one column per field and one row per thread in
// ascending tid order: the agent walks every row every tick, so the state lives in typed arrays
// rather than in one small object per thread. Rows are rebuilt only when the task list changes.
import { closeSync, openSync } from 'node:fs';
import type { CpuList, ThreadSample } from '../model/types';
import { isGone } from './gone';

/** schedstat is `RUN_NS WAIT_NS TIMESLICES\n`: at most 3 u64 of 20 digits, 2 spaces, a newline. */
export const SCHED_BYTES = 64;
/** A schedLen that no read can match: the next read counts as a change. */
export const NO_BYTES = 255;

export class ThreadTable {
  readonly size: number;
  readonly tids: Int32Array;
  readonly schedFd: Int32Array; // -1 without CONFIG_SCHED_INFO (no schedstat file)
  readonly statFd: Int32Array;
  readonly statusFd: Int32Array;
  readonly statReadAt: Float64Array; // epoch ms
  readonly affinityReadAt: Float64Array; // epoch ms
  /** schedstat bytes as read last time: SCHED_BYTES per row, schedLen of them used. */
  readonly schedBytes: Uint8Array;
  readonly schedLen: Uint8Array;
  readonly samples: (ThreadSample | null)[];
  readonly affinityText: string[]; // Cpus_allowed_list as read last time
  readonly affinity: CpuList[];
  /** Sorted thread ids joined by commas: changes when a vCPU is hot-plugged. */
  readonly tidKey: string;

  private constructor(tids: readonly number[]) {
    const n = tids.length;
    this.size = n;
    this.tids = Int32Array.from(tids);
    this.schedFd = new Int32Array(n).fill(-1);
    this.statFd = new Int32Array(n).fill(-1);
    this.statusFd = new Int32Array(n).fill(-1);
    // -Infinity forces the first reads.
    this.statReadAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.affinityReadAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.schedBytes = new Uint8Array(n * SCHED_BYTES);
    this.schedLen = new Uint8Array(n).fill(NO_BYTES);
    this.samples = new Array<ThreadSample | null>(n).fill(null);
    this.affinityText = new Array<string>(n).fill('');
    this.affinity = new Array<CpuList>(n).fill([]);
    this.tidKey = tids.join(',');
  }

  static empty(): ThreadTable {
    return new ThreadTable([]);
  }

  /**
   * The table for a new task listing: rows of threads still present move over with their open
   * files and state, new threads get their files opened, the files of departed threads are
   * closed. A thread that exited before its files could be opened is left out; `missed` says so.
   */
  static relist(prev: ThreadTable, taskDir: string, listed: readonly number[]): { table: ThreadTable; missed: boolean } {
    const rowOf = new Map<number, number>();
    // A row whose files were closed (its thread was lost mid-read) is opened afresh if listed.
    for (let i = 0; i < prev.size; i++) if ((prev.statFd[i] ?? -1) >= 0) rowOf.set(prev.tids[i] ?? -1, i);
    const kept: number[] = [];
    const opened: Array<readonly [number, number, number] | null> = [];
    let missed = false;
    for (const tid of listed) {
      if (rowOf.has(tid)) {
        kept.push(tid);
        opened.push(null);
        continue;
      }
      const fds = openTask(`${taskDir}/${tid}`);
      if (fds === null) {
        missed = true;
        continue;
      }
      kept.push(tid);
      opened.push(fds);
    }
    const table = new ThreadTable(kept);
    for (let j = 0; j < kept.length; j++) {
      const fds = opened[j];
      if (fds) {
        table.statFd[j] = fds[0];
        table.statusFd[j] = fds[1];
        table.schedFd[j] = fds[2];
        continue;
      }
      const i = rowOf.get(kept[j] ?? -1) ?? -1;
      rowOf.delete(kept[j] ?? -1);
      table.copyRow(j, prev, i);
    }
    // Rows left in rowOf belong to threads that are gone.
    for (const i of rowOf.values()) prev.closeRow(i);
    return { table, missed };
  }

  /** True when the rows are exactly `tids` (ascending) and every row's files are open. */
  holds(tids: readonly number[]): boolean {
    if (tids.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      if (this.tids[i] !== tids[i] || (this.statFd[i] ?? -1) < 0) return false;
    }
    return true;
  }

  private copyRow(j: number, from: ThreadTable, i: number): void {
    this.schedFd[j] = from.schedFd[i] ?? -1;
    this.statFd[j] = from.statFd[i] ?? -1;
    this.statusFd[j] = from.statusFd[i] ?? -1;
    this.statReadAt[j] = from.statReadAt[i] ?? Number.NEGATIVE_INFINITY;
    this.affinityReadAt[j] = from.affinityReadAt[i] ?? Number.NEGATIVE_INFINITY;
    this.schedBytes.set(from.schedBytes.subarray(i * SCHED_BYTES, (i + 1) * SCHED_BYTES), j * SCHED_BYTES);
    this.schedLen[j] = from.schedLen[i] ?? NO_BYTES;
    this.samples[j] = from.samples[i] ?? null;
    this.affinityText[j] = from.affinityText[i] ?? '';
    this.affinity[j] = from.affinity[i] ?? [];
  }

  /** Closes the files of row i (a thread that exited). */
  closeRow(i: number): void {
    closeFd(this.schedFd[i] ?? -1);
    closeFd(this.statFd[i] ?? -1);
    closeFd(this.statusFd[i] ?? -1);
    this.schedFd[i] = -1;
    this.statFd[i] = -1;
    this.statusFd[i] = -1;
  }

  close(): void {
    for (let i = 0; i < this.size; i++) this.closeRow(i);
  }
}

/** [stat, status, schedstat] descriptors of a task, or null when it has exited. */
function openTask(dir: string): readonly [number, number, number] | null {
  const stat = openIfPresent(`${dir}/stat`);
  if (stat < 0) return null;
  const status = openIfPresent(`${dir}/status`);
  if (status < 0) {
    closeFd(stat);
    return null;
  }
  // Absent without CONFIG_SCHED_INFO: the thread is then read in full every tick.
  const schedstat = openIfPresent(`${dir}/schedstat`);
  return [stat, status, schedstat];
}

function openIfPresent(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return -1;
    throw err;
  }
}

function closeFd(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    // Closing a descriptor of a vanished task cannot fail in a way that matters.
  }
}
