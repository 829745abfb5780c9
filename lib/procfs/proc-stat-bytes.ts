// /proc/stat read every tick for the per-pCPU load. The `cpuN` lines are parsed from the bytes
// (no string per line: a 256-pCPU host has 256 of them); a line the fast path does not take as
// the kernel prints it (CRLF, a bad counter, too few counters, a repeated id) goes through
// parseProcStatCpuLine in task-stat.ts, which parses it the same way or throws naming the line.
// The rest of the file (the long `intr` line with one count per IRQ, softirq, ...) is skipped by
// scanning bytes for newlines.
import { latin1, u64At } from './ascii-bytes';
import { parseProcStatCpuLine, procStatCpu, sortedProcStatCpus, type ProcStatCpu } from './task-stat';

const NL = 10;
const SPACE = 32;
const C = 99;
const P = 112;
const U = 117;
const ZERO = 48;
const NINE = 57;
/** Counters of a cpu line that are read: user nice system idle iowait irq softirq steal guest guest_nice. */
const COUNTERS = 10;

/** The `cpuN` lines of /proc/stat in buf[0, len), ascending by cpu; throws when there are none. */
export function parseProcStatBytes(buf: Buffer, len: number): readonly ProcStatCpu[] {
  const n = Math.min(len, buf.length);
  const out: ProcStatCpu[] = [];
  const seen = new Set<number>();
  let start = 0;
  for (let ln = 1; start <= n; ln++) {
    let end = buf.indexOf(NL, start);
    if (end < 0 || end > n) end = n;
    if (end - start > 3 && buf[start] === C && buf[start + 1] === P && buf[start + 2] === U) {
      const cpu = cpuLine(buf, start, end, seen) ?? parseProcStatCpuLine(latin1(buf, start, end), ln, seen);
      if (cpu) out.push(cpu);
    }
    start = end + 1;
  }
  if (out.length === 0) return sortedProcStatCpus(out, buf.toString('utf8', 0, Math.min(n, 200))); // throws
  return sortedProcStatCpus(out, '');
}

const counters = new Float64Array(COUNTERS);

/**
 * The line buf[start, end) (it starts with "cpu") when it is a `cpuN` line printed as the kernel
 * does (single spaces, digits, at least 4 counters, an id not seen yet); undefined for anything
 * else, which parseProcStatCpuLine then parses or rejects.
 */
function cpuLine(buf: Buffer, start: number, end: number, seen: Set<number>): ProcStatCpu | undefined {
  let i = start + 3;
  const idStart = i;
  while (i < end && (buf[i] ?? 0) >= ZERO && (buf[i] ?? 0) <= NINE) i++;
  if (i === idStart || i >= end || buf[i] !== SPACE) return undefined;
  const cpu = u64At(buf, idStart, i);
  if (!Number.isSafeInteger(cpu) || cpu < 0 || seen.has(cpu)) return undefined;
  let count = 0;
  while (i < end && count < COUNTERS) {
    if (buf[i] !== SPACE) return undefined;
    const from = ++i;
    while (i < end && (buf[i] ?? 0) >= ZERO && (buf[i] ?? 0) <= NINE) i++;
    const v = u64At(buf, from, i);
    if (v < 0) return undefined;
    counters[count++] = v;
  }
  // Counters past the tenth are not read (as parseProcStatCpuLine does); anything else after the
  // last one read (a CR, a tab, a letter) goes the slow way.
  if (count < 4 || (count < COUNTERS && i !== end)) return undefined;
  seen.add(cpu);
  return procStatCpu(cpu, counters, count);
}
