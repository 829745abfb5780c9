// Load shedding for ingest: when ingest queues up, new pushes get 503 + Retry-After (the agent
// backs off by it and keeps its frames) instead of waiting, so that pages and the read API, which
// share the one event loop, stay fast. Queueing is measured in time, not only counted:
// - the event loop's delay over the last 100 ms (every request waits that long to be looked at);
// - the shortest ingest of the last 100 ms (CoDel's "standing queue": when even the quickest
//   push took long, they all wait, e.g. behind a slow disk);
// - how long this push itself waited before it was looked at (parked behind reads by the front
//   door, lib/server/reads-first.ts);
// - and the number of ingests in flight, as before (VCPUMAP_MAX_INGEST_IN_FLIGHT).
const PROBE_MS = 10;

export interface IngestLoadOptions {
  readonly maxInFlight: number;
  /** Shed while the event loop was delayed more than this in the last window (ms). */
  readonly maxLagMs: number;
  /** Shed while the quickest ingest of the last window took more than this (ms). */
  readonly maxQueueMs: number;
  /** The window both are measured over (ms). */
  readonly windowMs?: number;
  /** Event-loop delay source, replaced in tests. */
  readonly lag?: () => number;
}

export type Admission =
  | { readonly ok: true; readonly done: () => void }
  | { readonly ok: false; readonly reason: string; readonly retryAfterS: number };

export class IngestLoad {
  inFlight = 0;
  shed = 0; // requests refused, since start
  /** Event-loop delay of the last complete window (ms). */
  lagMs = 0;
  private previousLagMs = 0;
  private quickestMs = Infinity; // of the window being measured
  /** The quickest ingest of the last complete window (ms): how long even the luckiest waited. */
  queueMs = 0;
  private maxGapMs = 0; // longest gap between two ticks of the probe in this window
  private lastTick = performance.now();
  private readonly probe: ReturnType<typeof setInterval> | null;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly opts: IngestLoadOptions) {
    // A 10 ms timer: how late it fires is how long everything else waited to be looked at.
    this.probe =
      opts.lag === undefined
        ? setInterval(() => {
            const now = performance.now();
            this.maxGapMs = Math.max(this.maxGapMs, now - this.lastTick - PROBE_MS);
            this.lastTick = now;
          }, PROBE_MS)
        : null;
    this.probe?.unref();
    this.timer = setInterval(() => this.roll(), opts.windowMs ?? 100);
    this.timer.unref();
  }

  /**
   * Call when an ingest request arrives (after its token is checked), with how long it already
   * waited to be looked at (ms); call `done` when it is answered.
   */
  admit(queuedMs = 0): Admission {
    const refuse = (reason: string): Admission => {
      this.shed++;
      // 1 to 3 s, so that hundreds of agents refused together do not come back together.
      return { ok: false, reason, retryAfterS: 1 + Math.floor(Math.random() * 3) };
    };
    if (this.inFlight >= this.opts.maxInFlight) return refuse('too many ingest requests in flight');
    if (queuedMs > this.opts.maxQueueMs) return refuse(`this push waited ${Math.round(queuedMs)} ms behind pages and reads`);
    // Two windows in a row: a garbage collection or one slow page is not a queue.
    if (Math.min(this.lagMs, this.previousLagMs) > this.opts.maxLagMs) return refuse(`the server is behind by ${Math.round(this.lagMs)} ms`);
    if (this.queueMs > this.opts.maxQueueMs) return refuse(`ingest requests wait ${Math.round(this.queueMs)} ms`);
    this.inFlight++;
    const t0 = performance.now();
    let finished = false;
    return {
      ok: true,
      done: () => {
        if (finished) return;
        finished = true;
        this.inFlight--;
        this.quickestMs = Math.min(this.quickestMs, performance.now() - t0);
      },
    };
  }

  close(): void {
    clearInterval(this.timer);
    if (this.probe !== null) clearInterval(this.probe);
  }

  private roll(): void {
    this.previousLagMs = this.lagMs;
    if (this.opts.lag !== undefined) this.lagMs = this.opts.lag();
    else {
      // Include the gap still open now: a loop blocked for the whole window has no tick in it.
      this.lagMs = Math.max(0, this.maxGapMs, performance.now() - this.lastTick - PROBE_MS);
      this.maxGapMs = 0;
    }
    // A window without any finished ingest says nothing about the queue: keep the last verdict
    // only while ingests are still in flight (they are the queue), else clear it.
    this.queueMs = Number.isFinite(this.quickestMs) ? this.quickestMs : this.inFlight > 0 ? this.queueMs : 0;
    this.quickestMs = Infinity;
  }
}
