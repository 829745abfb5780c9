// /proc/interrupts: per-CPU interrupt counts, and their growth between two reads. The parser is
// pure (the caller reads the file, e.g. from a --proc-root). The header names the columns: only
// online CPUs have one, so CPU ids come from it, never from the column position.

export interface InterruptRow {
  /** "36" for a device interrupt (/proc/irq/36), "LOC", "RES", ... for the per-CPU ones. */
  readonly irq: string;
  readonly counts: readonly number[]; // per column of `cpus`; shorter for ERR and MIS
  /** The rest of the line, spaces collapsed: "PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0", "Local timer interrupts". */
  readonly name: string;
}

export interface Interrupts {
  readonly cpus: readonly number[]; // CPU id of each count column
  readonly rows: readonly InterruptRow[];
}

export interface IrqCount {
  readonly irq: string;
  readonly name: string;
  readonly count: number; // interrupts in the interval
}

export function parseInterrupts(text: string): Interrupts {
  const lines = text.split('\n');
  const header = lines[0] ?? '';
  const cpus: number[] = [];
  for (const tok of header.trim().split(/\s+/)) {
    const m = /^CPU(\d+)$/.exec(tok);
    if (!m) throw new Error(`/proc/interrupts: expected a header of CPU columns, got ${JSON.stringify(header.slice(0, 80))}`);
    cpus.push(Number(m[1]));
  }
  const rows: InterruptRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon < 0) {
      if (line.trim() === '') continue;
      throw new Error(`/proc/interrupts line ${i + 1}: no "IRQ:" label in ${JSON.stringify(line.slice(0, 80))}`);
    }
    const irq = line.slice(0, colon).trim();
    const rest = line.slice(colon + 1).trim().split(/\s+/);
    const counts: number[] = [];
    let k = 0;
    while (k < rest.length && counts.length < cpus.length && /^\d+$/.test(rest[k] ?? '')) counts.push(Number(rest[k++]));
    rows.push({ irq, counts, name: rest.slice(k).join(' ') });
  }
  return { cpus, rows };
}

/**
 * Interrupts on each of `cpus` between two reads, by IRQ: rows whose count grew, largest first.
 * A row that is new in `cur`, or whose count went down (the IRQ was freed and requested again),
 * counts from zero.
 */
export function interruptDeltas(prev: Interrupts, cur: Interrupts, cpus: readonly number[]): Map<number, IrqCount[]> {
  const out = new Map<number, IrqCount[]>();
  const prevRows = new Map(prev.rows.map((r) => [r.irq, r]));
  const prevCol = new Map(prev.cpus.map((c, i) => [c, i]));
  const curCol = new Map(cur.cpus.map((c, i) => [c, i]));
  for (const cpu of cpus) {
    const ci = curCol.get(cpu);
    if (ci === undefined) continue;
    const pi = prevCol.get(cpu);
    const list: IrqCount[] = [];
    for (const row of cur.rows) {
      const now = row.counts[ci];
      if (now === undefined) continue;
      const p = pi === undefined ? undefined : prevRows.get(row.irq)?.counts[pi];
      const before = p !== undefined && p <= now ? p : 0;
      if (now > before) list.push({ irq: row.irq, name: row.name, count: now - before });
    }
    list.sort((a, b) => b.count - a.count || (a.irq < b.irq ? -1 : a.irq > b.irq ? 1 : 0));
    out.set(cpu, list);
  }
  return out;
}

/** A device interrupt, which /proc/irq/N/smp_affinity_list can move; LOC, RES, TLB, ... cannot be. */
export function isDeviceIrq(irq: string): boolean {
  return /^\d+$/.test(irq);
}
