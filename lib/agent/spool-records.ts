// The record format of the agent's spool files (spool.ts): pure encoding and decoding, no I/O.
//
//   record  = length (u32 LE, of payload) | crc32 (u32 LE, of payload) | payload
//   payload = 'S' hash(64 hex) structure-json          a structure, before the frames that name it
//           | 'F' hash-length (u8: 0 or 64) hash json   a frame (compact tick or full snapshot)
//
// A record torn by a crash or a power cut (cut short, or with bytes that never reached the disk)
// fails its length or checksum check; decoding stops there and everything before it is intact.

import zlib from 'node:zlib';

export type SpoolRecord =
  | { readonly kind: 'structure'; readonly hash: string; readonly json: string }
  | { readonly kind: 'frame'; readonly structure: string | null; readonly json: string };

const HEADER = 8;
const HASH = 64;
/** A record longer than this is not one we wrote: the length field itself is torn. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function encodeRecord(r: SpoolRecord): Buffer {
  const body = Buffer.from(r.json, 'utf8');
  const head = r.kind === 'structure' ? Buffer.from(`S${r.hash}`, 'latin1') : Buffer.from(`F${r.structure === null ? '\u0000' : `\u0040${r.structure}`}`, 'latin1');
  const payloadLength = head.byteLength + body.byteLength;
  const out = Buffer.allocUnsafe(HEADER + payloadLength);
  head.copy(out, HEADER);
  body.copy(out, HEADER + head.byteLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 4);
  return out;
}

export interface Decoded {
  readonly record: SpoolRecord;
  readonly offset: number; // where the record starts in the file
  readonly length: number; // bytes of the whole record
}

/**
 * Decodes records from the start of `buf`; returns them and the byte length of the intact prefix
 * (the file is cut back to it: what follows is a torn write).
 */
export function decodeRecords(buf: Buffer): { readonly records: readonly Decoded[]; readonly intact: number } {
  const records: Decoded[] = [];
  let at = 0;
  while (at + HEADER <= buf.byteLength) {
    const length = buf.readUInt32LE(at);
    if (length < 1 || length > MAX_RECORD_BYTES || at + HEADER + length > buf.byteLength) break;
    const payload = buf.subarray(at + HEADER, at + HEADER + length);
    if (crc32(payload) !== buf.readUInt32LE(at + 4)) break;
    const record = decodePayload(payload);
    if (record === null) break;
    records.push({ record, offset: at, length: HEADER + length });
    at += HEADER + length;
  }
  return { records, intact: at };
}

function decodePayload(p: Buffer): SpoolRecord | null {
  const kind = p[0];
  if (kind === 0x53 /* S */) {
    if (p.byteLength < 1 + HASH) return null;
    return { kind: 'structure', hash: p.toString('latin1', 1, 1 + HASH), json: p.toString('utf8', 1 + HASH) };
  }
  if (kind === 0x46 /* F */) {
    const hashLength = p[1];
    if (hashLength === 0) return { kind: 'frame', structure: null, json: p.toString('utf8', 2) };
    if (hashLength !== HASH || p.byteLength < 2 + HASH) return null;
    return { kind: 'frame', structure: p.toString('latin1', 2, 2 + HASH), json: p.toString('utf8', 2 + HASH) };
  }
  return null;
}

/** The frame JSON of an encoded frame record (for reading back a batch by offset). */
export function frameJsonOf(record: Buffer): string {
  const hashLength = record[HEADER + 1] ?? 0;
  return record.toString('utf8', HEADER + 2 + hashLength);
}

// CRC-32 (IEEE): zlib's where Node has it (20.15 and later), else this table (the package allows 20.9).
const native: unknown = Reflect.get(zlib, 'crc32');
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  if (typeof native === 'function') return Number(native(buf));
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = (TABLE[(c ^ (buf[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
