// Number scanning over the raw bytes of a procfs read, for the parsers that run for every thread
// every tick and so must not make a string of each file first.

const U64_MAX = '18446744073709551615';
const ZERO = 48;
const NINE = 57;

/** Digits in buf[start, end) as a number; -1 when empty, not all digits or beyond 2^53. */
export function uintAt(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 16) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return Number.isSafeInteger(n) ? n : -1;
}

/**
 * Kernel u64 counter in buf[start, end): values above 2^53 are
 * rounded (Number of the decimal text), values above u64 give -1, as does anything not digits.
 */
export function u64At(buf: Uint8Array, start: number, end: number): number {
  const digits = end - start;
  if (digits <= 0 || digits > U64_MAX.length) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  if (digits <= 15) return n; // exact: below 2^53
  // Long counters are rare (run time in ns after ~104 days on a CPU): round as Number() does.
  const text = latin1(buf, start, end);
  if (digits === U64_MAX.length && text > U64_MAX) return -1;
  return Number(text);
}

export function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i] ?? 0);
  return s;
}

/** The first 120 bytes as quoted text, for error messages. */
export function excerptBytes(buf: Uint8Array, len: number): string {
  const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(len, 121)).toString('utf8');
  return JSON.stringify(len > 120 ? `${text.slice(0, 120)}...` : text);
}
