// Finds QEMU processes in /proc, and the vhost kernel threads (`vhost-<qemu pid>`, Linux before
// 6.4) that work for them. Each pid's command line is read once; pids that are neither are
// remembered so later scans only list /proc. A young pid is looked at again for a few seconds
// because fork + exec (libvirtd, a shell) shows the parent's name at first.
//
// `qemu -daemonize` forks twice: the parent P waits, without vCPU threads, until the VM is up;
// its child C1 calls setsid() and forks the VM C2, then exits (a zombie child of P while P
// waits). P is not a VM of its own: it is recognised as the parent of the session leader of a
// QEMU process with the same command line.
import { readFileSync, readdirSync } from 'node:fs';
import { isQemuProcess, parseQemuCmdline } from '../qemu/cmdline';
import { parseTaskStatBytes } from '../procfs/task-stat-bytes';
import { isGone } from './gone';

export interface QemuProcess {
  readonly pid: number;
  readonly name: string | null; // -name guest=NAME or -name NAME
  readonly uuid: string | null;
  readonly qmpSockets: readonly string[];
  readonly maxVcpus: number | null;
  /** -name ...,debug-threads=on: QEMU names its vCPU threads `CPU n/KVM`. */
  readonly debugThreads: boolean;
  readonly daemonize: boolean;
  readonly cmdline: string; // NUL-separated, as read
}

export interface DiscoveryScan {
  /** Every QEMU process now present that is a VM of its own. */
  readonly vms: readonly QemuProcess[];
  /** QEMU pid -> the pids of its vhost kernel threads. */
  readonly vhost: ReadonlyMap<number, readonly number[]>;
  /** Daemonizing parents left out of `vms`: parent pid -> the pid of the VM it started. */
  readonly daemonParents: ReadonlyMap<number, number>;
}

const RECHECK_YOUNG_MS = 3000;
const VHOST_COMM = /^vhost-(\d{1,10})$/;

export class ProcessDiscovery {
  private readonly qemu = new Map<number, QemuProcess>();
  private readonly vhostOwner = new Map<number, number>(); // kernel thread pid -> QEMU pid
  private readonly notQemu = new Map<number, number>(); // pid -> first seen (epoch ms)

  constructor(private readonly procRoot: string) {}

  /** Lists /proc and returns every QEMU process now present. */
  scan(now: number): DiscoveryScan {
    const present = new Set<number>();
    for (const entry of readdirSync(this.procRoot)) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      present.add(pid);
      if (this.qemu.has(pid) || this.vhostOwner.has(pid)) continue;
      const firstSeen = this.notQemu.get(pid);
      if (firstSeen !== undefined && now - firstSeen > RECHECK_YOUNG_MS) continue;
      if (this.inspect(pid)) this.notQemu.delete(pid);
      else if (firstSeen === undefined) this.notQemu.set(pid, now);
    }
    for (const pid of this.qemu.keys()) if (!present.has(pid)) this.qemu.delete(pid);
    for (const pid of this.vhostOwner.keys()) if (!present.has(pid)) this.vhostOwner.delete(pid);
    for (const pid of this.notQemu.keys()) if (!present.has(pid)) this.notQemu.delete(pid);

    const daemonParents = this.daemonParents();
    const vhost = new Map<number, number[]>();
    for (const [kpid, owner] of this.vhostOwner) {
      if (!this.qemu.has(owner)) continue;
      const list = vhost.get(owner) ?? [];
      list.push(kpid);
      vhost.set(owner, list);
    }
    for (const list of vhost.values()) list.sort((a, b) => a - b);
    return { vms: [...this.qemu.values()].filter((p) => !daemonParents.has(p.pid)), vhost, daemonParents };
  }

  /** Forget a pid (its process exited) so that a reused pid is inspected afresh. */
  forget(pid: number): void {
    this.qemu.delete(pid);
    this.notQemu.delete(pid);
  }

  /** QEMU processes that only wait for a daemonized child: see the file comment. */
  private daemonParents(): ReadonlyMap<number, number> {
    const out = new Map<number, number>();
    for (const p of this.qemu.values()) {
      if (!p.daemonize) continue;
      const session = this.statOf(p.pid)?.session;
      if (session === undefined || session === p.pid) continue;
      // The session leader (C1, usually a zombie by now) and its parent (P).
      const leader = this.qemu.get(session);
      if (leader !== undefined && leader.cmdline === p.cmdline) out.set(leader.pid, p.pid);
      const parent = this.statOf(session)?.ppid;
      const waiting = parent === undefined ? undefined : this.qemu.get(parent);
      if (waiting !== undefined && waiting.pid !== p.pid && waiting.cmdline === p.cmdline) out.set(waiting.pid, p.pid);
    }
    return out;
  }

  private statOf(pid: number): { readonly ppid: number; readonly session: number } | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(`${this.procRoot}/${pid}/stat`);
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
    const s = parseTaskStatBytes(bytes, bytes.length);
    return { ppid: s.ppid, session: s.session };
  }

  /** Records the pid when it is a QEMU process or a vhost kernel thread; false otherwise. */
  private inspect(pid: number): boolean {
    let comm: string;
    let cmdline: string;
    try {
      comm = readFileSync(`${this.procRoot}/${pid}/comm`, 'utf8').trimEnd();
      // Kernel threads and zombies have an empty cmdline.
      cmdline = readFileSync(`${this.procRoot}/${pid}/cmdline`, 'utf8');
    } catch (err) {
      if (isGone(err) || (err instanceof Error && 'code' in err && err.code === 'EACCES')) return false;
      throw err;
    }
    if (cmdline === '') {
      const owner = VHOST_COMM.exec(comm)?.[1];
      if (owner === undefined) return false;
      this.vhostOwner.set(pid, Number(owner));
      return true;
    }
    const argv = cmdline.split('\0');
    if (argv.at(-1) === '') argv.pop();
    const argv0 = argv[0];
    if (argv0 === undefined || !isQemuProcess(comm, argv0)) return false;
    const cmd = parseQemuCmdline(argv);
    this.qemu.set(pid, {
      pid,
      name: cmd.name,
      uuid: cmd.uuid,
      qmpSockets: cmd.qmpSockets,
      maxVcpus: cmd.smp ? cmd.smp.maxcpus : null,
      debugThreads: cmd.debugThreads,
      daemonize: cmd.daemonize,
      cmdline,
    });
    return true;
  }
}
