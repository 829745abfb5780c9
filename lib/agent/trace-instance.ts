// The agent's own tracefs instance (instances/vcpumap-<pid>-<start time>-<n>): a private ring
// buffer with the scheduler events enabled, which leaves the host's other tracers alone. Each
// agent has its own, so two agents at once each see every event; an instance whose owner is no
// longer running (a SIGKILLed agent) is removed by the next agent that starts. The instance is
// removed at close, and at process exit if close was never called.
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseEventFormat, parseHeaderEvent, parseHeaderPage } from '../tracefs/format';
import type { PageLayout } from '../tracefs/page-decoder';
import { SCHED_EVENTS, type SchedFormats } from '../tracefs/sched-records';
import { errorText, type Logger } from './log';

export const INSTANCE_PREFIX = 'vcpumap-';
const INSTANCE_NAME = /^vcpumap-(\d+)-(\d+)-(\d+)$/;

/** tracefs cannot be used here: the message says why and what to do. */
export class TraceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceUnavailableError';
  }
}

export interface TraceInstanceOptions {
  readonly tracefs: string; // the tracefs mount, e.g. /sys/kernel/tracing
  readonly procRoot: string;
  readonly cpus: readonly number[]; // online CPUs (the buffers are sized for them)
  /** Ring buffer per CPU (KiB); default: 64 MiB spread over the CPUs, 512 KiB to 2 MiB each. */
  readonly bufferKbPerCpu?: number;
  /** Sub-buffer (page) size in KiB where the kernel lets it be set (Linux 6.8+). */
  readonly subbufKb?: number;
  readonly log: Logger;
}

let sequence = 0;
const open = new Set<TraceInstance>();
process.once('exit', () => {
  for (const t of open) t.close();
});

export class TraceInstance {
  readonly layout: PageLayout;
  readonly formats: SchedFormats;
  readonly bufferKbPerCpu: number;
  private closed = false;
  private readonly fds: number[] = [];

  private constructor(
    readonly dir: string,
    readonly cpus: readonly number[],
    layout: PageLayout,
    formats: SchedFormats,
    bufferKb: number,
    private readonly log: Logger,
  ) {
    this.layout = layout;
    this.formats = formats;
    this.bufferKbPerCpu = bufferKb;
  }

  /** Why tracefs at `tracefs` cannot be used, or null when it can. */
  static problem(tracefs: string): string | null {
    if (process.getuid?.() !== 0) return 'exact mode needs root (tracefs is root-only)';
    if (!isDir(`${tracefs}/instances`) || !existsSync(`${tracefs}/events/header_page`)) {
      return `tracefs is not mounted at ${tracefs} (as root: mount -t tracefs nodev ${tracefs})`;
    }
    for (const e of SCHED_EVENTS) {
      if (!existsSync(`${tracefs}/events/sched/${e}/format`)) return `the kernel has no ${e} event in ${tracefs}/events/sched`;
    }
    return null;
  }

  /** Makes and configures a fresh instance; throws TraceUnavailableError with the reason. */
  static create(opts: TraceInstanceOptions): TraceInstance {
    const problem = TraceInstance.problem(opts.tracefs);
    if (problem !== null) throw new TraceUnavailableError(problem);
    const removed = removeStaleInstances(opts.tracefs, opts.procRoot, opts.log);
    if (removed.length > 0) opts.log('info', `removed tracefs instance${removed.length > 1 ? 's' : ''} ${removed.join(', ')} left by an agent that is no longer running`);
    const dir = `${opts.tracefs}/instances/${INSTANCE_PREFIX}${process.pid}-${ownStartTime(opts.procRoot)}-${sequence++}`;
    try {
      mkdirSync(dir);
    } catch (err) {
      throw new TraceUnavailableError(`cannot make tracefs instance ${dir}: ${errorText(err)}`);
    }
    try {
      const clocks = readFileSync(`${dir}/trace_clock`, 'utf8');
      // mono is CLOCK_MONOTONIC, the clock of process.hrtime: interval cuts and event times agree.
      if (!/(^|\s|\[)mono(\]|\s|$)/.test(clocks)) throw new TraceUnavailableError(`the kernel has no "mono" trace clock (${clocks.trim()})`);
      writeFileSync(`${dir}/trace_clock`, 'mono');
      const page = parseHeaderPage(readFileSync(`${opts.tracefs}/events/header_page`, 'utf8'));
      const record = parseHeaderEvent(readFileSync(`${opts.tracefs}/events/header_event`, 'utf8'));
      let pageSize = page.pageSize;
      if (opts.subbufKb !== undefined && existsSync(`${dir}/buffer_subbuf_size_kb`)) {
        try {
          writeFileSync(`${dir}/buffer_subbuf_size_kb`, String(opts.subbufKb));
        } catch (err) {
          // Larger sub-buffers need contiguous pages, which a fragmented host may not have: the
          // page size works too, at more reads per event.
          opts.log('warn', `tracefs sub-buffers of ${opts.subbufKb} KiB refused (${errorText(err)}), using the default`);
        }
      }
      if (existsSync(`${dir}/buffer_subbuf_size_kb`)) pageSize = Number(readFileSync(`${dir}/buffer_subbuf_size_kb`, 'utf8').trim()) * 1024;
      const bufferKb = opts.bufferKbPerCpu ?? defaultBufferKb(opts.cpus.length);
      writeFileSync(`${dir}/buffer_size_kb`, String(bufferKb));
      const format = (e: (typeof SCHED_EVENTS)[number]) => parseEventFormat(readFileSync(`${dir}/events/sched/${e}/format`, 'utf8'));
      const formats: SchedFormats = { sched_switch: format('sched_switch'), sched_waking: format('sched_waking'), sched_migrate_task: format('sched_migrate_task') };
      for (const e of SCHED_EVENTS) writeFileSync(`${dir}/events/sched/${e}/enable`, '1');
      writeFileSync(`${dir}/tracing_on`, '1');
      const layout: PageLayout = { page, record, pageSize, littleEndian: endianness() === 'LE' };
      // Every possible CPU has a per_cpu directory: one that comes online later is read too.
      const cpus = readdirSync(`${dir}/per_cpu`)
        .map((n) => /^cpu(\d+)$/.exec(n)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      const t = new TraceInstance(dir, cpus.length > 0 ? cpus : opts.cpus, layout, formats, bufferKb, opts.log);
      open.add(t);
      return t;
    } catch (err) {
      removeInstance(dir);
      if (err instanceof TraceUnavailableError) throw err;
      throw new TraceUnavailableError(`cannot set up tracefs instance ${dir}: ${errorText(err)}`);
    }
  }

  /**
   * Keeps only the sched_waking events of these threads (the VMs': latency and unseen switch-ins), so
   * the kernel does not write the wake-ups of every other task. null keeps them all ("0" clears a filter).
   */
  filterWakings(expr: string | null): void {
    writeFileSync(`${this.dir}/events/sched/sched_waking/filter`, expr ?? '0');
  }

  /** per_cpu/cpuN/trace_pipe_raw, non-blocking (a read with nothing to give fails with EAGAIN). */
  openPipe(cpu: number): number {
    return this.keep(openSync(`${this.dir}/per_cpu/cpu${cpu}/trace_pipe_raw`, constants.O_RDONLY | constants.O_NONBLOCK));
  }

  /** per_cpu/cpuN/stats, for reading again and again from offset 0. */
  openStats(cpu: number): number {
    return this.keep(openSync(`${this.dir}/per_cpu/cpu${cpu}/stats`, 'r'));
  }

  private keep(fd: number): number {
    this.fds.push(fd);
    return fd;
  }

  /** Closes every file of the instance, stops tracing and removes it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    for (const fd of this.fds) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
    this.fds.length = 0;
    const err = removeInstance(this.dir);
    if (err !== null) this.log('warn', `could not remove tracefs instance ${this.dir}: ${err}`);
  }
}

/** 64 MiB over the CPUs, 512 KiB to 2 MiB each: 2 MiB holds ~370 ms of 50,000 switches/s on one CPU. */
export function defaultBufferKb(cpus: number): number {
  return Math.max(512, Math.min(2048, Math.floor(65536 / Math.max(1, cpus))));
}

/** Removes the vcpumap instances whose agent is no longer running; returns their names. */
export function removeStaleInstances(tracefs: string, procRoot: string, log: Logger): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(`${tracefs}/instances`);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = INSTANCE_NAME.exec(name);
    if (!m) continue;
    if (ownerRunning(procRoot, Number(m[1]), Number(m[2]))) continue;
    const err = removeInstance(`${tracefs}/instances/${name}`);
    if (err === null) removed.push(name);
    else log('warn', `stale tracefs instance ${name} could not be removed: ${err}`);
  }
  return removed;
}

/** The process `pid` exists and started at `startTime` (a pid reused by another process did not). */
function ownerRunning(procRoot: string, pid: number, startTime: number): boolean {
  return startTimeOf(procRoot, pid) === startTime;
}

function ownStartTime(procRoot: string): number {
  const t = startTimeOf(procRoot, process.pid);
  if (t === null) throw new TraceUnavailableError(`cannot read ${procRoot}/${process.pid}/stat`);
  return t;
}

/** Field 22 of /proc/PID/stat (ticks after boot), or null when the process does not exist. */
function startTimeOf(procRoot: string, pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const v = Number(fields[22 - 3]);
  return Number.isInteger(v) ? v : null;
}

/** rmdir of an instance (the kernel disables its events and frees its buffers); the error, or null. */
function removeInstance(dir: string): string | null {
  try {
    rmdirSync(dir);
    return null;
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return null;
    return errorText(err);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
