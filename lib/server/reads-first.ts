// Reads before ingest, in the front door (front-door.ts): pages and the read API share the one
// event loop with ingest, and Next answers a request over many turns of that loop, each of which
// also runs every ingest push that arrived meanwhile. Under hundreds of agents pushing at once a
// turn grew to hundreds of ms and a page took seconds, though each push alone was quick. So while
// a GET or HEAD of Next's is in flight, an arriving push is parked (nothing of it is read: its
// socket waits, its agent with it) and started once the reads are done, a few per turn of the
// loop; a push parked longer than the limit is started anyway, told how long it waited, and the
// ingest route sheds it as queueing (503 + Retry-After, lib/server/ingest-load.ts) when that is
// past VCPUMAP_SHED_QUEUE_MS. Only young reads count: a read older than READ_PRIORITY_MS (a slow
// download, a trace that waits for its agent's next push) does not hold ingest back.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A read in flight longer than this no longer parks ingest (ms). */
export const READ_PRIORITY_MS = 1000;
/** Parked pushes started per turn of the event loop once no read is in flight. */
const STARTS_PER_TURN = 4;

export type ParkedHandler = (req: IncomingMessage, res: ServerResponse, queuedMs: number) => Promise<void>;

interface Parked {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly t0: number;
  /** Runs the handler and settles the promise push() returned. */
  readonly run: (waited: number) => void;
  /** Settles that promise without running the handler: the client left while parked. */
  readonly drop: () => void;
}

export class ReadsFirst {
  private readonly reads = new Set<{ readonly t0: number }>();
  private readonly parked: Parked[] = [];
  private pump: ReturnType<typeof setImmediate> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** How long a push may stay parked before it is started anyway (ms). */
    private readonly maxParkMs: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get parkedCount(): number {
    return this.parked.length;
  }

  /** A read starts: call the returned function once when it is answered or its client left. */
  read(): () => void {
    const r = { t0: this.now() };
    this.reads.add(r);
    return () => {
      if (this.reads.delete(r)) this.schedule();
    };
  }

  /** A push arrives: started now when no young read is in flight and none is parked before it, else parked. */
  push(req: IncomingMessage, res: ServerResponse, run: ParkedHandler): Promise<void> {
    if (this.parked.length === 0 && !this.readsYoung()) return run(req, res, 0);
    return new Promise<void>((resolve, reject) => {
      this.parked.push({
        req,
        res,
        t0: this.now(),
        run: (waited) => void run(req, res, waited).then(resolve, reject),
        drop: resolve,
      });
      this.schedule();
    });
  }

  private readsYoung(): boolean {
    const now = this.now();
    for (const r of this.reads) if (now - r.t0 < READ_PRIORITY_MS) return true;
    return false;
  }

  private schedule(): void {
    if (this.parked.length === 0) return;
    if (!this.readsYoung()) {
      this.pump ??= setImmediate(() => this.release());
      return;
    }
    if (this.timer !== null) return;
    // Wake for the oldest push's limit, or for the oldest read to stop counting as young.
    const now = this.now();
    const first = this.parked[0];
    let wake = first ? first.t0 + this.maxParkMs() - now : READ_PRIORITY_MS;
    for (const r of this.reads) wake = Math.min(wake, r.t0 + READ_PRIORITY_MS - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.release();
    }, Math.max(1, Math.ceil(wake)));
  }

  private release(): void {
    this.pump = null;
    const now = this.now();
    const young = this.readsYoung();
    let started = 0;
    // Pushes past their limit go whatever the reads; the rest a few per turn once reads are done.
    while (this.parked.length > 0) {
      const p = this.parked[0];
      if (p === undefined) break;
      const waited = now - p.t0;
      if (young ? waited < this.maxParkMs() : started >= STARTS_PER_TURN) break;
      this.parked.shift();
      if (p.req.destroyed || p.res.writableEnded) {
        p.drop(); // its client left while parked
        continue;
      }
      started++;
      p.run(waited);
    }
    this.schedule();
  }
}
