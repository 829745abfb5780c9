// The built vcpumap server (scripts/start.mjs, as `npm start` runs it) as a child process with its
// own data dir and env.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const START = path.join(ROOT, 'scripts/start.mjs');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The server process id, or null while it is not running. */
  pid(): number | null;
  log(): string;
  /** SIGTERM by default; SIGKILL to prove that acknowledged frames survive a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same port, data dir and env. */
  restart(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}, opts: { port?: number; dataDir?: string } = {}): Promise<TestServer> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'vcpumap-data-'));
  let child: ChildProcess | null = null;
  let output = '';
  const url = `http://127.0.0.1:${port}`;

  const launch = async (): Promise<void> => {
    child = spawn(process.execPath, [START, '--no-build', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
        VCPUMAP_DATA_DIR: dataDir,
        VCPUMAP_EMBEDDED_AGENT: '0',
        // An embedded agent samples unless a test asks for exact mode (the default, auto, would
        // trace every task switch of this shared host for each test server; the exact-mode tests
        // say VCPUMAP_AGENT_EXACT=on).
        VCPUMAP_AGENT_EXACT: 'off',
        // Load shedding by time is off unless a test asks for it: on a shared, loaded machine the
        // event loop falls behind by itself, and tests that post frames expect them stored.
        VCPUMAP_SHED_LAG_MS: '600000',
        VCPUMAP_SHED_QUEUE_MS: '600000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c = child;
    c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`server exited (${c.exitCode ?? c.signalCode}):\n${output}`);
      try {
        // 503 while starting (the store opening); then 200, or 401 behind a viewer token.
        const res = await fetch(`${url}/metrics`);
        await res.body?.cancel();
        if (res.status !== 503) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server not ready after 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const c = child;
    // exitCode stays null for a process ended by a signal: check both.
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  await launch();
  return { url, port, dataDir, pid: () => (child?.exitCode === null ? (child.pid ?? null) : null), log: () => output, stop, restart: async () => {
      await stop();
      await launch();
    },
  };
}
