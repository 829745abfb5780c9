// Helpers shared by the agent benchmarks (bench-agent.ts, bench-exact.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { startGuest, type Guest } from '../test/integration/helpers/guests';

export const AGENT_BIN = path.resolve(import.meta.dirname, '../bin/vcpumap-agent.mjs');
export const USER_HZ = 100; // ticks per second in /proc/*/stat (getconf CLK_TCK)

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time of a process so far: the sum of its threads' schedstat run time (ns). */
export function processRunNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that exited: its time is lost from the sum, which favours the process by < 1 tick
    }
  }
  return total;
}

/**
 * CPU time of a whole process since it was forked (ns), its exited threads included: the sum of
 * its live threads' schedstat run time (exact, but it forgets a thread that exited) or its
 * utime+stime from /proc/PID/stat (every thread that ever ran, to a clock tick), whichever is
 * more. A process none of whose threads exited gets the exact sum.
 */
export function processCpuNs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the comm's closing parenthesis, fields start at stat field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const statNs = ((Number(fields[11]) + Number(fields[12])) * 1e9) / USER_HZ;
  return Math.max(processRunNs(pid), statNs);
}

/** user+system time (ms) of this process's reaped children (cutime+cstime). */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // After the comm's closing parenthesis, fields start at stat field 3; cutime and cstime are 16, 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** `count` paused guests (TCG, -S) of `vcpus` vCPUs each: threads that exist and never run. */
/** `qmpSockets`: one per agent that runs at once (QEMU serves one QMP client per socket at a time). */
export async function startPausedGuests(count: number, vcpus: number, prefix = 'bench', qmpSockets = 1): Promise<Guest[]> {
  const guests: Guest[] = [];
  try {
    for (let i = 0; i < count; i++) guests.push(await startGuest({ name: `${prefix}-${i}-${process.pid}`, smp: vcpus, paused: true, qmpSockets }));
  } catch (err) {
    await Promise.all(guests.map((g) => g.stop()));
    throw err;
  }
  return guests;
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function of a CPU profile (CDP's, or node --cpu-prof's), the top 20. */
export function printProfile(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, title: string): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const n = byId.get(id);
    if (n === undefined) return;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`${title}: ${total.toFixed(0)} ms sampled; top self time:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${v.toFixed(0).padStart(7)} ms  ${k}`);
}

/**
 * The agent of git `ref`, bundled into `out` from `git archive` with this checkout's packages: its
 * bin entry (which runs that bundle) and the ref resolved; null when git does not know the ref.
 */
export function buildAgentAt(ref: string, out: string): { bin: string; ref: string } | null {
  const root = path.resolve(import.meta.dirname, '..');
  const sha = spawnSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).stdout.trim();
  if (!sha) return null;
  mkdirSync(out, { recursive: true });
  const tar = spawnSync('sh', ['-c', `git archive ${sha} lib bin scripts package.json tsconfig.json | tar -x -C ${out}`], { cwd: root, encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`git archive of ${sha} failed: ${tar.stderr}`);
  symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'));
  const build = spawnSync(process.execPath, [path.join(out, 'scripts/build-agent.mjs')], { cwd: out, encoding: 'utf8' });
  // Its bin entry runs the bundle (the bundle of an older release exports main; it does not run alone).
  const bin = path.join(out, 'bin/vcpumap-agent.mjs');
  if (build.status !== 0 || !existsSync(path.join(out, 'dist/vcpumap-agent.mjs'))) throw new Error(`building the agent of ${sha} failed: ${build.stderr}`);
  return { bin, ref: `${ref} = ${sha.slice(0, 12)}` };
}

/** Builds this checkout's agent bundle: bin/vcpumap-agent.mjs runs the sources through tsx when the bundle is older than them. */
export function buildAgent(): void {
  const built = spawnSync(process.execPath, [path.resolve(import.meta.dirname, 'build-agent.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the agent failed: ${built.stderr}`);
}
