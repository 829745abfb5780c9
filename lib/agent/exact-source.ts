// Exact mode in the agent: the trace instance and its reader, /proc/interrupts, and the names of
// the other tasks, joined into one ExactObservation per interval. The agent asks observe() at
// each sample (which closes the interval) and tells follow() what the new snapshot holds (which
// threads to follow and which pCPUs to watch for the next interval).
import { readFileSync } from 'node:fs';
import { MAX_OTHERS_PER_CPU, type ExactIrqCount, type ExactObservation, type ExactOtherTask } from '../model/exact';
import { traceShortNs, watchedCpus } from '../model/exact-snapshot';
import type { Snapshot } from '../model/snapshot';
import { interruptDeltas, parseInterrupts, type Interrupts } from '../procfs/interrupts';
import { PageRing } from '../tracefs/page-ring';
import { MAX_FILTER_CHARS, pidFilter, rangeFilter } from '../tracefs/pid-filter';
import type { OtherRun, SchedInterval, TrackedThread } from '../tracefs/sched-aggregate';
import { KeptOpenFile } from './kept-open-file';
import { errorText, type Logger } from './log';
import { TraceInstance, TraceUnavailableError } from './trace-instance';
import { TraceReader, type TraceReaderStats } from './trace-reader';
import type { TraceAnswer, TraceWindow } from './trace-export';

export type ExactSetting = 'auto' | 'on' | 'off';

export interface ExactOptions {
  readonly setting: ExactSetting;
  readonly tracefs: string;
  /** Per-CPU ring buffer (KiB); default from the CPU count (trace-instance.ts). */
  readonly bufferKbPerCpu?: number;
  /** Sub-buffer size (KiB) where the kernel lets it be set. */
  readonly subbufKb?: number;
  /** How often the trace is read between samples (ms). */
  readonly drainEveryMs?: number;
  /** Raw pages kept for an export: this span (ms) and at most this many bytes; 0 keeps none. */
  readonly keepSpanMs?: number;
  readonly keepBytes?: number;
}

export const DEFAULT_DRAIN_MS = 100;
export const DEFAULT_SUBBUF_KB = 16;
export const DEFAULT_KEEP_SPAN_MS = 10 * 60_000;
export const DEFAULT_KEEP_BYTES = 32 << 20;

interface Resolved {
  readonly comm: string;
  readonly pid: number | null;
  readonly kernel: boolean;
}

export class ExactSource {
  readonly ring: PageRing | null;
  private readonly interruptsFile: KeptOpenFile | null;
  private prevInterrupts: Interrupts | null = null;
  private covered: ReadonlySet<number> = new Set();
  private watched: readonly number[] = [];
  private vmOfPid: ReadonlyMap<number, string> = new Map();
  private resolved = new Map<number, Resolved>(); // tid -> what /proc said last interval
  private wakingFilter: string | null | undefined = undefined; // as written to tracefs
  private followed: readonly TrackedThread[] = [];
  // The followed threads as (VM pid, tid, role is vCPU) triples, and the VM names, to tell at a
  // glance, without allocating, that a snapshot holds the same threads as the last one.
  private key = new Int32Array(0);
  private keyLen = 0;
  private names: string[] = [];
  /** The followed threads' process and name, for a trace export. */
  private threadInfo: ReadonlyMap<number, { readonly pid: number; readonly name: string }> = new Map();
  private host = '';
  private unseenLogged = false;
  private last: Pick<ExactObservation, 'threads' | 'cutToReadNs'> = { threads: new Map(), cutToReadNs: 0 };
  private readonly shortLogged = new Set<number>(); // vCPU tids
  private interval: SchedInterval | null = null; // cut, not yet observed

  private constructor(
    private readonly instance: TraceInstance,
    private readonly reader: TraceReader,
    ring: PageRing | null,
    private readonly procRoot: string,
    private readonly log: Logger,
  ) {
    this.ring = ring;
    let file: KeptOpenFile | null = null;
    try {
      file = new KeptOpenFile(`${procRoot}/interrupts`);
    } catch (err) {
      log('warn', `${procRoot}/interrupts cannot be read, no interrupt counts: ${errorText(err)}`);
    }
    this.interruptsFile = file;
  }

  /**
   * Exact mode as `opts.setting` asks: null for "off", and for "auto" where tracefs cannot be
   * used (logged once); for "on" that throws TraceUnavailableError with the reason.
   */
  static start(opts: ExactOptions, cpus: readonly number[], procRoot: string, log: Logger): ExactSource | null {
    if (opts.setting === 'off') return null;
    let instance: TraceInstance;
    try {
      instance = TraceInstance.create({ tracefs: opts.tracefs, procRoot, cpus, bufferKbPerCpu: opts.bufferKbPerCpu, subbufKb: opts.subbufKb ?? DEFAULT_SUBBUF_KB, log });
    } catch (err) {
      if (!(err instanceof TraceUnavailableError)) throw err;
      if (opts.setting === 'on') throw new TraceUnavailableError(`exact mode (--exact on) cannot start: ${err.message}`);
      log('info', `exact mode off, sampling instead: ${err.message}`);
      return null;
    }
    try {
      const span = opts.keepSpanMs ?? DEFAULT_KEEP_SPAN_MS;
      const bytes = opts.keepBytes ?? DEFAULT_KEEP_BYTES;
      const ring = span > 0 && bytes > 0 ? new PageRing(span * 1e6, bytes) : null;
      const reader = new TraceReader(instance, ring, log);
      reader.start(opts.drainEveryMs ?? DEFAULT_DRAIN_MS);
      const src = new ExactSource(instance, reader, ring, procRoot, log);
      log('info', `exact mode: scheduler events from ${instance.dir} (${instance.bufferKbPerCpu} KiB per CPU, ${instance.layout.pageSize / 1024} KiB pages, ${cpus.length} CPUs)`);
      return src;
    } catch (err) {
      instance.close();
      throw err;
    }
  }

  get readerStats(): TraceReaderStats {
    return this.reader.stats;
  }

  get instanceDir(): string {
    return this.instance.dir;
  }

  /**
   * Closes the trace's interval now. The agent reads the threads' schedstat right after, then
   * asks observe(): what lies between the cut and those reads is the one thing by which a
   * thread's run time and its residency can differ, so nothing else is done there.
   */
  cut(): void {
    this.interval = this.reader.cut();
  }

  /** The interval closed by cut(): what the trace and /proc/interrupts showed. */
  observe(): ExactObservation {
    const i = this.interval;
    if (i === null) throw new Error('exact mode: observe() without a cut() before it');
    this.interval = null;
    const cutToReadNs = Math.max(0, Math.round(this.reader.nowNs() - i.endNs));
    if (i.lostEvents > 0) {
      const where = [...i.lostByCpu].map(([c, n]) => `${n} on pCPU ${c}`).join(', ');
      this.log('warn', `lost ${i.lostEvents} trace events in the last interval (${where}): exact figures of those pCPUs are incomplete; a larger --exact-buffer-kb keeps up with more`);
    }
    if (i.unseenByCpu.size > 0 && !this.unseenLogged) {
      this.unseenLogged = true;
      const where = [...i.unseenByCpu].map(([c, n]) => `${n} on pCPU ${c}`).join(', ');
      this.log('info', `the kernel did not report ${[...i.unseenByCpu.values()].reduce((a, b) => a + b, 0)} task switches in an interval (${where}; some kernels never trace a switch out of idle): their run times come from the wake-ups before them, or the pCPU is reported blind`);
    }
    const others = new Map<number, ExactOtherTask[]>();
    const othersRest = new Map<number, { tasks: number; ns: number }>();
    const seen = new Map<number, Resolved>();
    for (const [cpu, runs] of i.others) {
      others.set(cpu, runs.slice(0, MAX_OTHERS_PER_CPU).map((r) => this.otherTask(r, seen)));
      if (runs.length > MAX_OTHERS_PER_CPU || i.othersDropped > 0) {
        const rest = runs.slice(MAX_OTHERS_PER_CPU);
        othersRest.set(cpu, { tasks: rest.length, ns: rest.reduce((n, r) => n + r.ns, 0) });
      }
    }
    this.resolved = seen;
    this.last = { threads: i.threads, cutToReadNs };
    return {
      intervalNs: i.endNs - i.startNs,
      cutToReadNs,
      events: i.events,
      lostEvents: i.lostEvents,
      lostByCpu: i.lostByCpu,
      covered: this.covered,
      threads: i.threads,
      watched: this.watched,
      others,
      othersRest,
      irqs: this.readInterrupts(),
      blindCpus: i.blindCpus,
    };
  }

  /** From the snapshot just built: the VM threads to follow and the pCPUs to watch next. */
  follow(snapshot: Snapshot): void {
    const watched = watchedCpus(snapshot.topology, snapshot.vms);
    this.host = snapshot.host;
    this.logShort(snapshot);
    if (this.sameThreads(snapshot)) {
      // The common case: the same threads as last time. Only the pins may have moved.
      if (!sameList(watched, this.watched)) {
        this.reader.follow(this.followed, watched);
        this.watched = watched;
        this.filterWakings();
      }
      return;
    }
    const threads: TrackedThread[] = [];
    const vmOfPid = new Map<number, string>();
    const info = new Map<number, { pid: number; name: string }>();
    for (const vm of snapshot.vms) {
      vmOfPid.set(vm.pid, vm.name);
      for (const t of vm.threads) {
        threads.push({ tid: t.tid, name: t.name, vcpu: t.role === 'vcpu' });
        info.set(t.tid, { pid: vm.pid, name: t.name });
      }
    }
    this.threadInfo = info;
    this.reader.follow(threads, watched);
    this.followed = threads;
    this.covered = new Set(threads.map((t) => t.tid));
    this.watched = watched;
    this.vmOfPid = vmOfPid;
    this.rememberThreads(snapshot);
    this.filterWakings();
  }

  /** Once per vCPU: the trace placed only part of its run time, so its residency was left unknown. */
  private logShort(snapshot: Snapshot): void {
    const threads = this.last;
    for (const vm of snapshot.vms) {
      for (const v of vm.vcpus) {
        const short = this.covered.has(v.tid) ? traceShortNs(v, threads) : 0;
        if (short === 0 || this.shortLogged.has(v.tid)) continue;
        this.shortLogged.add(v.tid);
        const ms = (ns: number): string => (ns / 1e6).toFixed(0);
        this.log(
          'warn',
          `VM ${vm.name} vCPU ${v.index} (thread ${v.tid}) ran ${ms(v.runNs ?? 0)} ms in the last interval (schedstat), of which the trace placed ${ms((v.runNs ?? 0) - short)} ms: ` +
            'its residency is reported unknown and it is judged by its last CPU; the kernel did not report some of its switch-ins (logged once per vCPU)',
        );
      }
    }
  }

  /**
   * Every followed thread's wake-ups (a vCPU's make its latency, and any one's place a switch-in
   * the kernel did not report, sched-aggregate.ts), and every wake-up onto a watched pCPU (an
   * other task that arrives there unseen).
   */
  private filterWakings(): void {
    const pids = pidFilter(this.followed.map((t) => t.tid));
    const cpus = rangeFilter('target_cpu', this.watched);
    const joined = pids === null || cpus === '' ? pids : `${pids}||${cpus}`;
    const filter = joined !== null && joined.length > MAX_FILTER_CHARS ? null : joined;
    if (filter !== this.wakingFilter) {
      try {
        this.instance.filterWakings(filter);
      } catch (err) {
        // Every wake-up is then read and the unwanted ones dropped here: slower, still right.
        this.log('warn', `could not filter sched_waking to the VMs' threads: ${errorText(err)}`, 'waking-filter');
      }
      this.wakingFilter = filter;
    }
  }

  /**
   * The kept pages of [fromMs, toMs] (epoch ms), copied, ready to print (trace-export.ts); or why
   * there are none: 409 when this agent keeps no trace, 404 when the window is not kept (it ends
   * before the oldest kept event).
   */
  traceWindow(fromMs: number, toMs: number): TraceWindow | (TraceAnswer & { ok: false }) {
    const ring = this.ring;
    if (ring === null) return { ok: false, status: 409, error: 'this agent keeps no trace events (--trace-keep 0)', keptFromMs: null };
    const nowMs = Date.now();
    const nowNs = this.reader.nowNs();
    const toNs = (ms: number): number => nowNs + (ms - nowMs) * 1e6;
    const wallMs = (ns: number): number => Math.round(nowMs + (ns - nowNs) / 1e6);
    const span = `the last ${describeSpan(ring.spanNs / 1e6)}, at most ${(ring.maxBytes / 1048576).toFixed(0)} MiB`;
    const covered = ring.covered();
    if (covered === null) return { ok: false, status: 404, error: `no trace events kept yet (the agent keeps ${span})`, keptFromMs: null };
    const keptFromMs = wallMs(covered.fromNs);
    if (toMs < keptFromMs) {
      return {
        ok: false,
        status: 404,
        error: `the trace of this window is no longer kept: the agent keeps ${span}, from ${new Date(keptFromMs).toISOString()} on`,
        keptFromMs,
      };
    }
    const fromNs = toNs(fromMs);
    const endNs = toNs(toMs);
    const pages = new Map<number, Uint8Array[]>();
    for (const [cpu, list] of ring.select(fromNs, endNs)) pages.set(cpu, list.map((b) => b.slice()));
    const info = this.threadInfo;
    const resolved = this.resolved;
    return {
      host: this.host,
      layout: this.instance.layout,
      formats: this.instance.formats,
      baseHi: this.reader.baseHi,
      pages,
      fromMs,
      toMs,
      fromNs,
      toNs: endNs,
      keptFromMs,
      commOf: (pid) => info.get(pid)?.name ?? resolved.get(pid)?.comm ?? null,
      tgidOf: (pid) => (pid === 0 ? 0 : (info.get(pid)?.pid ?? resolved.get(pid)?.pid ?? null)),
    };
  }

  private sameThreads(snapshot: Snapshot): boolean {
    let k = 0;
    let v = 0;
    const key = this.key;
    for (const vm of snapshot.vms) {
      if (this.names[v++] !== vm.name) return false;
      for (const t of vm.threads) {
        if (k + 3 > this.keyLen || key[k] !== vm.pid || key[k + 1] !== t.tid || key[k + 2] !== (t.role === 'vcpu' ? 1 : 0)) return false;
        k += 3;
      }
    }
    return k === this.keyLen && v === this.names.length;
  }

  private rememberThreads(snapshot: Snapshot): void {
    let n = 0;
    for (const vm of snapshot.vms) n += vm.threads.length;
    if (this.key.length < 3 * n) this.key = new Int32Array(3 * n);
    let k = 0;
    for (const vm of snapshot.vms) {
      for (const t of vm.threads) {
        this.key[k++] = vm.pid;
        this.key[k++] = t.tid;
        this.key[k++] = t.role === 'vcpu' ? 1 : 0;
      }
    }
    this.keyLen = k;
    this.names = snapshot.vms.map((vm) => vm.name);
  }

  close(): void {
    const st = this.reader.stats;
    if (st.drains > 0) {
      this.log(
        'info',
        `trace reader: ${st.drains} drains, longest ${st.maxDrainMs.toFixed(2)} ms, mean ${(st.drainMs / st.drains).toFixed(3)} ms; ` +
          `${st.pages} pages (${(st.bytes / 1048576).toFixed(1)} MiB) read`,
      );
    }
    this.reader.close();
    this.interruptsFile?.close();
    this.instance.close();
  }

  private otherTask(r: OtherRun, seen: Map<number, Resolved>): ExactOtherTask {
    let who = seen.get(r.tid);
    if (who === undefined) {
      const last = this.resolved.get(r.tid);
      // A tid seen last interval with the same name is the same task (a reused tid would have
      // exec'd or been named anew): no need to ask /proc again.
      // An empty comm: it arrived on the pCPU unseen and has not switched there since (its name
      // is in no record): /proc names it.
      who = last !== undefined && last.comm === r.comm && r.comm !== '' ? last : this.resolve(r.tid, r.comm);
      seen.set(r.tid, who);
    }
    const vm = who.pid === null ? null : (this.vmOfPid.get(who.pid) ?? null);
    return { pid: who.pid, tid: r.tid, comm: who.comm, ns: r.ns, switchIns: r.switchIns, kernel: who.kernel, vm };
  }

  /** Process id and kernel-thread flag of a task from /proc/TID/status; pid null once it has exited. */
  private resolve(tid: number, comm: string): Resolved {
    let text: string;
    try {
      text = readFileSync(`${this.procRoot}/${tid}/status`, 'latin1');
    } catch {
      return { comm, pid: null, kernel: false };
    }
    const tgid = /^Tgid:\s*(\d+)/m.exec(text);
    const name = comm === '' ? (/^Name:\t(.*)$/m.exec(text)?.[1] ?? '') : comm;
    const ppid = /^PPid:\s*(\d+)/m.exec(text);
    const kthread = /^Kthread:\s*(\d)/m.exec(text);
    const pid = tgid ? Number(tgid[1]) : null;
    // "Kthread:" is there since Linux 6.x; before, kernel threads are kthreadd (2) and its children.
    const kernel = kthread ? kthread[1] === '1' : pid === 2 || (ppid !== null && ppid[1] === '2');
    return { comm: name, pid, kernel };
  }

  private readInterrupts(): ReadonlyMap<number, readonly ExactIrqCount[]> {
    if (this.watched.length === 0) {
      // No pCPU to report on (none pinned, none isolated): the next one counts from its first read.
      this.prevInterrupts = null;
      return new Map();
    }
    const text = this.interruptsFile?.read() ?? null;
    if (text === null) return new Map();
    let cur: Interrupts;
    try {
      cur = parseInterrupts(text);
    } catch (err) {
      this.log('warn', `${this.procRoot}/interrupts could not be parsed: ${errorText(err)}`, 'interrupts');
      return new Map();
    }
    const prev = this.prevInterrupts;
    this.prevInterrupts = cur;
    return prev === null ? new Map() : interruptDeltas(prev, cur, this.watched);
  }
}

function describeSpan(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
