// Host commands the tests compare the agent with, run the way an operator would.
import { execFileSync } from 'node:child_process';

export function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** `taskset -cp TID` -> the CPU list text, e.g. "0,1" or "0-1". */
export function tasksetList(tid: number): string {
  const out = run('taskset', ['-cp', String(tid)]);
  const m = /current affinity list:\s*(\S+)/.exec(out);
  if (!m?.[1]) throw new Error(`unexpected taskset output: ${out}`);
  return m[1];
}

export function taskset(cpus: string, tid: number): void {
  run('taskset', ['-pc', cpus, String(tid)]);
}

export function virsh(...args: string[]): string {
  return run('virsh', ['-c', 'qemu:///system', ...args]);
}
