// The pins file, re-read when it changes. A broken edit is reported and the last good version
// stays in force: a typo must not silently drop every pin. An editor that writes the file in
// place (truncate, then write) can be read half-way: a version that fails is reported only when
// it fails a second time unchanged, so a write in progress is not reported as a broken file.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { parsePinsFile } from '../pins/pins-file';
import type { VmIntent } from '../model/types';

export class PinsWatch {
  private stamp = '';
  private failed = ''; // stamp of the version that failed to load, not reported yet
  private current: ReadonlyMap<string, VmIntent> = new Map();

  constructor(readonly path: string) {}

  /** Loads the file now; throws with a clear message when it is missing or invalid. */
  load(): ReadonlyMap<string, VmIntent> {
    const st = statSync(this.path);
    this.current = parsePinsFile(readFileSync(this.path, 'utf8'), this.path);
    this.stamp = stampOf(st);
    return this.current;
  }

  /** The pins in force; re-reads the file when it changed. Errors go to onError. */
  poll(onError: (err: unknown) => void): ReadonlyMap<string, VmIntent> {
    let stamp: string;
    try {
      stamp = stampOf(statSync(this.path));
    } catch (err) {
      onError(err);
      return this.current;
    }
    if (stamp === this.stamp) return this.current;
    try {
      this.load();
      this.failed = '';
    } catch (err) {
      if (this.failed === stamp) onError(err);
      else this.failed = stamp; // maybe read half-way through a write: try again next time
    }
    return this.current;
  }
}

/** Editors replace the file (a new inode) or write it in place (a new mtime): either is a change. */
function stampOf(st: Stats): string {
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}
