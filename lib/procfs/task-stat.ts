// Types of the per-thread procfs files the agent reads every tick (parsed from bytes by
// task-stat-bytes.ts, schedstat-bytes.ts and status-affinity-bytes.ts), the per-line parser of
// /proc/stat (proc-stat-bytes.ts), the pCPU load between two readings, and the affinity list.
// Pure: the callers read the files.
import type { CpuList, PcpuLoad } from '../model/types';
import { parseCpuset } from '../cpuset';

/** The fields of /proc/PID/task/TID/stat the agent uses. */
export interface TaskStat {
  readonly tid: number; // field 1
  readonly comm: string; // field 2, without the parentheses; may contain spaces and ')'
  readonly state: string; // field 3, one letter: R, S, D, T, t, Z, X, I, ...
  readonly ppid: number; // field 4
  readonly session: number; // field 6: session id (the pid of the session leader)
  readonly utime: number; // field 14, user-mode ticks of 1/USER_HZ s
  readonly stime: number; // field 15, kernel-mode ticks of 1/USER_HZ s
  readonly starttime: number; // field 22, ticks of 1/USER_HZ s after boot
  readonly processor: number; // field 39, CPU the thread last ran on
  /** field 40: real-time priority, 1-99 under SCHED_FIFO/SCHED_RR, else 0; null when absent. */
  readonly rtPriority: number | null;
  /** field 41: scheduling policy (SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6, EXT 7); null when absent. */
  readonly policy: number | null;
}

/** /proc/PID/task/TID/schedstat. */
export interface Schedstat {
  readonly runNs: number; // ns spent on a CPU
  readonly waitNs: number; // ns spent runnable, waiting on a run queue
  readonly timeslices: number; // number of times it was scheduled in
}

/** One `cpuN` line of /proc/stat, cumulative since boot in ticks of 1/USER_HZ s. */
export interface ProcStatCpu {
  readonly cpu: number;
  readonly busy: number; // user + nice + system + irq + softirq + steal
  readonly total: number; // busy + idle + iowait
  readonly steal: number; // taken by the hypervisor under this machine
}

/**
 * One line of /proc/stat (line number `ln`, from 1): its counters when it is a `cpuN` line, else
 * null. `seen` collects the cpu ids met so far, to reject duplicates.
 */
export function parseProcStatCpuLine(raw: string, ln: number, seen: Set<number>): ProcStatCpu | null {
  const line = raw.trimEnd();
  if (!line.startsWith('cpu')) return null;
  const c = line.charCodeAt(3);
  if (c < 48 || c > 57) return null; // "cpu " aggregate line (or some unknown cpu* key)
  const cols = line.split(/ +/);
  const label = `/proc/stat line ${ln}`;
  const cpu = parseCounter((cols[0] ?? '').slice(3), label, line);
  if (!Number.isSafeInteger(cpu)) throw new Error(`${label}: bad cpu id in ${excerpt(line)}`);
  if (seen.has(cpu)) throw new Error(`${label}: cpu${cpu} appears twice`);
  seen.add(cpu);
  const v = cols.slice(1, 11).map((s) => parseCounter(s, label, line));
  if (v.length < 4) throw new Error(`${label}: expected at least 4 counters after cpu${cpu}, got ${excerpt(line)}`);
  return procStatCpu(cpu, v, v.length);
}

/**
 * A cpu line's figures from its first `count` counters (user nice system idle iowait irq softirq
 * steal ...; a counter the line lacks is 0): busy is user + nice + system + irq + softirq + steal,
 * total is busy + idle + iowait.
 */
export function procStatCpu(cpu: number, counters: ArrayLike<number>, count: number): ProcStatCpu {
  const steal = counterAt(counters, count, 7);
  const busy = counterAt(counters, count, 0) + counterAt(counters, count, 1) + counterAt(counters, count, 2) + counterAt(counters, count, 5) + counterAt(counters, count, 6) + steal;
  return { cpu, busy, total: busy + counterAt(counters, count, 3) + counterAt(counters, count, 4), steal };
}

function counterAt(counters: ArrayLike<number>, count: number, i: number): number {
  return i < count ? (counters[i] ?? 0) : 0;
}

/** The cpus ascending; throws when there are none (`text` is the file, for the message). */
export function sortedProcStatCpus(out: ProcStatCpu[], text: string): readonly ProcStatCpu[] {
  if (out.length === 0) throw new Error(`/proc/stat: no "cpuN" lines in ${excerpt(text)}`);
  return out.sort((a, b) => a.cpu - b.cpu);
}

/**
 * Busy share (0..1) of each CPU between two /proc/stat readings. A CPU is left out when it
 * cannot be computed honestly: absent from either reading (hot-plug), no time elapsed, or its
 * busy counter went backwards (counter reset, e.g. a reading from before a reboot). Idle can go
 * backwards slightly on NO_HZ kernels, so the ratio is clamped instead of rejected.
 */
export function pcpuLoad(prev: readonly ProcStatCpu[], cur: readonly ProcStatCpu[]): readonly PcpuLoad[] {
  const before = new Map<number, ProcStatCpu>();
  for (const p of prev) before.set(p.cpu, p);
  const out: PcpuLoad[] = [];
  for (const c of cur) {
    const p = before.get(c.cpu);
    if (p === undefined) continue;
    const dBusy = c.busy - p.busy;
    const dTotal = c.total - p.total;
    if (!Number.isFinite(dBusy) || !Number.isFinite(dTotal) || dBusy < 0 || dTotal <= 0) continue;
    out.push({ cpu: c.cpu, busy: Math.min(1, Math.max(0, dBusy / dTotal)) });
  }
  return out;
}

const U64_MAX = '18446744073709551615';

/**
 * Kernel u64 counter. Values above 2^53 (e.g. run time in ns after ~104 days on CPU) lose
 * precision in the last digits, which is harmless for rates; values above u64 are rejected.
 */
function parseCounter(s: string, what: string, context: string): number {
  const ok =
    s.length > 0 &&
    /^[0-9]+$/.test(s) &&
    (s.length < U64_MAX.length || (s.length === U64_MAX.length && s <= U64_MAX));
  if (!ok) throw new Error(`${what}: ${JSON.stringify(s)} is not a non-negative integer counter in ${excerpt(context)}`);
  return Number(s);
}

/** A kernel `Cpus_allowed_list` value (`0-3,8`); throws on anything the kernel does not print. */
export function parseCpusAllowedList(value: string): CpuList {
  // The kernel prints plain lists; a '^' means this is not a kernel file.
  if (value.includes('^')) {
    throw new Error(`task status: Cpus_allowed_list ${JSON.stringify(value)} uses libvirt "^" syntax`);
  }
  try {
    return parseCpuset(value);
  } catch (e) {
    throw new Error(`task status: bad Cpus_allowed_list: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
