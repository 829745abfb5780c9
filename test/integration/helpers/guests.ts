// Real QEMU guests for integration tests: TCG with one host thread per vCPU, a 512-byte boot
// sector as the disk (halts: idle, or spins: vCPU 0 busy), QMP sockets in a temp directory.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { qmpOnce } from './test-qmp';
import { hmpOnce, parseInfoCpus } from './test-hmp';

export type Workload = 'halt' | 'spin';

export function bootSector(workload: Workload): Buffer {
  const b = Buffer.alloc(512);
  // cli; hlt; jmp $-3  |  jmp $  (a busy loop on vCPU 0)
  Buffer.from(workload === 'halt' ? [0xfa, 0xf4, 0xeb, 0xfd] : [0xeb, 0xfe]).copy(b);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

export function writeBootSector(dir: string, workload: Workload): string {
  const file = path.join(dir, `${workload}.img`);
  writeFileSync(file, bootSector(workload));
  return file;
}

export interface GuestOptions {
  readonly name: string;
  readonly smp?: number; // vCPUs at start (default 2)
  readonly maxcpus?: number; // > smp for hot-plug
  readonly paused?: boolean; // -S: threads exist but never run guest code
  readonly workload?: Workload;
  readonly qmpSockets?: number; // default 2: the agent's and the test's
  /** Use the plain `-name NAME` form instead of `-name guest=NAME,debug-threads=on`. */
  readonly plainName?: boolean;
  /**
   * No QMP socket, no thread names: only a human monitor (`-monitor unix:DIR/hmp.sock`), as an
   * operator may start QEMU by hand. Its vCPU threads cannot be told apart by vcpumap.
   */
  readonly monitorOnly?: boolean;
}

export interface Guest {
  readonly name: string;
  readonly pid: number;
  readonly dir: string;
  readonly qmpPaths: readonly string[];
  /** The socket tests use for their own QMP commands (the last one). */
  readonly testQmp: string;
  /** The human monitor socket of a monitorOnly guest, else null. */
  readonly hmp: string | null;
  /** Thread ids by thread name, read from /proc now. */
  threads(): Map<number, string>;
  vcpuTid(index: number): number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
const daemons = new Set<number>(); // pids of daemonized guests: not children of this process
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const pid of daemons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

export async function startGuest(opts: GuestOptions): Promise<Guest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-guest-'));
  const smp = opts.smp ?? 2;
  const disk = writeBootSector(dir, opts.workload ?? 'halt');
  const qmpPaths = opts.monitorOnly ? [] : Array.from({ length: opts.qmpSockets ?? 2 }, (_, i) => path.join(dir, `qmp${i}.sock`));
  const hmp = opts.monitorOnly ? path.join(dir, 'hmp.sock') : null;
  const args = [
    '-name', opts.plainName || opts.monitorOnly ? opts.name : `guest=${opts.name},debug-threads=on`,
    '-accel', 'tcg,thread=multi',
    '-smp', opts.maxcpus ? `${smp},maxcpus=${opts.maxcpus}` : String(smp),
    '-m', '32',
    '-nodefaults', '-display', 'none',
    '-drive', `file=${disk},format=raw,if=ide`,
    ...qmpPaths.flatMap((p) => ['-qmp', `unix:${p},server=on,wait=off`]),
    ...(hmp !== null ? ['-monitor', `unix:${hmp},server=on,wait=off`] : []),
    ...(opts.paused ? ['-S'] : []),
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`qemu-system-x86_64 did not start for ${opts.name}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const threads = (): Map<number, string> => {
    const m = new Map<number, string>();
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        m.set(Number(t), readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trimEnd());
      } catch {
        // a worker thread that just exited
      }
    }
    return m;
  };
  const vcpuTid = (index: number): number => {
    for (const [tid, name] of threads()) if (name === `CPU ${index}/TCG`) return tid;
    throw new Error(`${opts.name}: no thread named "CPU ${index}/TCG"`);
  };

  // Ready when every QMP socket exists and every vCPU thread exists: named `CPU n/TCG` with
  // debug-threads, else counted through QMP (the test's socket, released again at once).
  const vcpusUp = async (): Promise<boolean> => {
    if (hmp !== null) return existsSync(hmp) && parseInfoCpus(await hmpOnce(hmp, 'info cpus')).length === smp;
    if (!opts.plainName) {
      const names = [...threads().values()];
      return Array.from({ length: smp }, (_, i) => `CPU ${i}/TCG`).every((n) => names.includes(n));
    }
    const cpus = await qmpOnce(qmpPaths.at(-1) ?? '', 'query-cpus-fast');
    return Array.isArray(cpus) && cpus.length === smp;
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`QEMU for ${opts.name} exited: ${stderr}`);
    if (qmpPaths.every((p) => existsSync(p)) && (await vcpusUp())) break;
    if (Date.now() > deadline) throw new Error(`QEMU for ${opts.name} not ready after 15 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    name: opts.name,
    pid,
    dir,
    qmpPaths,
    testQmp: qmpPaths.at(-1) ?? '',
    hmp,
    threads,
    vcpuTid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A unique, short guest name per test run. */
export function guestName(tag: string): string {
  return `vt-${tag}-${process.pid}-${Math.floor(Math.random() * 1e4)}`;
}

export interface DaemonizedGuest {
  readonly name: string;
  /** The VM's pid (from -pidfile): the process left after the parent exits. */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * `qemu -daemonize`, as init scripts start it. With `hold`, the daemonized VM blocks in its start
 * on a chardev that waits for a client (`-serial` on a socket with wait=on) until `release()`,
 * and the parent waits with it: the window in which two processes of that name exist, one of
 * them without vCPU threads, is held open instead of lasting a few ms.
 */
export async function startDaemonizedGuest(name: string): Promise<{ readonly parentPid: number; release(): Promise<DaemonizedGuest> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-guest-'));
  const disk = writeBootSector(dir, 'halt');
  const hold = path.join(dir, 'hold.sock');
  const pidfile = path.join(dir, 'qemu.pid');
  const args = [
    '-name', `guest=${name},debug-threads=on`,
    '-accel', 'tcg,thread=multi',
    '-smp', '2',
    '-m', '32',
    '-nodefaults', '-display', 'none',
    '-drive', `file=${disk},format=raw,if=ide`,
    '-chardev', `socket,id=hold,path=${hold},server=on,wait=on`,
    '-serial', 'chardev:hold',
    '-S',
    '-daemonize', '-pidfile', pidfile,
  ];
  const parent = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(parent);
  let stderr = '';
  parent.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const parentPid = parent.pid;
  if (parentPid === undefined) throw new Error(`qemu-system-x86_64 -daemonize did not start for ${name}`);
  const parentExit = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!existsSync(hold)) {
    if (parent.exitCode !== null) throw new Error(`QEMU -daemonize for ${name} exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`QEMU -daemonize for ${name}: no ${hold} after 15 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    parentPid,
    async release() {
      const client = net.connect(hold);
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      });
      const code = await parentExit; // the parent exits once the VM is up
      live.delete(parent);
      if (code !== 0) throw new Error(`QEMU -daemonize parent for ${name} exited with ${code}: ${stderr}`);
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      daemons.add(pid);
      return {
        name,
        pid,
        async stop() {
          client.destroy();
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
          for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
          daemons.delete(pid);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
