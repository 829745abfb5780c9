// The raw trace pages of a recent span, kept for an export (ftrace-text.ts): each page's used
// bytes (header and committed data, not the empty rest of the sub-buffer), with the times of its
// first and last events. Bounded twice: pages older than `spanNs` before the newest are dropped,
// and so are the oldest pages once `maxBytes` is reached. The bytes live in one arena allocated
// once and written round (no allocation per page: at 20 MB/s a copy per page made the agent's
// garbage collector its biggest cost), the page list in typed arrays. Pure: no clock, no I/O.

export class PageRing {
  private arena: Uint8Array | null = null;
  private writeAt = 0; // next free byte of the arena
  // The kept pages, oldest first, as a circular list.
  private cap = 0;
  private head = 0;
  private count = 0;
  private cpu = new Int32Array(0);
  private offset = new Int32Array(0);
  private length = new Int32Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
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
    const n = used.byteLength;
    if (this.maxBytes <= 0 || this.spanNs <= 0 || n > this.maxBytes) return;
    this.arena ??= new Uint8Array(this.maxBytes);
    if (this.writeAt + n > this.maxBytes) {
      // Wrap. The pages still between here and the end are from the lap before: the oldest.
      while (this.count > 0 && (this.offset[this.head] ?? 0) >= this.writeAt) this.dropOldest(true);
      this.writeAt = 0;
    }
    // Make room: the oldest pages are the ones the write position reaches next.
    while (this.count > 0 && this.overlapsOldest(this.writeAt, n)) this.dropOldest(true);
    this.arena.set(used, this.writeAt);
    if (this.count === this.cap) this.grow();
    const i = (this.head + this.count) % this.cap;
    this.cpu[i] = cpu;
    this.offset[i] = this.writeAt;
    this.length[i] = n;
    this.first[i] = firstNs;
    this.last[i] = lastNs;
    this.count++;
    this.writeAt += n;
    this.bytesKept += n;
    if (lastNs > this.newestNs) this.newestNs = lastNs;
    const oldest = this.newestNs - this.spanNs;
    while (this.count > 0 && (this.last[this.head] ?? 0) < oldest) this.dropOldest(false);
  }

  get bytes(): number {
    return this.bytesKept;
  }

  get size(): number {
    return this.count;
  }

  /** The time span the kept pages cover: [oldest first event, newest last event], or null. */
  covered(): { readonly fromNs: number; readonly toNs: number } | null {
    if (this.count === 0) return null;
    let from = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.count; k++) from = Math.min(from, this.first[(this.head + k) % this.cap] ?? from);
    return { fromNs: from, toNs: this.newestNs };
  }

  /**
   * Pages with events in [fromNs, toNs], per CPU in the order they were read. The bytes are views
   * of the arena: use them before the next add.
   */
  select(fromNs: number, toNs: number): Map<number, Uint8Array[]> {
    const out = new Map<number, Uint8Array[]>();
    const arena = this.arena;
    if (arena === null) return out;
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.cap;
      if ((this.last[i] ?? 0) < fromNs || (this.first[i] ?? 0) > toNs) continue;
      const cpu = this.cpu[i] ?? 0;
      let list = out.get(cpu);
      if (!list) out.set(cpu, (list = []));
      const at = this.offset[i] ?? 0;
      list.push(arena.subarray(at, at + (this.length[i] ?? 0)));
    }
    return out;
  }

  private overlapsOldest(at: number, n: number): boolean {
    const o = this.offset[this.head] ?? 0;
    const len = this.length[this.head] ?? 0;
    return o < at + n && at < o + len;
  }

  private dropOldest(forBytes: boolean): void {
    if (forBytes && (this.last[this.head] ?? 0) >= this.newestNs - this.spanNs) this.droppedForBytes++;
    this.bytesKept -= this.length[this.head] ?? 0;
    this.head = (this.head + 1) % this.cap;
    this.count--;
  }

  private grow(): void {
    const cap = Math.max(256, this.cap * 2);
    const order = (a: Int32Array | Float64Array, b: Int32Array | Float64Array): void => {
      for (let k = 0; k < this.count; k++) b[k] = a[(this.head + k) % this.cap] ?? 0;
    };
    const cpu = new Int32Array(cap);
    const offset = new Int32Array(cap);
    const length = new Int32Array(cap);
    const first = new Float64Array(cap);
    const last = new Float64Array(cap);
    order(this.cpu, cpu);
    order(this.offset, offset);
    order(this.length, length);
    order(this.first, first);
    order(this.last, last);
    this.cpu = cpu;
    this.offset = offset;
    this.length = length;
    this.first = first;
    this.last = last;
    this.cap = cap;
    this.head = 0;
  }
}
