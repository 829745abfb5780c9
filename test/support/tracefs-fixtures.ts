// Test helper: the tracefs files captured on this kind of machine (test/fixtures/tracefs, see its
// README), and hand-built pages for the record kinds a capture rarely shows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEventFormat, parseHeaderEvent, parseHeaderPage } from '../../lib/tracefs/format';
import type { PageLayout } from '../../lib/tracefs/page-decoder';
import type { SchedFormats } from '../../lib/tracefs/sched-records';

export const TRACEFS_FIXTURES = path.join(import.meta.dirname, '../fixtures/tracefs');

export function fixtureText(name: string): string {
  return readFileSync(path.join(TRACEFS_FIXTURES, name), 'utf8');
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(TRACEFS_FIXTURES, name)));
}

export function fixtureLayout(): PageLayout {
  return {
    page: parseHeaderPage(fixtureText('header_page')),
    record: parseHeaderEvent(fixtureText('header_event')),
    pageSize: 4096,
    littleEndian: true,
  };
}

export function fixtureFormats(): SchedFormats {
  const f = (n: string) => parseEventFormat(fixtureText(`${n}.format`));
  return { sched_switch: f('sched_switch'), sched_waking: f('sched_waking'), sched_migrate_task: f('sched_migrate_task') };
}

/** A record for buildPage: raw words after the header, or an event's data. */
export type BuiltRecord =
  | { readonly kind: 'event'; readonly delta: number; readonly data: Uint8Array; readonly long?: boolean }
  | { readonly kind: 'extend'; readonly delta: number } // delta may exceed 27 bits
  | { readonly kind: 'stamp'; readonly ts: number }
  | { readonly kind: 'discard'; readonly bytes: number }
  | { readonly kind: 'end-padding' };

/** A little-endian 4 KiB page laid out as header_page says (64-bit kernel). */
export function buildPage(ts: number, records: readonly BuiltRecord[], missed: 'none' | 'flag' | number = 'none'): Uint8Array {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  v.setBigUint64(0, BigInt(ts), true);
  let p = 16;
  for (const r of records) {
    switch (r.kind) {
      case 'event': {
        const len = r.data.length;
        if (len % 4 !== 0) throw new Error('event data must be whole words');
        if (r.long || len > 28 * 4) {
          v.setUint32(p, (r.delta << 5) | 0, true);
          v.setUint32(p + 4, len + 4, true);
          page.set(r.data, p + 8);
          p += 8 + len;
        } else {
          v.setUint32(p, (r.delta << 5) | (len / 4), true);
          page.set(r.data, p + 4);
          p += 4 + len;
        }
        break;
      }
      case 'extend':
        v.setUint32(p, ((r.delta % 2 ** 27) << 5) | 30, true);
        v.setUint32(p + 4, Math.floor(r.delta / 2 ** 27), true);
        p += 8;
        break;
      case 'stamp':
        v.setUint32(p, ((r.ts % 2 ** 27) << 5) | 31, true);
        v.setUint32(p + 4, Math.floor(r.ts / 2 ** 27), true);
        p += 8;
        break;
      case 'discard':
        v.setUint32(p, (1 << 5) | 29, true);
        v.setUint32(p + 4, r.bytes, true);
        p += 4 + r.bytes;
        break;
      case 'end-padding':
        v.setUint32(p, 29, true);
        p += 4;
        break;
    }
  }
  let commit = p - 16;
  if (missed !== 'none') {
    commit |= 0x80000000;
    if (typeof missed === 'number') {
      commit |= 0x40000000;
      v.setBigUint64(p, BigInt(missed), true);
    }
  }
  v.setUint32(8, commit >>> 0, true);
  return page;
}

/** The data of a sched_switch record as laid out by the fixture's format file. */
export function switchData(prevPid: number, prevComm: string, prevState: number, nextPid: number, nextComm: string, id = 372): Uint8Array {
  const d = new Uint8Array(64);
  const v = new DataView(d.buffer);
  v.setUint16(0, id, true);
  v.setUint8(2, 1);
  v.setUint8(3, 2);
  v.setInt32(4, prevPid, true);
  d.set(new TextEncoder().encode(prevComm).subarray(0, 15), 8);
  v.setInt32(24, prevPid, true);
  v.setInt32(28, 120, true);
  v.setBigInt64(32, BigInt(prevState), true);
  d.set(new TextEncoder().encode(nextComm).subarray(0, 15), 40);
  v.setInt32(56, nextPid, true);
  v.setInt32(60, 120, true);
  return d;
}

/** The data of a sched_waking record (fixture layout). */
export function wakingData(pid: number, comm: string, wakerPid: number, targetCpu: number, id = 375): Uint8Array {
  const d = new Uint8Array(36);
  const v = new DataView(d.buffer);
  v.setUint16(0, id, true);
  v.setInt32(4, wakerPid, true);
  d.set(new TextEncoder().encode(comm).subarray(0, 15), 8);
  v.setInt32(24, pid, true);
  v.setInt32(28, 120, true);
  v.setInt32(32, targetCpu, true);
  return d;
}

/** The data of a sched_migrate_task record (fixture layout: comm is a __data_loc string). */
export function migrateData(pid: number, comm: string, orig: number, dest: number, id = 371): Uint8Array {
  const name = new TextEncoder().encode(comm);
  const len = 28 + name.length + 1;
  const d = new Uint8Array(Math.ceil(len / 4) * 4);
  const v = new DataView(d.buffer);
  v.setUint16(0, id, true);
  v.setUint32(8, ((name.length + 1) << 16) | 28, true);
  v.setInt32(12, pid, true);
  v.setInt32(16, 120, true);
  v.setInt32(20, orig, true);
  v.setInt32(24, dest, true);
  d.set(name, 28);
  return d;
}
