// The agent's disk spool: every frame is appended here before it is sent, and leaves only once
// the server has stored it, so frames survive an agent restart, a crash and a host reboot. Sent
// oldest first, at least once (after a crash the frames sent but not yet marked stored go again;
// the server keeps one frame per host and `at`).
//
// Layout of DIR: segment files `<seq>.seg` of records (spool-records.ts; each segment holds the
// structures its frames name, so dropping an old segment never orphans a frame), `ack` (how many
// frames of the oldest segment the server has stored; written by rename, so whole or not at all)
// and `lock` (the process using the spool). Bounded in bytes: when full, the oldest segment goes.
// Written with one write() per record and fdatasync()ed at most `syncEveryMs` after a write, so a
// power cut loses at most that much; a SIGKILL loses nothing that was appended.
import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { FrameQueue, QueuedFrame } from './frame-queue';
import { decodeRecords, encodeRecord, frameJsonOf } from './spool-records';

export interface SpoolOptions {
  readonly dir: string;
  /** Bytes of segment files at most; the oldest segment is dropped to stay within. */
  readonly maxBytes: number;
  /** A segment is closed and a new one begun past this size (default maxBytes / 16, 64 KiB to 8 MiB). */
  readonly segmentBytes?: number;
  /** Longest time an appended frame waits for fdatasync (ms). */
  readonly syncEveryMs?: number;
}

interface FrameRef {
  readonly offset: number;
  readonly length: number;
  readonly structure: string | null;
}

interface Segment {
  readonly seq: number;
  readonly file: string;
  bytes: number;
  readonly frames: FrameRef[];
  acked: number; // frames at the front stored by the server
  readonly structures: Set<string>; // hashes written into this segment
}

const SEG = /^(\d{16})\.seg$/;

export class Spool implements FrameQueue {
  private readonly segments: Segment[] = []; // oldest first; the last one is written to
  private readonly structures = new Map<string, string>(); // hash -> JSON, of every segment
  private fd: number | null = null; // of the last segment
  private total = 0; // bytes of all segments
  private count = 0; // frames not acked
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly segmentBytes: number;
  private readonly syncEveryMs: number;
  /** Frames found in the spool when it was opened (left by an earlier run). */
  readonly recovered: number;
  /** Bytes cut off torn records when it was opened. */
  readonly repairedBytes: number;

  private constructor(private readonly opts: SpoolOptions) {
    this.segmentBytes = opts.segmentBytes ?? Math.min(8 << 20, Math.max(64 << 10, Math.floor(opts.maxBytes / 16)));
    this.syncEveryMs = opts.syncEveryMs ?? 1000;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    takeLock(opts.dir);
    try {
      this.repairedBytes = this.load();
    } catch (err) {
      releaseLock(opts.dir);
      throw err;
    }
    this.recovered = this.count;
  }

  /** Opens (or creates) the spool in `dir`; throws when another live process holds it. */
  static open(opts: SpoolOptions): Spool {
    return new Spool(opts);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.total;
  }

  push(frame: QueuedFrame, structureJson: string | null): number {
    let seg = this.segments[this.segments.length - 1];
    const needStructure = (s: Segment | undefined): boolean => frame.structure !== null && !(s?.structures.has(frame.structure) ?? false);
    const estimate = frame.json.length * 3 + (structureJson?.length ?? 0) * 3 + 96;
    if (seg === undefined || (seg.bytes > 0 && seg.bytes + estimate > this.segmentBytes)) seg = this.newSegment();
    const parts: Buffer[] = [];
    if (needStructure(seg) && frame.structure !== null) {
      const json = structureJson ?? this.structures.get(frame.structure);
      if (json === undefined) throw new Error(`spool: frame names structure ${frame.structure.slice(0, 12)}… but no JSON was given for it`);
      parts.push(encodeRecord({ kind: 'structure', hash: frame.structure, json }));
      this.structures.set(frame.structure, json);
    }
    const record = encodeRecord({ kind: 'frame', structure: frame.structure, json: frame.json });
    parts.push(record);
    const buf = parts.length === 1 ? record : Buffer.concat(parts);
    const dropped = this.makeRoom(buf.byteLength, seg);
    writeAll(this.fd ?? this.openLast(seg), buf, seg.bytes);
    if (frame.structure !== null) seg.structures.add(frame.structure);
    seg.frames.push({ offset: seg.bytes + buf.byteLength - record.byteLength, length: record.byteLength, structure: frame.structure });
    seg.bytes += buf.byteLength;
    this.total += buf.byteLength;
    this.count++;
    this.scheduleSync();
    return dropped;
  }

  peek(count: number): readonly QueuedFrame[] {
    const out: QueuedFrame[] = [];
    for (const seg of this.segments) {
      if (out.length >= count) break;
      const refs = seg.frames.slice(seg.acked, seg.acked + (count - out.length));
      const first = refs[0];
      const last = refs[refs.length - 1];
      if (first === undefined || last === undefined) continue;
      // One read for the run of records, then cut it up.
      const span = Buffer.allocUnsafe(last.offset + last.length - first.offset);
      const fd = openSync(seg.file, 'r');
      try {
        readFull(fd, span, first.offset);
      } finally {
        closeSync(fd);
      }
      for (const r of refs) {
        out.push({ json: frameJsonOf(span.subarray(r.offset - first.offset, r.offset - first.offset + r.length)), structure: r.structure });
      }
    }
    return out;
  }

  take(count: number): void {
    let left = count;
    while (left > 0) {
      const seg = this.segments[0];
      if (seg === undefined) break;
      const n = Math.min(left, seg.frames.length - seg.acked);
      seg.acked += n;
      this.count -= n;
      left -= n;
      if (seg.acked < seg.frames.length) break;
      // A fully stored segment goes, unless it is the one being written (it is emptied instead).
      if (this.segments.length === 1) {
        this.resetLast(seg);
        break;
      }
      this.removeOldest();
    }
    this.writeAck();
  }

  structure(hash: string): string | undefined {
    return this.structures.get(hash);
  }

  /** Syncs what was written and releases the spool; an empty spool leaves no segment behind. */
  close(): void {
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
    if (this.count === 0) {
      for (const s of this.segments) rmSync(s.file, { force: true });
      rmSync(path.join(this.opts.dir, 'ack'), { force: true });
    }
    releaseLock(this.opts.dir);
  }

  /** Reads every segment, cuts torn records off, applies the ack file; returns the bytes cut. */
  private load(): number {
    const seqs = readdirSync(this.opts.dir)
      .flatMap((f) => {
        const m = SEG.exec(f);
        return m?.[1] === undefined ? [] : [Number(m[1])];
      })
      .sort((a, b) => a - b);
    let repaired = 0;
    for (const seq of seqs) {
      const file = this.segmentFile(seq);
      const buf = readFileSync(file);
      const { records, intact } = decodeRecords(buf);
      if (intact < buf.byteLength) {
        // A torn last record (the process died inside write(), or the disk lost the tail).
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, intact);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        repaired += buf.byteLength - intact;
      }
      const seg: Segment = { seq, file, bytes: intact, frames: [], acked: 0, structures: new Set() };
      for (const d of records) {
        if (d.record.kind === 'structure') {
          seg.structures.add(d.record.hash);
          this.structures.set(d.record.hash, d.record.json);
        } else {
          seg.frames.push({ offset: d.offset, length: d.length, structure: d.record.structure });
        }
      }
      this.segments.push(seg);
      this.total += seg.bytes;
      this.count += seg.frames.length;
    }
    const ack = readAck(this.opts.dir);
    const oldest = this.segments[0];
    if (ack !== null && oldest !== undefined) {
      // Segments older than the acknowledged one were stored whole (their deletion was cut short).
      while (this.segments.length > 1 && (this.segments[0]?.seq ?? Infinity) < ack.seq) this.removeOldest();
      const first = this.segments[0];
      if (first !== undefined && first.seq === ack.seq) {
        const n = Math.min(ack.frames, first.frames.length);
        first.acked = n;
        this.count -= n;
      }
    }
    return repaired;
  }

  /** Drops oldest segments until `bytes` more fit; returns the frames dropped that were not stored. */
  private makeRoom(bytes: number, current: Segment): number {
    let dropped = 0;
    while (this.total + bytes > this.opts.maxBytes && this.segments.length > 1 && this.segments[0] !== current) {
      const seg = this.segments[0];
      if (seg === undefined) break;
      dropped += seg.frames.length - seg.acked;
      this.count -= seg.frames.length - seg.acked;
      this.removeOldest();
    }
    if (dropped > 0) this.writeAck();
    return dropped;
  }

  private newSegment(): Segment {
    if (this.fd !== null) {
      fsyncSync(this.fd); // the old segment is complete on disk before its successor exists
      closeSync(this.fd);
      this.fd = null;
    }
    const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
    const seg: Segment = { seq, file: this.segmentFile(seq), bytes: 0, frames: [], acked: 0, structures: new Set() };
    this.fd = openSync(seg.file, 'w', 0o600);
    syncDir(this.opts.dir); // the new file's name survives a power cut
    this.segments.push(seg);
    return seg;
  }

  private openLast(seg: Segment): number {
    this.fd = openSync(seg.file, 'r+');
    return this.fd;
  }

  /** Empties the segment being written (all its frames are stored): the file starts over. */
  private resetLast(seg: Segment): void {
    const fd = this.fd ?? this.openLast(seg);
    ftruncateSync(fd, 0);
    this.total -= seg.bytes;
    seg.bytes = 0;
    seg.frames.length = 0;
    seg.acked = 0;
    seg.structures.clear();
    this.forgetUnusedStructures();
  }

  private removeOldest(): void {
    const seg = this.segments.shift();
    if (seg === undefined) return;
    this.total -= seg.bytes;
    try {
      unlinkSync(seg.file);
    } catch {
      // already gone
    }
    this.forgetUnusedStructures();
  }

  private forgetUnusedStructures(): void {
    for (const hash of this.structures.keys()) {
      if (!this.segments.some((s) => s.structures.has(hash))) this.structures.delete(hash);
    }
  }

  private writeAck(): void {
    const first = this.segments[0];
    const file = path.join(this.opts.dir, 'ack');
    if (first === undefined || first.acked === 0) {
      rmSync(file, { force: true });
      return;
    }
    // Not fsynced: an ack lost in a power cut only means frames sent twice.
    writeFileSync(`${file}.tmp`, JSON.stringify({ seq: first.seq, frames: first.acked }));
    renameSync(`${file}.tmp`, file);
  }

  private scheduleSync(): void {
    if (this.syncTimer !== null) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      const fd = this.fd;
      if (fd !== null) fdatasync(fd, () => {}); // a failure shows at the next write or close
    }, this.syncEveryMs);
    this.syncTimer.unref();
  }

  private segmentFile(seq: number): string {
    return path.join(this.opts.dir, `${String(seq).padStart(16, '0')}.seg`);
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.byteLength) done += writeSync(fd, buf, done, buf.byteLength - done, position + done);
}

function readFull(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.byteLength) {
    const n = readSync(fd, buf, done, buf.byteLength - done, position + done);
    if (n === 0) throw new Error('spool: a segment is shorter than its index says');
    done += n;
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readAck(dir: string): { seq: number; frames: number } | null {
  try {
    const v: unknown = JSON.parse(readFileSync(path.join(dir, 'ack'), 'utf8'));
    if (typeof v === 'object' && v !== null && 'seq' in v && 'frames' in v && Number.isSafeInteger(v.seq) && Number.isSafeInteger(v.frames)) {
      return { seq: Number(v.seq), frames: Number(v.frames) };
    }
  } catch {
    // none, or torn: every frame is sent again (at least once)
  }
  return null;
}

// The lock: which process (pid, its start time, the boot) uses the spool. A lock left by a
// process that is gone (killed, or from before a reboot) is taken over.
function lockText(pid: number): string | null {
  const start = processStart(pid);
  return start === null ? null : JSON.stringify({ pid, start, boot: bootId() });
}

function takeLock(dir: string): void {
  const file = path.join(dir, 'lock');
  const mine = lockText(process.pid) ?? JSON.stringify({ pid: process.pid });
  try {
    writeFileSync(file, mine, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let held: { pid?: unknown } = {};
  try {
    held = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
  } catch {
    // torn or empty: nobody holds it
  }
  const pid = typeof held.pid === 'number' ? held.pid : null;
  if (pid !== null && pid !== process.pid && lockText(pid) === JSON.stringify(held)) {
    throw new Error(`spool ${dir} is in use by process ${pid} (another agent on this host?); give each agent its own --spool`);
  }
  writeFileSync(`${file}.tmp`, mine);
  renameSync(`${file}.tmp`, file);
}

function releaseLock(dir: string): void {
  rmSync(path.join(dir, 'lock'), { force: true });
}

/** Field 22 of /proc/PID/stat (start time in clock ticks after boot), or null when there is no such process. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return '';
  }
}

/** Size of the files in a spool directory (for tests and the log). */
export function spoolDirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) if (SEG.test(f)) total += statSync(path.join(dir, f)).size;
  return total;
}
