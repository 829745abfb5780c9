// Parsers for the per-thread procfs files the agent reads every tick, and for /proc/stat.
// Pure: the caller reads the files. parseTaskStat runs ~2000 times a second, so it scans the
// line once by hand instead of using regexes or split().
import type { CpuList, PcpuLoad } from '../model/types';
import { parseCpuset } from '../cpuset';

/** The fields of /proc/PID/task/TID/stat the agent uses. */
export interface TaskStat {
  readonly tid: number; // field 1
  readonly comm: string; // field 2, without the parentheses; may contain spaces and ')'
  readonly state: string; // field 3, one letter: R, S, D, T, t, Z, X, I, ...
  readonly ppid: number; // field 4
  readonly utime: number; // field 14, user-mode ticks of 1/USER_HZ s
  readonly stime: number; // field 15, kernel-mode ticks of 1/USER_HZ s
  readonly starttime: number; // field 22, ticks of 1/USER_HZ s after boot
  readonly processor: number; // field 39, CPU the thread last ran on
}

/** /proc/PID/task/TID/schedstat. */
export interface Schedstat {
  readonly runNs: number; // ns spent on a CPU
  readonly waitNs: number; // ns spent runnable, waiting on a run queue
  readonly timeslices: number; // number of times it was scheduled in
}

/** The fields of /proc/PID/task/TID/status the agent uses. */
export interface TaskStatus {
  readonly name: string;
  readonly tgid: number; // process id
  readonly pid: number; // thread id
  readonly cpusAllowedList: CpuList; // the thread's affinity mask
}

/** One `cpuN` line of /proc/stat, cumulative since boot in ticks of 1/USER_HZ s. */
export interface ProcStatCpu {
  readonly cpu: number;
  readonly busy: number; // user + nice + system + irq + softirq + steal
  readonly total: number; // busy + idle + iowait
}

const PROCESSOR_FIELD = 39;

/** Parses one stat line: `TID (comm) S PPID ...`. Throws on anything truncated or malformed. */
export function parseTaskStat(text: string): TaskStat {
  // comm is arbitrary (prctl PR_SET_NAME): `a) b (c` is legal, so the comm ends at the LAST ')'.
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open + 2) {
    throw new Error(`task stat: expected "TID (comm) STATE ...", got ${excerpt(text)}`);
  }
  const tid = parseUint(text, 0, open);
  if (tid < 0) throw new Error(`task stat: TID is not a number in ${excerpt(text)}`);
  const comm = text.slice(open + 2, close);

  let state = '';
  let ppid = -1;
  let utime = -1;
  let stime = -1;
  let starttime = -1;
  let processor = -1;

  // Fields after the comm are separated by exactly one space; field 3 starts at close + 2.
  const end = lineEnd(text, close);
  if (close + 1 >= end) throw new Error(`task stat: truncated after the comm: ${excerpt(text)}`);
  if (text.charCodeAt(close + 1) !== 32) {
    throw new Error(`task stat: expected a space after the comm in ${excerpt(text)}`);
  }
  let field = 3;
  let start = close + 2;
  while (start <= end && field <= PROCESSOR_FIELD) {
    let stop = text.indexOf(' ', start);
    if (stop === -1 || stop > end) stop = end;
    if (stop === start) throw new Error(`task stat: empty field ${field} in ${excerpt(text)}`);
    switch (field) {
      case 3:
        state = text.slice(start, stop);
        break;
      case 4:
        ppid = parseUint(text, start, stop);
        break;
      case 14:
        utime = parseUint(text, start, stop);
        break;
      case 15:
        stime = parseUint(text, start, stop);
        break;
      case 22:
        starttime = parseUint(text, start, stop);
        break;
      case PROCESSOR_FIELD:
        processor = parseUint(text, start, stop);
        break;
    }
    field++;
    start = stop + 1;
  }
  if (field <= PROCESSOR_FIELD) {
    throw new Error(
      `task stat: truncated, ${field - 1} fields where at least ${PROCESSOR_FIELD} are needed: ${excerpt(text)}`,
    );
  }
  if (state.length !== 1) throw new Error(`task stat: state ${JSON.stringify(state)} is not one letter in ${excerpt(text)}`);
  need(ppid, 'ppid (field 4)', text);
  need(utime, 'utime (field 14)', text);
  need(stime, 'stime (field 15)', text);
  need(starttime, 'starttime (field 22)', text);
  need(processor, 'processor (field 39)', text);
  return { tid, comm, state, ppid, utime, stime, starttime, processor };
}

// A module-level function rather than a closure: parseTaskStat runs for every thread every tick.
function need(v: number, what: string, text: string): void {
  if (v < 0) throw new Error(`task stat: ${what} is not a non-negative integer in ${excerpt(text)}`);
}

/** Parses `RUN_NS WAIT_NS TIMESLICES\n`. */
export function parseSchedstat(text: string): Schedstat {
  const parts = text.trim().split(' ');
  if (parts.length !== 3) {
    throw new Error(`schedstat: expected 3 numbers "RUN_NS WAIT_NS TIMESLICES", got ${excerpt(text)}`);
  }
  const [runNs, waitNs, timeslices] = parts.map((p) => parseCounter(p, 'schedstat', text));
  if (runNs === undefined || waitNs === undefined || timeslices === undefined) {
    throw new Error(`schedstat: expected 3 numbers, got ${excerpt(text)}`);
  }
  return { runNs, waitNs, timeslices };
}

/** Parses /proc/PID/task/TID/status (`Key:\tvalue` lines). */
export function parseTaskStatus(text: string): TaskStatus {
  let name: string | null = null;
  let tgid: number | null = null;
  let pid: number | null = null;
  let cpus: CpuList | null = null;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    // The kernel writes `Key:\tvalue`; Name keeps inner and trailing spaces, e.g. "CPU 0/KVM".
    const raw = line.slice(colon + 1);
    const value = raw.startsWith('\t') ? raw.slice(1) : raw.trimStart();
    switch (key) {
      case 'Name':
        name = value;
        break;
      case 'Tgid':
        tgid = parseStatusId(value, key);
        break;
      case 'Pid':
        pid = parseStatusId(value, key);
        break;
      case 'Cpus_allowed_list':
        cpus = parseCpusAllowedList(value);
        break;
    }
  }
  if (name === null || tgid === null || pid === null || cpus === null) {
    const missing = [name === null && 'Name', tgid === null && 'Tgid', pid === null && 'Pid', cpus === null && 'Cpus_allowed_list'];
    throw new Error(`task status: missing ${missing.filter(Boolean).join(', ')} in ${excerpt(text)}`);
  }
  return { name, tgid, pid, cpusAllowedList: cpus };
}

/**
 * Per-CPU lines of /proc/stat, ascending by cpu. Offline CPUs have no line. The aggregate `cpu `
 * line is skipped. guest and guest_nice are not added: the kernel already counts them in
 * user and nice. Kernels older than 2.6.33 print fewer columns (missing ones count as 0);
 * columns after guest_nice from future kernels are ignored.
 */
export function parseProcStat(text: string): readonly ProcStatCpu[] {
  const out: ProcStatCpu[] = [];
  const seen = new Set<number>();
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const cpu = parseProcStatCpuLine(lines[ln] ?? '', ln + 1, seen);
    if (cpu) out.push(cpu);
  }
  return sortedProcStatCpus(out, text);
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
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { cpu, busy, total: busy + idle + iowait };
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

/** Digits in text[start, end) as a number; -1 when not all digits or beyond 2^53. */
function parseUint(text: string, start: number, end: number): number {
  if (end <= start || end - start > 16) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return Number.isSafeInteger(n) ? n : -1;
}

/** End of the first line (a trailing newline is not part of the last field). */
function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  let end = nl === -1 ? text.length : nl;
  if (text.charCodeAt(end - 1) === 13) end--;
  return end;
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

function parseStatusId(value: string, key: string): number {
  const v = value.trim();
  const n = parseUint(v, 0, v.length);
  if (n < 0) throw new Error(`task status: ${key} ${JSON.stringify(v)} is not a non-negative integer`);
  return n;
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
