// Reads every CPU's trace_pipe_raw of the agent's instance without blocking the sampling loop:
// non-blocking reads, on a timer and once more at each interval cut. Per CPU, the stats file says
// first whether anything waits (a read that finds nothing costs an EAGAIN exception, ~10 us, a
// stats read ~4 us) and how many events were lost; pages are then read until one comes back
// partly filled (the writer's page: the buffer is empty). The bytes go to the pure decoder
// (tracefs/page-decoder.ts) and the aggregator; the pages themselves to the raw page ring.
import { readSync } from 'node:fs';
import { lostTotal, parseCpuTraceStats } from '../tracefs/cpu-stats';
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
  busy: boolean; // the last drain read a whole page: skip the stats check next time
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
    for (const cpu of instance.cpus) {
      const pipe = instance.openPipe(cpu);
      const stats = instance.openStats(cpu);
      this.readers.push({ cpu, pipe, stats, stream: this.streamFor(cpu), lostSeen: -1, busy: false });
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

  private drainLogged(everyStats: boolean): void {
    try {
      this.drain(everyStats);
    } catch (err) {
      // A read error other than "nothing to read" is not expected from tracefs: say so once, and
      // keep going (the next drain tries again).
      if (!this.failed) this.log('error', `reading the trace failed: ${errorText(err)}`, 'trace-read');
      this.failed = true;
    }
  }

  /** Reads every CPU; `everyStats`: check the loss counters of busy CPUs too (at a cut). */
  private drain(everyStats: boolean): void {
    const t0 = performance.now();
    let watermark = Number.POSITIVE_INFINITY;
    for (const r of this.readers) {
      // Every event of this CPU up to now is readable: the watermark is the earliest such time.
      const now = this.nowNs();
      if (now < watermark) watermark = now;
      let waiting = true;
      if (!r.busy || everyStats) {
        const n = readSync(r.stats, this.statsBuf, 0, STATS_BYTES, 0);
        const s = parseCpuTraceStats(this.statsBuf.toString('latin1', 0, n));
        const lost = lostTotal(s);
        if (r.lostSeen >= 0 && lost > r.lostSeen) this.aggregator.addLost(r.cpu, lost - r.lostSeen);
        r.lostSeen = lost;
        waiting = s.entries > 0;
      }
      r.busy = waiting && this.readPages(r);
    }
    this.aggregator.settle(watermark);
    const ms = performance.now() - t0;
    this.stats.drains++;
    this.stats.drainMs += ms;
    if (ms > this.stats.maxDrainMs) this.stats.maxDrainMs = ms;
  }

  /** Reads pages until the buffer is empty; true when it read a full page (a busy CPU). */
  private readPages(r: CpuReader): boolean {
    const { page: header } = this.instance.layout;
    const capacity = this.page.length - header.dataOffset;
    let full = false;
    for (;;) {
      let n: number;
      try {
        n = readSync(r.pipe, this.page, 0, this.page.length, null);
      } catch (err) {
        if (err instanceof Error && 'code' in err && err.code === 'EAGAIN') return full;
        throw err;
      }
      if (n <= 0) return full;
      this.stats.pages++;
      this.stats.bytes += n;
      const used = this.usedBytes(n);
      try {
        r.stream.push(this.page.subarray(0, n));
      } catch (err) {
        this.log('error', `trace page of CPU ${r.cpu} could not be decoded, counted as lost: ${errorText(err)}`, `trace-page:${r.cpu}`);
        this.aggregator.page(r.cpu, this.aggregator.lastEventNs(r.cpu), -1);
        r.stream = this.streamFor(r.cpu);
        continue;
      }
      this.ring?.add(r.cpu, this.pageTime(), this.aggregator.lastEventNs(r.cpu), this.page.subarray(0, used));
      // A page with room left is the one the kernel was writing: nothing more to read now.
      if (used - header.dataOffset < capacity - 64) return full;
      full = true;
    }
  }

  /** Header plus committed data (plus a stored lost-event count) of the page just read. */
  private usedBytes(n: number): number {
    const { page } = this.instance.layout;
    const view = new DataView(this.page.buffer, this.page.byteOffset, n);
    const commit = view.getUint32(page.commitOffset + (page.commitSize === 8 && !this.instance.layout.littleEndian ? 4 : 0), this.instance.layout.littleEndian);
    const stored = (commit & 0x40000000) !== 0 ? page.commitSize : 0;
    return Math.min(n, page.dataOffset + (commit & 0x3fffffff) + stored);
  }

  /** The time stamp of the page just read, on the decoder's clock. */
  private pageTime(): number {
    const { page, littleEndian: le } = this.instance.layout;
    const view = new DataView(this.page.buffer, this.page.byteOffset + page.timestampOffset, 8);
    const lo = view.getUint32(le ? 0 : 4, le);
    const hi = view.getUint32(le ? 4 : 0, le);
    return (hi - this.baseHi) * 4294967296 + lo;
  }

  private streamFor(cpu: number): PageStream {
    return new PageStream(this.instance.layout, this.baseHi, this.records.sinkFor(cpu, this.aggregator));
  }
}
