// Decoder of the binary ring-buffer pages that per_cpu/cpuN/trace_pipe_raw returns: bytes in,
// records out, whatever way the bytes were split (STYLE 3, like pg-protocol's parser). Pure: no
// I/O, no clock. The layout comes from header_page and header_event (format.ts); the decoder
// reads records in place through a DataView and hands each event's offset to the sink, so the
// hot path allocates nothing per event.
//
// A page: [timestamp u64][commit long][data...]. The commit word holds the length of the data
// and two flags (kernel ABI, not described by header_page): bit 31 "events were lost before this
// page", bit 30 "and their count is stored as a long right after the data". A record is a 32-bit
// header (type_len, time_delta), then:
//   type_len 1..dataMax  data of type_len * 4 bytes
//   type_len 0           array[0] = data length + 4, then the data
//   padding              time_delta 0: the rest of the page is empty; else array[0] bytes skipped
//   time_extend          array[0] << time_delta bits + time_delta added to the running time
//   time_stamp           array[0] << time_delta bits + time_delta is the absolute time
import type { PageHeader, RecordHeader } from './format';

export interface PageLayout {
  readonly page: PageHeader;
  readonly record: RecordHeader;
  /** Bytes per page as trace_pipe_raw returns them: buffer_subbuf_size_kb, else header_page's. */
  readonly pageSize: number;
  readonly littleEndian: boolean;
}

export interface RecordSink {
  /**
   * [0]: the time (ns, relative to the decoder's base) of the page or record of the next call.
   * A time is handed over here rather than as an argument: a double passed to a call that is not
   * inlined is boxed, which would be one allocation per event.
   */
  readonly time: Float64Array;
  /**
   * A page begins (its time in time[0]); `lost` counts the events lost just before it: 0 none,
   * n > 0 that many, -1 some (the kernel had no room to store the count).
   */
  page(lost: number): void;
  /** One event: its data (common_type first) is `len` bytes at offset `at` of `view`. */
  event(view: DataView, at: number, len: number): void;
}

const MISSED_EVENTS = 0x80000000;
const MISSED_STORED = 0x40000000;
const LENGTH_MASK = 0x3fffffff;
const TWO_32 = 4294967296;

export class PageFormatError extends Error {
  constructor(message: string) {
    super(`trace page: ${message}`);
    this.name = 'PageFormatError';
  }
}

/**
 * Decodes the complete page at `at` of `view`; timestamps are ns relative to `baseHi` * 2^32 of
 * the trace clock (so they stay exact doubles on hosts up for years). Returns the event count.
 */
export function decodePage(layout: PageLayout, view: DataView, at: number, baseHi: number, sink: RecordSink): number {
  const { page, record, littleEndian: le } = layout;
  // A kept page may have been cut after its data (page-ring.ts): only the data must be there.
  const end0 = Math.min(at + layout.pageSize, view.byteLength);
  if (end0 - at < layout.page.dataOffset) throw new PageFormatError(`page at ${at} is shorter than its header`);
  let ts = u64Relative(view, at + page.timestampOffset, le, baseHi);
  const commitWord = page.commitSize === 8 && !le ? view.getUint32(at + page.commitOffset + 4, false) : view.getUint32(at + page.commitOffset, le);
  const dataAt = at + page.dataOffset;
  const length = commitWord & LENGTH_MASK;
  if (dataAt + length > end0) throw new PageFormatError(`commit length ${length} exceeds the page's ${end0 - dataAt} data bytes`);
  let lost = 0;
  if ((commitWord & MISSED_EVENTS) !== 0) {
    lost = -1;
    if ((commitWord & MISSED_STORED) !== 0 && dataAt + length + page.commitSize <= end0) {
      lost = page.commitSize === 8 ? Number(u64Relative(view, dataAt + length, le, 0)) : view.getUint32(dataAt + length, le);
    }
  }
  const clock = sink.time;
  clock[0] = ts;
  sink.page(lost);

  const typeBits = record.typeLenBits;
  const deltaBits = record.timeDeltaBits;
  const typeMask = (1 << typeBits) - 1;
  const deltaMask = 2 ** deltaBits - 1; // deltaBits <= 31: parseHeaderEvent checks the widths add up to 32
  const extendScale = 2 ** deltaBits;
  const { padding, timeExtend, timeStamp, dataMaxTypeLen } = record;
  const end = dataAt + length;
  let p = dataAt;
  let events = 0;
  while (p + 4 <= end) {
    const h = view.getUint32(p, le);
    // The bitfield `u32 type_len:5, time_delta:27` starts at the low bits on little-endian.
    const typeLen = le ? h & typeMask : h >>> deltaBits;
    const delta = le ? h >>> typeBits : (h & deltaMask) >>> 0;
    if (typeLen === padding) {
      if (delta === 0) break; // the rest of the page is padding
      if (p + 8 > end) break;
      // A discarded event: array[0] is its length; its delta is not added (as the kernel's own
      // reader, rb_update_read_stamp, does).
      p += 4 + view.getUint32(p + 4, le);
      continue;
    }
    if (typeLen === timeExtend) {
      if (p + 8 > end) throw new PageFormatError(`time extend cut off at ${p - at}`);
      ts += view.getUint32(p + 4, le) * extendScale + delta;
      p += 8;
      continue;
    }
    if (typeLen === timeStamp) {
      if (p + 8 > end) throw new PageFormatError(`time stamp cut off at ${p - at}`);
      ts = view.getUint32(p + 4, le) * extendScale + delta - baseHi * TWO_32;
      p += 8;
      continue;
    }
    let dataStart: number;
    let dataLen: number;
    let next: number;
    if (typeLen === 0) {
      if (p + 8 > end) throw new PageFormatError(`record length cut off at ${p - at}`);
      const lengthWord = view.getUint32(p + 4, le);
      if (lengthWord < 4) throw new PageFormatError(`record of length ${lengthWord} at ${p - at}`);
      dataStart = p + 8;
      dataLen = lengthWord - 4;
      next = dataStart + ((dataLen + 3) & ~3);
    } else if (typeLen <= dataMaxTypeLen) {
      dataStart = p + 4;
      dataLen = typeLen * 4;
      next = dataStart + dataLen;
    } else {
      throw new PageFormatError(`unknown record type ${typeLen} at ${p - at}`);
    }
    if (dataStart + dataLen > end) throw new PageFormatError(`record of ${dataLen} bytes at ${p - at} runs past the commit length ${length}`);
    ts += delta;
    clock[0] = ts;
    sink.event(view, dataStart, dataLen);
    events++;
    p = next;
  }
  return events;
}

/** An unsigned 64-bit value minus baseHi * 2^32, as a double. */
function u64Relative(view: DataView, at: number, le: boolean, baseHi: number): number {
  const lo = view.getUint32(le ? at : at + 4, le);
  const hi = view.getUint32(le ? at + 4 : at, le);
  return (hi - baseHi) * TWO_32 + lo;
}

/**
 * Pages from a byte stream split anywhere: whole pages are decoded in place, a partial page is
 * kept (copied) until the rest arrives.
 */
export class PageStream {
  private readonly pending: Uint8Array;
  private readonly pendingView: DataView;
  private pendingLen = 0;
  private lastChunk: Uint8Array | null = null;
  private lastView: DataView | null = null;
  /** Event records decoded so far. */
  events = 0;
  pages = 0;

  constructor(
    private readonly layout: PageLayout,
    private readonly baseHi: number,
    private readonly sink: RecordSink,
  ) {
    this.pending = new Uint8Array(layout.pageSize);
    this.pendingView = new DataView(this.pending.buffer);
  }

  /** Bytes of a page still waiting for the rest of it. */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  push(chunk: Uint8Array): void {
    const size = this.layout.pageSize;
    let off = 0;
    if (this.pendingLen > 0) {
      const take = Math.min(size - this.pendingLen, chunk.length);
      this.pending.set(chunk.subarray(0, take), this.pendingLen);
      this.pendingLen += take;
      off = take;
      if (this.pendingLen < size) return;
      this.pendingLen = 0;
      this.decode(this.pendingView, 0);
    }
    if (chunk.length - off >= size) {
      const view = this.viewOf(chunk);
      while (chunk.length - off >= size) {
        this.decode(view, off);
        off += size;
      }
    }
    if (off < chunk.length) {
      this.pending.set(chunk.subarray(off), 0);
      this.pendingLen = chunk.length - off;
    }
  }

  private decode(view: DataView, at: number): void {
    this.events += decodePage(this.layout, view, at, this.baseHi, this.sink);
    this.pages++;
  }

  // The reader pushes the same buffer read after read: keep its view.
  private viewOf(chunk: Uint8Array): DataView {
    if (this.lastChunk !== null && this.lastView !== null && this.lastChunk.buffer === chunk.buffer && this.lastChunk.byteOffset === chunk.byteOffset && this.lastChunk.byteLength === chunk.byteLength) {
      return this.lastView;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.lastChunk = chunk;
    this.lastView = view;
    return view;
  }
}
