// Reads libvirt's status directory (/run/libvirt/qemu/*.xml). A file is parsed again only when
// its inode, mtime or size changed: libvirt rewrites it on start, hot-plug and re-pin.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { parseStatusXml, type LibvirtStatus } from '../libvirt/domain-xml';
import { isGone } from './gone';

interface Entry {
  readonly ino: number; // libvirt writes a new file and renames it over the old one
  readonly mtimeMs: number;
  readonly size: number;
  readonly status: LibvirtStatus | null; // null: unreadable, error already reported
}

export class LibvirtStatusDir {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly dir: string,
    private readonly onError: (file: string, err: unknown) => void,
  ) {}

  /** Running domains by QEMU pid. A missing directory means no libvirt on this host. */
  scan(): ReadonlyMap<number, LibvirtStatus> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.xml'));
    } catch (err) {
      if (isGone(err)) {
        this.entries.clear();
        return new Map();
      }
      throw err;
    }
    const byPid = new Map<number, LibvirtStatus>();
    const present = new Set(names);
    for (const name of names) {
      const path = `${this.dir}/${name}`;
      let st;
      try {
        st = statSync(path);
      } catch (err) {
        if (isGone(err)) continue;
        throw err;
      }
      let entry = this.entries.get(name);
      if (!entry || entry.ino !== st.ino || entry.mtimeMs !== st.mtimeMs || entry.size !== st.size) {
        entry = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, status: this.parse(path) };
        this.entries.set(name, entry);
      }
      if (entry.status) byPid.set(entry.status.pid, entry.status);
    }
    for (const name of this.entries.keys()) if (!present.has(name)) this.entries.delete(name);
    return byPid;
  }

  private parse(path: string): LibvirtStatus | null {
    try {
      return parseStatusXml(readFileSync(path, 'utf8'));
    } catch (err) {
      // Reported once; the file is parsed again when libvirt rewrites it.
      if (!isGone(err)) this.onError(path, err);
      return null;
    }
  }
}
