// Whole-file reads of kept-open /proc and /sys descriptors into one shared scratch buffer: pread
// from offset 0 makes the kernel regenerate a seq_file, so a tick costs one syscall per file and
// no allocation. The bytes are valid until the next read.
import { closeSync, openSync, readSync } from 'node:fs';
import { isGone } from './gone';

let scratch = Buffer.allocUnsafe(8192);

/** The buffer the last preadWhole filled (it may be replaced by a bigger one on a long read). */
export function scratchBytes(): Buffer {
  return scratch;
}

/** Reads the whole file behind `fd` into scratchBytes(); the byte count, or -1 once the task behind it has exited. */
export function preadWhole(fd: number): number {
  let len: number;
  try {
    len = fill(fd, false);
  } catch (err) {
    if (isGone(err)) return -1;
    throw err;
  }
  // An exited thread's files read as empty on some kernels instead of failing.
  return len === 0 ? -1 : len;
}

/**
 * The whole file at `path` as UTF-8 (empty when it is empty), read through the scratch buffer:
 * what readFileSync(path, 'utf8') gives, without its fstat and its buffer per call (discovery
 * reads two files of every new process, the agent a cgroup file of every thread). Read up to
 * end of file: a seq_file gives at most a page per read (a cgroup's task list is longer on a big
 * host). Throws what openSync or readSync throw.
 */
export function readFileText(path: string): string {
  const fd = openSync(path, 'r');
  let len: number;
  try {
    len = fill(fd, true);
  } finally {
    closeSync(fd);
  }
  return scratch.toString('utf8', 0, len);
}

/**
 * Reads the file behind `fd` from offset 0 into the scratch buffer, growing it as needed: the
 * byte count. Until a read gives 0 bytes when `untilEof`, else until a short read.
 */
function fill(fd: number, untilEof: boolean): number {
  let len = 0;
  for (;;) {
    if (len === scratch.length) {
      const bigger = Buffer.allocUnsafe(scratch.length * 2);
      scratch.copy(bigger, 0, 0, len);
      scratch = bigger;
    }
    const room = scratch.length - len;
    const n = readSync(fd, scratch, len, room, len);
    len += n;
    // A per-task procfs or sysfs file comes whole in one read when it fits: a short read is the
    // end, and asking again to see 0 bytes would double the syscalls of every tick.
    if (untilEof ? n === 0 : n < room) return len;
  }
}
