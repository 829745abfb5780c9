// per_cpu/cpuN/stats of a tracefs instance: how many events wait to be read, and how many were
// lost (overwritten before they were read, or dropped). Pure: the caller reads the file.

export interface CpuTraceStats {
  readonly entries: number; // events in the buffer not yet read
  readonly bytes: number; // bytes of those events
  readonly overrun: number; // overwritten before they were read (cumulative)
  readonly commitOverrun: number; // lost inside a nested write (cumulative)
  readonly dropped: number; // dropped when the buffer was full and not overwriting (cumulative)
}

export function parseCpuTraceStats(text: string): CpuTraceStats {
  const num = (key: string): number => {
    const at = text.indexOf(`${key}: `);
    if (at < 0) return Number.NaN;
    let i = at + key.length + 2;
    let n = 0;
    let digits = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      digits++;
    }
    return digits === 0 ? Number.NaN : n;
  };
  const entries = num('entries');
  const overrun = num('\noverrun');
  if (Number.isNaN(entries) || Number.isNaN(overrun)) throw new Error(`trace cpu stats: expected "entries:" and "overrun:", got ${JSON.stringify(text.slice(0, 80))}`);
  const bytes = num('\nbytes');
  const commitOverrun = num('commit overrun');
  const dropped = num('dropped events');
  return { entries, bytes: Number.isNaN(bytes) ? 0 : bytes, overrun, commitOverrun: Number.isNaN(commitOverrun) ? 0 : commitOverrun, dropped: Number.isNaN(dropped) ? 0 : dropped };
}

/** Events lost in total according to the stats (every loss counter). */
export function lostTotal(s: CpuTraceStats): number {
  return s.overrun + s.commitOverrun + s.dropped;
}
