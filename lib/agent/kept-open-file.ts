// A /proc or /sys file kept open and re-read from offset 0 on every call (pread), so a tick costs
// one syscall per file instead of open + read + close. The kernel regenerates seq_file contents
// when a read starts at offset 0.
import { closeSync, openSync, readSync } from 'node:fs';

let scratch = Buffer.allocUnsafe(8192);

/** Errors that mean "the task or process is gone", a normal event between two reads. */
export function isGone(err: unknown): boolean {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

export const UNCHANGED = Symbol('unchanged');

/** The bytes of a previous read, kept by the caller for readIfChanged. */
export interface LastBytes {
  buf: Buffer;
  len: number;
}

export function lastBytes(): LastBytes {
  return { buf: Buffer.alloc(64), len: -1 };
}

export class KeptOpenFile {
  private fd: number | null;

  /** Throws ENOENT/ESRCH (see isGone) when the file does not exist. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The whole file, or null once the task behind it has exited. */
  read(): string | null {
    const len = this.readRaw();
    return len === null ? null : scratch.toString('utf8', 0, len);
  }

  /**
   * Reads the file and compares it with `last`, the bytes of the previous read: UNCHANGED when
   * they are equal (nothing is allocated), else the new text, copied into `last` for next time.
   * Null once the task behind it has exited.
   */
  readIfChanged(last: LastBytes): string | typeof UNCHANGED | null {
    const len = this.readRaw();
    if (len === null) return null;
    if (len === last.len && scratch.compare(last.buf, 0, len, 0, len) === 0) return UNCHANGED;
    if (last.buf.length < len) last.buf = Buffer.allocUnsafe(len * 2);
    scratch.copy(last.buf, 0, 0, len);
    last.len = len;
    return scratch.toString('utf8', 0, len);
  }

  /** Fills the shared scratch buffer; the byte count, or null when the task has exited. */
  private readRaw(): number | null {
    if (this.fd === null) return null;
    let len = 0;
    try {
      for (;;) {
        if (len === scratch.length) {
          const bigger = Buffer.allocUnsafe(scratch.length * 2);
          scratch.copy(bigger, 0, 0, len);
          scratch = bigger;
        }
        const room = scratch.length - len;
        const n = readSync(this.fd, scratch, len, room, len);
        len += n;
        // procfs and sysfs produce the whole file in one read when it fits: a short read is the
        // end, and asking again to see 0 bytes would double the syscalls of every tick.
        if (n < room) break;
      }
    } catch (err) {
      if (isGone(err)) {
        this.close();
        return null;
      }
      throw err;
    }
    // An exited thread's files read as empty on some kernels instead of failing.
    return len === 0 ? null : len;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Closing a descriptor of a vanished task cannot fail in a way that matters.
      }
      this.fd = null;
    }
  }
}

/** Opens a KeptOpenFile, or null when the file (task) does not exist. */
export function openIfPresent(path: string): KeptOpenFile | null {
  try {
    return new KeptOpenFile(path);
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}
