// The pusher's queue in memory, for agents without a spool (--spool none, --once): bounded in
// frames and in bytes of JSON, structures included, the oldest dropped first.
import type { FrameQueue, QueuedFrame } from './frame-queue';

export class MemoryQueue implements FrameQueue {
  private readonly frames: QueuedFrame[] = []; // oldest first
  private size = 0; // frames' JSON plus the structures they name
  /** Structures named by queued frames: JSON and how many frames name it. */
  private readonly structures = new Map<string, { json: string; refs: number }>();

  constructor(
    private readonly maxFrames = 3600,
    private readonly maxBytes = 128 * 1024 * 1024,
  ) {}

  get length(): number {
    return this.frames.length;
  }

  get bytes(): number {
    return this.size;
  }

  push(frame: QueuedFrame, structureJson: string | null): number {
    this.frames.push(frame);
    this.size += frame.json.length;
    if (frame.structure !== null) {
      const held = this.structures.get(frame.structure);
      if (held) held.refs++;
      else {
        const json = structureJson ?? '';
        this.structures.set(frame.structure, { json, refs: 1 });
        this.size += json.length;
      }
    }
    let dropped = 0;
    while (this.frames.length > this.maxFrames || this.size > this.maxBytes) {
      if (this.frames.length <= 1) break;
      this.take(1);
      dropped++;
    }
    return dropped;
  }

  peek(count: number): readonly QueuedFrame[] {
    return this.frames.slice(0, count);
  }

  take(count: number): void {
    for (const f of this.frames.splice(0, count)) {
      this.size -= f.json.length;
      if (f.structure === null) continue;
      const held = this.structures.get(f.structure);
      if (held && --held.refs <= 0) {
        this.structures.delete(f.structure);
        this.size -= held.json.length;
      }
    }
  }

  structure(hash: string): string | undefined {
    return this.structures.get(hash)?.json;
  }

  close(): void {}
}
