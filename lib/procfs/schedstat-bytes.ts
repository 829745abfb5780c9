// /proc/PID/task/TID/schedstat parsed from the bytes read, with no string made: it is read for
// every thread every tick.
import type { Schedstat } from './task-stat';
import { excerptBytes, latin1, u64At } from './ascii-bytes';

const SPACE = 32;

function isSpace(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13); // space, \t \n \v \f \r
}

/** Parses `RUN_NS WAIT_NS TIMESLICES\n` in buf[0, len). Throws on anything else. */
export function parseSchedstatBytes(buf: Uint8Array, len: number): Schedstat {
  let start = 0;
  let end = Math.min(len, buf.length);
  while (start < end && isSpace(buf[start] ?? 0)) start++;
  while (end > start && isSpace(buf[end - 1] ?? 0)) end--;
  const a = spaceBefore(buf, start, end);
  const b = a < 0 ? -1 : spaceBefore(buf, a + 1, end);
  if (a < 0 || b < 0 || spaceBefore(buf, b + 1, end) >= 0) {
    throw new Error(`schedstat: expected 3 numbers "RUN_NS WAIT_NS TIMESLICES", got ${excerptBytes(buf, len)}`);
  }
  return {
    runNs: counter(buf, start, a, len),
    waitNs: counter(buf, a + 1, b, len),
    timeslices: counter(buf, b + 1, end, len),
  };
}

/** Index of the first space in buf[from, end), or -1. */
function spaceBefore(buf: Uint8Array, from: number, end: number): number {
  const i = buf.indexOf(SPACE, from);
  return i >= 0 && i < end ? i : -1;
}

function counter(buf: Uint8Array, start: number, end: number, len: number): number {
  const n = u64At(buf, start, end);
  if (n < 0) {
    throw new Error(`schedstat: ${JSON.stringify(latin1(buf, start, Math.min(end, start + 40)))} is not a non-negative integer counter in ${excerptBytes(buf, len)}`);
  }
  return n;
}
