// /proc/PID/task/TID/stat parsed from the bytes read (no string but the comm is made), for the
// threads that ran in the last tick. The comm is decoded as UTF-8 (an invalid or cut sequence,
// e.g. a multi-byte name cut by the kernel at 15 bytes, becomes U+FFFD), as the status Name is.
import type { TaskStat } from './task-stat';
import { excerptBytes, uintAt } from './ascii-bytes';

const SPACE = 32;
const OPEN = 40; // (
const CLOSE = 41; // )
const NL = 10;
const CR = 13;
const PROCESSOR_FIELD = 39;
const RT_PRIORITY_FIELD = 40;
const POLICY_FIELD = 41;

/** Parses one stat line `TID (comm) S PPID ...` in buf[0, len). Throws on anything malformed. */
export function parseTaskStatBytes(buf: Buffer, len: number): TaskStat {
  const n = Math.min(len, buf.length);
  // comm is arbitrary (prctl PR_SET_NAME): `a) b (c` is legal, so the comm ends at the LAST ')'.
  let open = -1;
  for (let i = 1; i < n; i++) {
    if (buf[i] === OPEN && buf[i - 1] === SPACE) {
      open = i - 1;
      break;
    }
  }
  let close = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (buf[i] === CLOSE) {
      close = i;
      break;
    }
  }
  if (open <= 0 || close < open + 2) throw malformed('expected "TID (comm) STATE ...", got', buf, n);
  const tid = uintAt(buf, 0, open);
  if (tid < 0) throw malformed('TID is not a number in', buf, n);
  const comm = buf.toString('utf8', open + 2, close);

  // End of the first line from the comm on (a trailing newline is not part of the last field).
  let end = buf.indexOf(NL, close);
  if (end < 0 || end > n) end = n;
  if (buf[end - 1] === CR) end--;
  if (close + 1 >= end) throw malformed('truncated after the comm:', buf, n);
  if (buf[close + 1] !== SPACE) throw malformed('expected a space after the comm in', buf, n);

  let state = '';
  let ppid = -1;
  let session = -1;
  let utime = -1;
  let stime = -1;
  let starttime = -1;
  let processor = -1;
  let rtPriority = -1;
  let policy = -1;
  // Fields after the comm are separated by exactly one space; field 3 starts at close + 2.
  let field = 3;
  let start = close + 2;
  while (start <= end && field <= POLICY_FIELD) {
    let stop = buf.indexOf(SPACE, start);
    if (stop === -1 || stop > end) stop = end;
    if (stop === start) throw malformed(`empty field ${field} in`, buf, n);
    switch (field) {
      case 3:
        state = stop - start === 1 && (buf[start] ?? 128) < 128 ? String.fromCharCode(buf[start] ?? 0) : buf.toString('utf8', start, stop);
        break;
      case 4:
        ppid = uintAt(buf, start, stop);
        break;
      case 6:
        session = uintAt(buf, start, stop);
        break;
      case 14:
        utime = uintAt(buf, start, stop);
        break;
      case 15:
        stime = uintAt(buf, start, stop);
        break;
      case 22:
        starttime = uintAt(buf, start, stop);
        break;
      case PROCESSOR_FIELD:
        processor = uintAt(buf, start, stop);
        break;
      case RT_PRIORITY_FIELD:
        rtPriority = uintAt(buf, start, stop);
        break;
      case POLICY_FIELD:
        policy = uintAt(buf, start, stop);
        break;
    }
    field++;
    start = stop + 1;
  }
  if (field <= PROCESSOR_FIELD) {
    throw malformed(`truncated, ${field - 1} fields where at least ${PROCESSOR_FIELD} are needed:`, buf, n);
  }
  if (state.length !== 1) throw malformed(`state ${JSON.stringify(state)} is not one letter in`, buf, n);
  need(ppid, 'ppid (field 4)', buf, n);
  need(session, 'session (field 6)', buf, n);
  need(utime, 'utime (field 14)', buf, n);
  need(stime, 'stime (field 15)', buf, n);
  need(starttime, 'starttime (field 22)', buf, n);
  need(processor, 'processor (field 39)', buf, n);
  // Fields 40 and 41 exist since Linux 2.5.19; a line that ends at field 39 has neither.
  const hasSched = field > RT_PRIORITY_FIELD;
  if (hasSched) need(rtPriority, 'rt_priority (field 40)', buf, n);
  if (field > POLICY_FIELD) need(policy, 'policy (field 41)', buf, n);
  return {
    tid,
    comm,
    state,
    ppid,
    session,
    utime,
    stime,
    starttime,
    processor,
    rtPriority: hasSched ? rtPriority : null,
    policy: field > POLICY_FIELD ? policy : null,
  };
}

function need(v: number, what: string, buf: Buffer, n: number): void {
  if (v < 0) throw malformed(`${what} is not a non-negative integer in`, buf, n);
}

function malformed(what: string, buf: Buffer, n: number): Error {
  return new Error(`task stat: ${what} ${excerptBytes(buf, n)}`);
}
