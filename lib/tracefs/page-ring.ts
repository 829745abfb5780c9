// The raw trace pages of a recent span, kept for an export (ftrace-text.ts): each page's used
// bytes (header and committed data, not the empty rest of the sub-buffer), with the times of its
// first and last events. Bounded twice: pages older than `spanNs` before the newest are dropped,
// and so are the oldest pages once `maxBytes` is reached. Pure: no clock, no I/O.

interface KeptPage {
  readonly cpu: number;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly bytes: Uint8Array;
}

export class PageRing {
  private pages: KeptPage[] = [];
  private head = 0; // index of the oldest kept page
  private bytesKept = 0;
  private newestNs = Number.NEGATIVE_INFINITY;
  /** Pages dropped for the byte bound while younger than the span: the span is then shorter. */
  droppedForBytes = 0;

  constructor(
    readonly spanNs: number,
    readonly maxBytes: number,
  ) {}

  /** Keeps a copy of `used` (the page's header and data). */
  add(cpu: number, firstNs: number, lastNs: number, used: Uint8Array): void {
    if (this.maxBytes <= 0 || this.spanNs <= 0) return;
    const copy = used.slice();
    this.pages.push({ cpu, firstNs, lastNs, bytes: copy });
    this.bytesKept += copy.byteLength;
    if (lastNs > this.newestNs) this.newestNs = lastNs;
    this.evict();
  }

  get bytes(): number {
    return this.bytesKept;
  }

  get size(): number {
    return this.pages.length - this.head;
  }

  /** The time span the kept pages cover: [oldest first event, newest last event], or null. */
  covered(): { readonly fromNs: number; readonly toNs: number } | null {
    if (this.size === 0) return null;
    let from = Number.POSITIVE_INFINITY;
    for (let i = this.head; i < this.pages.length; i++) from = Math.min(from, this.pages[i]?.firstNs ?? from);
    return { fromNs: from, toNs: this.newestNs };
  }

  /** Pages with events in [fromNs, toNs], per CPU in the order they were read. */
  select(fromNs: number, toNs: number): Map<number, Uint8Array[]> {
    const out = new Map<number, Uint8Array[]>();
    for (let i = this.head; i < this.pages.length; i++) {
      const p = this.pages[i];
      if (!p || p.lastNs < fromNs || p.firstNs > toNs) continue;
      let list = out.get(p.cpu);
      if (!list) out.set(p.cpu, (list = []));
      list.push(p.bytes);
    }
    return out;
  }

  private evict(): void {
    const oldest = this.newestNs - this.spanNs;
    while (this.head < this.pages.length) {
      const p = this.pages[this.head];
      if (!p) break;
      const tooOld = p.lastNs < oldest;
      const tooMany = this.bytesKept > this.maxBytes;
      if (!tooOld && !tooMany) break;
      if (!tooOld) this.droppedForBytes++;
      this.bytesKept -= p.bytes.byteLength;
      this.head++;
    }
    // Compact once the dropped prefix is large, so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.pages.length) {
      this.pages = this.pages.slice(this.head);
      this.head = 0;
    }
  }
}
