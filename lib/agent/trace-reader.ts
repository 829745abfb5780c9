// Reads every CPU's trace_pipe_raw of the agent's instance without blocking the sampling loop:
// non-blocking reads, on a timer and at each interval cut. Per CPU, the stats file says first
// what waits (a read that finds nothing costs an EAGAIN exception, ~10 us; a stats read ~4 us)
// and how many events were lost. At a cut every CPU with events is read; between cuts a CPU is
// read only once a quarter of its buffer waits, its stats checked as often as its rate needs
// (each timer tick when busy; when quiet, often enough that a sudden burst of PLANNED_RATE cannot
// fill it): a read of the page the kernel is still writing copies the whole sub-buffer, and on a
// large host of quiet CPUs read ten times a second that would cost more than the events.
// Pages are read until the stats say nothing is left after a partly filled one: a partial page
// is either the rest of a page read before while the kernel was still writing it (full pages may
// follow) or the page it is writing now. The bytes go to the pure decoder
// (tracefs/page-decoder.ts) and the aggregator; the pages themselves to the raw page ring.
import { readSync } from 'node:fs';
import { lostTotal, parseCpuTraceStats, type CpuTraceStats } from '../tracefs/cpu-stats';
import { PageStream } from '../tracefs/page-decoder';
import type { PageRing } from '../tracefs/page-ring';
import { SchedAggregator, type SchedInterval, type TrackedThread } from '../tracefs/sched-aggregate';
import { SchedRecords } from '../tracefs/sched-records';
import { errorText, type Logger } from './log';
import type { TraceInstance } from './trace-instance';

interface CpuReader {
  readonly cpu: number;
  readonly pipe: number;
  readonly stats: number;
  stream: PageStream;
  lostSeen: number; // the stats' loss counters at the last read
  readNs: number; // every event of this CPU up to this time has been read (decoder clock)
  checkNs: number; // when its stats were read last
  bytesSeen: number; // bytes waiting at that check
  nextCheckNs: number; // when to look again between cuts
}

export interface TraceReaderStats {
  drains: number;
  pages: number;
  bytes: number;
  /** Longest single drain (ms): how long the event loop was held. */
  maxDrainMs: number;
  drainMs: number; // total
}

const STATS_BYTES = 512;
const TWO_32 = 4294967296n;
/** Between cuts a CPU is read once this share of its buffer waits. */
const READ_FILL = 0.25;
/**
 * The fastest a CPU's events fill its buffer that the checks plan for (bytes/s): 50,000 task
 * switches and as many wake-ups a second on one CPU write about 5.4 MB/s.
 */
const PLANNED_RATE = 6e6;

export class TraceReader {
  readonly aggregator: SchedAggregator;
  readonly stats: TraceReaderStats = { drains: 0, pages: 0, bytes: 0, maxDrainMs: 0, drainMs: 0 };
  /** The trace clock (CLOCK_MONOTONIC) minus baseHi * 2^32 is the decoder's time. */
  readonly baseHi: number;
  private readonly readers: CpuReader[] = [];
  private readonly page: Uint8Array;
  private readonly statsBuf = Buffer.alloc(STATS_BYTES);
  private readonly records: SchedRecords;
  private timer: NodeJS.Timeout | null = null;
  private everyNs = 100e6;
  private readonly bufferBytes: number;
  /** A quiet CPU is checked at least this often (ns), so a sudden burst cannot fill its buffer. */
  private readonly maxCheckNs: number;
  private readonly pageView: DataView;
  private failed = false;

  constructor(
    private readonly instance: TraceInstance,
    private readonly ring: PageRing | null,
    private readonly log: Logger,
  ) {
    this.baseHi = Number(process.hrtime.bigint() / TWO_32);
    this.records = new SchedRecords(instance.formats, instance.layout.littleEndian);
    const maxCpu = Math.max(0, ...instance.cpus);
    this.aggregator = new SchedAggregator(maxCpu + 1, this.nowNs(), { prev: this.records.prevComm, next: this.records.nextComm, littleEndian: instance.layout.littleEndian });
    this.page = new Uint8Array(instance.layout.pageSize);
    this.pageView = new DataView(this.page.buffer);
    this.bufferBytes = instance.bufferKbPerCpu * 1024;
    this.maxCheckNs = Math.min(1e9, Math.max(100e6, ((0.6 * this.bufferBytes) / PLANNED_RATE) * 1e9));
    for (const cpu of instance.cpus) {
      const pipe = instance.openPipe(cpu);
      const stats = instance.openStats(cpu);
      this.readers.push({ cpu, pipe, stats, stream: this.streamFor(cpu), lostSeen: -1, readNs: 0, checkNs: 0, bytesSeen: 0, nextCheckNs: 0 });
    }
    this.drain(true); // the losses counted so far are the baseline
  }

  /** Now on the decoder's clock (ns). */
  nowNs(): number {
    return Number(process.hrtime.bigint() - BigInt(this.baseHi) * TWO_32);
  }

  /** Drains every `everyMs` until close. The timer does not keep the process alive. */
  start(everyMs: number): void {
    if (this.timer !== null) return;
    this.everyNs = everyMs * 1e6;
    this.timer = setInterval(() => this.drainLogged(false), everyMs);
    this.timer.unref();
  }

  /** The threads to follow and the pCPUs whose other tasks to keep, from now on. */
  follow(threads: readonly TrackedThread[], watchedCpus: readonly number[]): void {
    this.aggregator.track(threads);
    this.aggregator.watch(watchedCpus);
  }

  /** Reads everything the kernel has, then closes the interval at this moment. */
  cut(): SchedInterval {
    this.drainLogged(true);
    return this.aggregator.cut(this.nowNs());
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private drainLogged(all: boolean): void {
    try {
      this.drain(all);
    } catch (err) {
      // A read error other than "nothing to read" is not expected from tracefs: say so once, and
      // keep going (the next drain tries again).
      if (!this.failed) this.log('error', `reading the trace failed: ${errorText(err)}`, 'trace-read');
      this.failed = true;
    }
  }

  /** At a cut (`all`), reads every CPU; between cuts, the CPUs that are due (see the file comment). */
  private drain(all: boolean): void {
    const t0 = performance.now();
    let watermark = Number.POSITIVE_INFINITY;
    for (const r of this.readers) {
      const now = this.nowNs();
      if (all || now >= r.nextCheckNs) this.check(r, now, all);
      // Every event of this CPU up to readNs has been read: the watermark is the earliest such time.
      if (r.readNs < watermark) watermark = r.readNs;
    }
    this.aggregator.settle(watermark);
    const ms = performance.now() - t0;
    this.stats.drains++;
    this.stats.drainMs += ms;
    if (ms > this.stats.maxDrainMs) this.stats.maxDrainMs = ms;
  }

  private check(r: CpuReader, now: number, all: boolean): void {
    const s = this.readStats(r);
    const rate = r.checkNs > 0 && now > r.checkNs ? Math.max(0, s.bytes - r.bytesSeen) / (now - r.checkNs) : 0; // bytes per ns
    let waiting = s.bytes;
    if (s.entries === 0) {
      waiting = 0;
      r.readNs = now;
    } else if (all || s.bytes >= READ_FILL * this.bufferBytes) {
      this.readPages(r);
      waiting = 0;
      r.readNs = now;
    }
    r.checkNs = now;
    r.bytesSeen = waiting;
    // Look again about when a quarter of the buffer will wait, never sooner than the timer.
    const until = rate > 0 ? (READ_FILL * this.bufferBytes - waiting) / rate : this.maxCheckNs;
    r.nextCheckNs = now + Math.max(0, Math.min(this.maxCheckNs, until) - this.everyNs / 2);
  }

  /** The CPU's stats, its new losses counted. */
  private readStats(r: CpuReader): CpuTraceStats {
    const n = readSync(r.stats, this.statsBuf, 0, STATS_BYTES, 0);
    const s = parseCpuTraceStats(this.statsBuf.toString('latin1', 0, n));
    const lost = lostTotal(s);
    if (r.lostSeen >= 0 && lost > r.lostSeen) this.aggregator.addLost(r.cpu, lost - r.lostSeen);
    r.lostSeen = lost;
    return s;
  }

  /** Reads pages until the buffer is empty (or, on a CPU writing as fast as it is read, a buffer's worth). */
  private readPages(r: CpuReader): void {
    const { page: header } = this.instance.layout;
    const capacity = this.page.length - header.dataOffset;
    const most = Math.ceil(this.bufferBytes / this.page.length) + 8;
    for (let reads = 0; reads < most; reads++) {
      let n: number;
      try {
        n = readSync(r.pipe, this.page, 0, this.page.length, null);
      } catch (err) {
        if (err instanceof Error && 'code' in err && err.code === 'EAGAIN') return;
        throw err;
      }
      if (n <= 0) return;
      this.stats.pages++;
      this.stats.bytes += n;
      const used = this.usedBytes(n);
      try {
        r.stream.push(this.page.subarray(0, n));
      } catch (err) {
        this.log('error', `trace page of CPU ${r.cpu} could not be decoded, counted as lost: ${errorText(err)}`, `trace-page:${r.cpu}`);
        this.aggregator.time[0] = this.aggregator.lastEventNs(r.cpu);
        this.aggregator.page(r.cpu, -1);
        r.stream = this.streamFor(r.cpu);
        continue;
      }
      this.ring?.add(r.cpu, this.pageTime(), this.aggregator.lastEventNs(r.cpu), this.page.subarray(0, used));
      // A partial page may be followed by full ones (see the file comment): the stats say whether
      // anything is left, at a fraction of the cost of a read that fails with EAGAIN.
      if (used - header.dataOffset < capacity - 64 && this.readStats(r).entries === 0) return;
    }
  }

  /** Header plus committed data (plus a stored lost-event count) of the page just read. */
  private usedBytes(n: number): number {
    const { page } = this.instance.layout;
    const view = this.pageView;
    const commit = view.getUint32(page.commitOffset + (page.commitSize === 8 && !this.instance.layout.littleEndian ? 4 : 0), this.instance.layout.littleEndian);
    const stored = (commit & 0x40000000) !== 0 ? page.commitSize : 0;
    return Math.min(n, page.dataOffset + (commit & 0x3fffffff) + stored);
  }

  /** The time stamp of the page just read, on the decoder's clock. */
  private pageTime(): number {
    const { page, littleEndian: le } = this.instance.layout;
    const at = page.timestampOffset;
    const lo = this.pageView.getUint32(at + (le ? 0 : 4), le);
    const hi = this.pageView.getUint32(at + (le ? 4 : 0), le);
    return (hi - this.baseHi) * 4294967296 + lo;
  }

  private streamFor(cpu: number): PageStream {
    return new PageStream(this.instance.layout, this.baseHi, this.records.sinkFor(cpu, this.aggregator));
  }
}
