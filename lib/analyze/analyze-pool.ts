// Runs analyze() off the server's event loop: in worker threads with a time and a memory budget,
// so that no paste (40,000 threads, an alias bomb, CPU lists that expand to gigabytes) can stall
// ingest, pages or the read API. A worker over its budget is terminated and replaced; the paste
// gets a 400 that says so. Workers are kept between pastes (starting one costs ~100 ms).
import { Worker } from 'node:worker_threads';
import type { AnalyzeField, AnalyzeInput } from './analyze';
import type { WorkerReply, WorkerRequest } from './analyze-protocol';

export interface AnalyzePoolOptions {
  /** The worker's script: dist/analyze-worker.mjs, built from analyze-worker.ts. */
  readonly script: string;
  /** Pastes analysed at once; more get `busy` (the machine has few cores to spare). */
  readonly workers?: number;
  /** Wall time one paste may take, worker start included (ms). */
  readonly budgetMs?: number;
  /** V8 old-generation heap of a worker (MB): a paste that needs more is refused. */
  readonly maxHeapMb?: number;
}

/** Longest a worker may take to start before its paste's budget begins anyway (ms). */
const STARTUP_GRACE_MS = 2000;

export type AnalyzeOutcome =
  | { readonly kind: 'done'; readonly json: string }
  | { readonly kind: 'bad'; readonly error: string; readonly fields?: Partial<Record<AnalyzeField, string>> }
  | { readonly kind: 'busy' }
  | { readonly kind: 'failed'; readonly error: string };

interface Slot {
  worker: Worker | null;
  busy: boolean;
}

export class AnalyzePool {
  private readonly slots: Slot[];
  private readonly budgetMs: number;
  private readonly maxHeapMb: number;
  private nextId = 1;
  private readonly online = new WeakSet<Worker>();

  constructor(private readonly opts: AnalyzePoolOptions) {
    this.slots = Array.from({ length: opts.workers ?? 2 }, () => ({ worker: null, busy: false }));
    this.budgetMs = opts.budgetMs ?? 1500;
    this.maxHeapMb = opts.maxHeapMb ?? 384;
  }

  run(input: AnalyzeInput, now: number): Promise<AnalyzeOutcome> {
    const slot = this.slots.find((s) => !s.busy);
    if (slot === undefined) return Promise.resolve({ kind: 'busy' });
    slot.busy = true;
    const worker = (slot.worker ??= this.spawn(slot));
    const id = this.nextId++;
    return new Promise<AnalyzeOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: AnalyzeOutcome, keep: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (!keep) this.retire(slot, worker);
        slot.busy = false;
        resolve(outcome);
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        if (reply.ok) finish({ kind: 'done', json: reply.json }, true);
        else if (reply.bad) finish(reply.fields === undefined ? { kind: 'bad', error: reply.error } : { kind: 'bad', error: reply.error, fields: reply.fields }, true);
        else finish({ kind: 'failed', error: reply.error }, true);
      };
      const onError = (err: Error & { code?: string }): void => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          finish({ kind: 'bad', error: `the paste needs more than ${this.maxHeapMb} MB to analyse: paste less (fewer processes or shorter CPU lists)` }, false);
        } else {
          finish({ kind: 'failed', error: `analyze worker failed: ${err.message}` }, false);
        }
      };
      const onExit = (code: number): void => finish({ kind: 'failed', error: `analyze worker exited (code ${code})` }, false);
      const giveUp = (): void =>
        finish(
          { kind: 'bad', error: `the paste took longer than ${this.budgetMs} ms to analyse and was given up: paste less (fewer processes, threads or VMs)` },
          false,
        );
      // The budget is the paste's: a worker that is still starting gets it from when it is up.
      let timer = setTimeout(giveUp, this.budgetMs + STARTUP_GRACE_MS);
      const online = (): void => {
        clearTimeout(timer);
        timer = setTimeout(giveUp, this.budgetMs);
      };
      if (this.online.has(worker)) online();
      else worker.once('online', online);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const req: WorkerRequest = { id, input, now };
      worker.postMessage(req);
    });
  }

  /** Starts the first worker now, so that the first paste does not wait for it. */
  warm(): void {
    const slot = this.slots[0];
    if (slot !== undefined && slot.worker === null) slot.worker = this.spawn(slot);
  }

  /** Stops every worker (tests; a server exits with its workers anyway). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
    for (const s of this.slots) s.worker = null;
  }

  private spawn(slot: Slot): Worker {
    const w = new Worker(this.opts.script, {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    // An idle worker must not keep a test process (or a server that is shutting down) alive.
    w.unref();
    w.once('online', () => this.online.add(w));
    // A worker that dies while idle is replaced at the next paste.
    w.once('exit', () => {
      if (slot.worker === w) slot.worker = null;
    });
    w.on('error', () => {}); // reported to the running paste, if any, by its own listener
    return w;
  }

  private retire(slot: Slot, worker: Worker): void {
    if (slot.worker === worker) slot.worker = null;
    void worker.terminate();
  }
}
