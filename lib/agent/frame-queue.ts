// What the pusher sends from: frames the server has not stored yet, oldest first, in memory
// (memory-queue.ts) or on disk (spool.ts).

export interface QueuedFrame {
  readonly json: string; // a compact tick, or a full snapshot
  readonly structure: string | null; // the hash a tick names
}

/** The pusher's queue of frames not yet stored by the server (memory-queue.ts or the Spool). */
export interface FrameQueue {
  readonly length: number;
  /** Adds a frame (with its structure's JSON when it names one); returns how many oldest frames were dropped to make room. */
  push(frame: QueuedFrame, structureJson: string | null): number;
  /** The oldest `count` frames. */
  peek(count: number): readonly QueuedFrame[];
  /** Removes the oldest `count` frames: the server stored them (or refused them for good). */
  take(count: number): void;
  /** JSON of a structure that queued frames name. */
  structure(hash: string): string | undefined;
  /** Bytes the queue holds (for the log). */
  readonly bytes: number;
  close(): void;
}
