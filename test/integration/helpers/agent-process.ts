// The real vcpumap-agent command pushing to a server, with its printed snapshots collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Snapshot } from '../../../lib/model/snapshot';

const BIN = path.resolve(import.meta.dirname, '../../../bin/vcpumap-agent.mjs');

export interface AgentProcess {
  readonly printed: Snapshot[];
  stderr(): string;
  pid(): number;
  exited(): boolean;
  stop(): Promise<void>;
  /** SIGKILL (or the signal given) and its exit: with SIGKILL no flush, no clean-up, as a crash. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A spool of the test's own (never the host's default under /var/lib/vcpumap) unless args name one. */
export function startAgentProcess(args: readonly string[]): AgentProcess {
  const spool = args.includes('--server') && !args.includes('--spool') ? ['--spool', mkdtempSync(path.join(tmpdir(), 'vcpumap-spool-'))] : [];
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args, ...spool], { stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: Snapshot[] = [];
  let partial = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) printed.push(JSON.parse(l) as Snapshot);
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return {
    printed,
    stderr: () => err,
    pid: () => child.pid ?? -1,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined> | T | null | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
