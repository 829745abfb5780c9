// Finds QEMU processes in /proc. Each pid's command line is read once; pids that are not QEMU
// are remembered so later scans only list /proc. A young non-QEMU pid is looked at again for a
// few seconds because fork + exec (libvirtd, a shell) shows the parent's name at first.
import { readFileSync, readdirSync } from 'node:fs';
import { isQemuProcess, parseQemuCmdline } from '../qemu/cmdline';
import { isGone } from './gone';

export interface QemuProcess {
  readonly pid: number;
  readonly name: string | null; // -name guest=NAME or -name NAME
  readonly uuid: string | null;
  readonly qmpSockets: readonly string[];
  readonly maxVcpus: number | null;
}

const RECHECK_YOUNG_MS = 3000;

export class ProcessDiscovery {
  private readonly qemu = new Map<number, QemuProcess>();
  private readonly notQemu = new Map<number, number>(); // pid -> first seen (epoch ms)

  constructor(private readonly procRoot: string) {}

  /** Lists /proc and returns every QEMU process now present. */
  scan(now: number): readonly QemuProcess[] {
    const present = new Set<number>();
    for (const entry of readdirSync(this.procRoot)) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      present.add(pid);
      if (this.qemu.has(pid)) continue;
      const firstSeen = this.notQemu.get(pid);
      if (firstSeen !== undefined && now - firstSeen > RECHECK_YOUNG_MS) continue;
      const found = this.inspect(pid);
      if (found) {
        this.qemu.set(pid, found);
        this.notQemu.delete(pid);
      } else if (firstSeen === undefined) {
        this.notQemu.set(pid, now);
      }
    }
    for (const pid of this.qemu.keys()) if (!present.has(pid)) this.qemu.delete(pid);
    for (const pid of this.notQemu.keys()) if (!present.has(pid)) this.notQemu.delete(pid);
    return [...this.qemu.values()];
  }

  /** Forget a pid (its process exited) so that a reused pid is inspected afresh. */
  forget(pid: number): void {
    this.qemu.delete(pid);
    this.notQemu.delete(pid);
  }

  private inspect(pid: number): QemuProcess | null {
    let comm: string;
    let argv: string[];
    try {
      comm = readFileSync(`${this.procRoot}/${pid}/comm`, 'utf8').trimEnd();
      // Kernel threads and zombies have an empty cmdline.
      argv = readFileSync(`${this.procRoot}/${pid}/cmdline`, 'utf8').split('\0');
    } catch (err) {
      if (isGone(err) || (err instanceof Error && 'code' in err && err.code === 'EACCES')) return null;
      throw err;
    }
    if (argv.at(-1) === '') argv.pop();
    const argv0 = argv[0];
    if (argv0 === undefined || !isQemuProcess(comm, argv0)) return null;
    const cmd = parseQemuCmdline(argv);
    return {
      pid,
      name: cmd.name,
      uuid: cmd.uuid,
      qmpSockets: cmd.qmpSockets,
      maxVcpus: cmd.smp ? cmd.smp.maxcpus : null,
    };
  }
}
