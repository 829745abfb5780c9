// The affinity line of /proc/PID/task/TID/status found in the bytes read: the agent re-reads
// status only for Cpus_allowed_list, so it does not decode and split the ~1.5 KB around it.
import { excerptBytes, latin1 } from './ascii-bytes';

const KEY = Buffer.from('Cpus_allowed_list:', 'latin1');
const NL = 10;
const TAB = 9;

/**
 * The value of the `Cpus_allowed_list:` line in buf[0, len): the
 * last such line wins and one leading tab is dropped (other leading blanks are trimmed). Throws
 * when there is no such line. Parse the value with parseCpusAllowedList (task-stat.ts).
 */
export function cpusAllowedListText(buf: Buffer, len: number): string {
  const n = Math.min(len, buf.length);
  let at = n - KEY.length;
  let key = -1;
  while (at >= 0) {
    const i = buf.lastIndexOf(KEY, at);
    if (i < 0) break;
    if (i === 0 || buf[i - 1] === NL) {
      key = i;
      break;
    }
    at = i - 1;
  }
  if (key < 0) throw new Error(`task status: missing Cpus_allowed_list in ${excerptBytes(buf, n)}`);
  let start = key + KEY.length;
  let end = buf.indexOf(NL, start);
  if (end < 0 || end > n) end = n;
  if (buf[start] === TAB) start++;
  else while (start < end && isBlank(buf[start] ?? 0)) start++;
  return latin1(buf, start, end);
}

function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
