// A /proc or /sys file kept open and re-read from offset 0 on every call (pread), so a tick costs
// one syscall per file instead of open + read + close.
import { closeSync, openSync } from 'node:fs';
import { preadWhole, scratchBytes } from './pread-scratch';

export class KeptOpenFile {
  private fd: number | null;

  /** Throws ENOENT/ESRCH (see isGone) when the file does not exist. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The whole file, or null once the task behind it has exited. */
  read(): string | null {
    const len = this.readBytes();
    return len < 0 ? null : scratchBytes().toString('utf8', 0, len);
  }

  /** Reads the whole file into scratchBytes(): the byte count, or -1 once the task has exited. */
  readBytes(): number {
    if (this.fd === null) return -1;
    const len = preadWhole(this.fd);
    if (len < 0) this.close();
    return len;
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
