// /proc/stat read every tick for the per-pCPU load: only its `cpuN` lines are made into strings
// and parsed (parseProcStatCpuLine in task-stat.ts); the rest (the long `intr` line with one count
// per IRQ, softirq, ...) is skipped by scanning bytes for newlines.
import { latin1 } from './ascii-bytes';
import { parseProcStatCpuLine, sortedProcStatCpus, type ProcStatCpu } from './task-stat';

const NL = 10;
const C = 99;
const P = 112;
const U = 117;

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
      const cpu = parseProcStatCpuLine(latin1(buf, start, end), ln, seen);
      if (cpu) out.push(cpu);
    }
    start = end + 1;
  }
  return sortedProcStatCpus(out, buf.toString('utf8', 0, Math.min(n, 200)));
}
