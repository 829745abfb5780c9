// Real QEMU guests for integration tests: TCG with one host thread per vCPU, a 512-byte boot
// sector as the disk (halts: idle, or spins: vCPU 0 busy), QMP sockets in a temp directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { qmpOnce } from './test-qmp';

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
}

export interface Guest {
  readonly name: string;
  readonly pid: number;
  readonly dir: string;
  readonly qmpPaths: readonly string[];
  /** The socket tests use for their own QMP commands (the last one). */
  readonly testQmp: string;
  /** Thread ids by thread name, read from /proc now. */
  threads(): Map<number, string>;
  vcpuTid(index: number): number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startGuest(opts: GuestOptions): Promise<Guest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-guest-'));
  const smp = opts.smp ?? 2;
  const disk = writeBootSector(dir, opts.workload ?? 'halt');
  const qmpPaths = Array.from({ length: opts.qmpSockets ?? 2 }, (_, i) => path.join(dir, `qmp${i}.sock`));
  const args = [
    '-name', opts.plainName ? opts.name : `guest=${opts.name},debug-threads=on`,
    '-accel', 'tcg,thread=multi',
    '-smp', opts.maxcpus ? `${smp},maxcpus=${opts.maxcpus}` : String(smp),
    '-m', '32',
    '-nodefaults', '-display', 'none',
    '-drive', `file=${disk},format=raw,if=ide`,
    ...qmpPaths.flatMap((p) => ['-qmp', `unix:${p},server=on,wait=off`]),
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
