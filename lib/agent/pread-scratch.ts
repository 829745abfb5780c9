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
  let len = 0;
  try {
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, len);
        scratch = bigger;
      }
      const room = scratch.length - len;
      const n = readSync(fd, scratch, len, room, len);
      len += n;
      // procfs and sysfs produce the whole file in one read when it fits: a short read is the
      // end, and asking again to see 0 bytes would double the syscalls of every tick.
      if (n < room) break;
    }
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
 * reads two files of every new process, the agent one cgroup file of every thread). Throws what openSync or readSync throw.
 */
export function readFileText(path: string): string {
  const fd = openSync(path, 'r');
  let len = 0;
  try {
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, len);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, len, scratch.length - len, len);
      if (n === 0) break;
      len += n;
    }
  } finally {
    closeSync(fd);
  }
  return scratch.toString('utf8', 0, len);
}
