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
import { KeptOpenFile } from './kept-open-file';
import { readFileText, scratchBytes } from './pread-scratch';

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
  /**
   * QEMU processes left out of `vms`: the forks of a daemonizing QEMU (pid -> the pid it waits for
   * or forks) and processes that exited but are not reaped yet (pid -> itself).
   */
  readonly notVms: ReadonlyMap<number, number>;
}

type ProcStat = { readonly state: string; readonly ppid: number; readonly session: number };

const RECHECK_YOUNG_MS = 3000;
const VHOST_COMM = /^vhost-(\d{1,10})$/;

export class ProcessDiscovery {
  private readonly qemu = new Map<number, QemuProcess>();
  private readonly vhostOwner = new Map<number, number>(); // kernel thread pid -> QEMU pid
  private readonly notQemu = new Map<number, number>(); // pid -> first seen (epoch ms)
  // The command line each young pid had when it was last inspected: until it changes (an exec
  // gives a new one) the pid is still what it was, and is looked at again by that one read.
  private readonly youngCmdline = new Map<number, string>();
  // The stat file of each QEMU process, read on every scan (a zombie, a daemonizing fork): kept
  // open, one pread a scan instead of open, fstat, read and close.
  private readonly statFiles = new Map<number, KeptOpenFile>();

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
      if (firstSeen !== undefined && now - firstSeen > RECHECK_YOUNG_MS) {
        this.youngCmdline.delete(pid);
        continue;
      }
      if (this.inspect(pid)) {
        this.notQemu.delete(pid);
        this.youngCmdline.delete(pid);
      } else if (firstSeen === undefined) this.notQemu.set(pid, now);
    }
    for (const pid of this.qemu.keys()) if (!present.has(pid)) this.forgetQemu(pid);
    for (const pid of this.vhostOwner.keys()) if (!present.has(pid)) this.vhostOwner.delete(pid);
    for (const pid of this.notQemu.keys()) if (!present.has(pid)) this.notQemu.delete(pid);
    for (const pid of this.youngCmdline.keys()) if (!present.has(pid)) this.youngCmdline.delete(pid);

    const notVms = this.notVms();
    const vhost = new Map<number, number[]>();
    for (const [kpid, owner] of this.vhostOwner) {
      if (!this.qemu.has(owner)) continue;
      const list = vhost.get(owner) ?? [];
      list.push(kpid);
      vhost.set(owner, list);
    }
    for (const list of vhost.values()) list.sort((a, b) => a - b);
    return { vms: [...this.qemu.values()].filter((p) => !notVms.has(p.pid)), vhost, notVms };
  }

  /** Forget a pid (its process exited) so that a reused pid is inspected afresh. */
  forget(pid: number): void {
    this.forgetQemu(pid);
    this.notQemu.delete(pid);
    this.youngCmdline.delete(pid);
  }

  /** Closes the kept-open files; a later scan opens them again. */
  close(): void {
    for (const f of this.statFiles.values()) f.close();
    this.statFiles.clear();
  }

  private forgetQemu(pid: number): void {
    this.qemu.delete(pid);
    this.statFiles.get(pid)?.close();
    this.statFiles.delete(pid);
  }

  /**
   * The processes of a daemonizing QEMU's forks that are not the VM (see the file comment), each
   * with the pid of the process it is waiting for or forking: P (waiting for the VM), C1 (between
   * P's fork and its own, then a zombie). They share the VM's command line. A QEMU that exited
   * and is not reaped yet (a zombie) is left out too.
   */
  private notVms(): ReadonlyMap<number, number> {
    const out = new Map<number, number>();
    const same = (pid: number | undefined, p: QemuProcess): QemuProcess | undefined => {
      const q = pid === undefined ? undefined : this.qemu.get(pid);
      return q !== undefined && q.pid !== p.pid && q.cmdline === p.cmdline ? q : undefined;
    };
    for (const p of this.qemu.values()) {
      const st = this.qemuStat(p.pid);
      if (st === null) continue;
      if (st.state === 'Z') {
        out.set(p.pid, p.pid); // exited, not reaped yet: its last thread stays in /proc until then
        continue;
      }
      if (!p.daemonize) continue;
      // p is C1 (a fork of P that has not forked the VM yet): neither is the VM.
      const forkOf = same(st.ppid, p);
      if (forkOf !== undefined) {
        out.set(p.pid, forkOf.pid);
        out.set(forkOf.pid, p.pid);
        continue;
      }
      if (st.session === p.pid) continue;
      // p may be the VM: its session leader (C1, usually a zombie by now) and the leader's parent (P).
      const leader = same(st.session, p);
      if (leader !== undefined) out.set(leader.pid, p.pid);
      const waiting = same(this.statOf(st.session)?.ppid, p);
      if (waiting !== undefined) out.set(waiting.pid, p.pid);
    }
    return out;
  }

  /** statOf for a QEMU process, through its kept-open stat file. */
  private qemuStat(pid: number): ProcStat | null {
    let file = this.statFiles.get(pid);
    if (file === undefined) {
      try {
        file = new KeptOpenFile(`${this.procRoot}/${pid}/stat`);
      } catch (err) {
        if (isGone(err)) return null;
        throw err;
      }
      this.statFiles.set(pid, file);
    }
    const len = file.readBytes();
    if (len < 0) {
      this.statFiles.delete(pid); // exited (its descriptor is closed): a reused pid is opened afresh
      return null;
    }
    const s = parseTaskStatBytes(scratchBytes(), len);
    return { state: s.state, ppid: s.ppid, session: s.session };
  }

  private statOf(pid: number): ProcStat | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(`${this.procRoot}/${pid}/stat`);
    } catch (err) {
      if (isGone(err)) return null;
      throw err;
    }
    const s = parseTaskStatBytes(bytes, bytes.length);
    return { state: s.state, ppid: s.ppid, session: s.session };
  }

  /** Records the pid when it is a QEMU process or a vhost kernel thread; false otherwise. */
  private inspect(pid: number): boolean {
    let comm: string;
    let cmdline: string;
    try {
      // Kernel threads and zombies have an empty cmdline.
      cmdline = readFileText(`${this.procRoot}/${pid}/cmdline`);
      // Looked at before with this command line: no exec since, still not QEMU (a non-empty
      // one: an empty one may be a process exiting, looked at in full).
      if (cmdline !== '' && this.youngCmdline.get(pid) === cmdline) return false;
      comm = readFileText(`${this.procRoot}/${pid}/comm`).trimEnd();
    } catch (err) {
      if (isGone(err) || (err instanceof Error && 'code' in err && err.code === 'EACCES')) return false;
      throw err;
    }
    this.youngCmdline.set(pid, cmdline);
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
