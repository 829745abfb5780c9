// `lscpu -p` (or `lscpu -p=CPU,CORE,SOCKET,NODE`) output, as pasted into /analyze: the host
// topology when sysfs cannot be read. Columns follow the `# CPU,Core,Socket,...` header line.
import type { CpuTopo, HostTopology } from '../model/types';

type Column = 'cpu' | 'core' | 'socket' | 'node';

/** The snapshot contract's highest CPU id. */
const MAX_CPU = 8191;
/** Hardware threads one core may have (SMT8 is the most shipped); more is a broken paste. */
const MAX_SIBLINGS = 64;

export function parseLscpu(text: string): HostTopology {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let header: string[] | null = null;
  const rows: { cpu: number; core: number; socket: number; node: number }[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const cols = line.slice(1).trim().split(',').map((c) => c.trim().toLowerCase());
      if (cols.includes('cpu')) header = cols;
      return;
    }
    if (!header) throw new Error(`lscpu -p: line ${i + 1} comes before the "# CPU,Core,Socket,Node" header`);
    const cells = line.split(',');
    const h: readonly string[] = header;
    const get = (col: Column): number => {
      const at = h.indexOf(col);
      if (at < 0) return NaN; // no such column
      const cell = cells[at]?.trim() ?? '';
      const n = cell === '' ? 0 : Number(cell);
      const max = col === 'cpu' ? MAX_CPU : 65535;
      if (!Number.isInteger(n) || n < 0 || n > max) {
        throw new Error(`lscpu -p: line ${i + 1}: ${col} ${JSON.stringify(cell.slice(0, 20))} is not a number from 0 to ${max}`);
      }
      return n;
    };
    const cpu = get('cpu');
    const orZero = (n: number): number => (Number.isNaN(n) ? 0 : n);
    // No Core column: each CPU its own core (no SMT known); no Socket or Node: one of each.
    const core = get('core');
    rows.push({ cpu, core: Number.isNaN(core) ? cpu : core, socket: orZero(get('socket')), node: orZero(get('node')) });
  });
  if (rows.length === 0) throw new Error('lscpu -p: no CPU lines found (paste the output of `lscpu -p`)');
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(r.cpu)) throw new Error(`lscpu -p: CPU ${r.cpu} is listed twice`);
    seen.add(r.cpu);
  }
  // SMT siblings: CPUs sharing socket and core; one sorted list per core, shared by its CPUs.
  const byCore = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.socket}:${r.core}`;
    const list = byCore.get(k);
    if (list === undefined) byCore.set(k, [r.cpu]);
    else if (list.push(r.cpu) > MAX_SIBLINGS) {
      throw new Error(`lscpu -p: core ${r.core} of socket ${r.socket} lists more than ${MAX_SIBLINGS} CPUs; check the Core and Socket columns`);
    }
  }
  for (const list of byCore.values()) list.sort((a, b) => a - b);
  const cpus: CpuTopo[] = rows
    .map((r) => ({
      cpu: r.cpu,
      socket: r.socket,
      die: 0,
      core: r.core,
      node: r.node,
      siblings: byCore.get(`${r.socket}:${r.core}`) ?? [r.cpu],
    }))
    .sort((a, b) => a.cpu - b.cpu);
  return { cpus, isolated: [], nohzFull: [] };
}

/** A flat topology for CPUs 0..maxCpu, used when no topology text was given. */
export function flatTopology(maxCpu: number): HostTopology {
  const cpus: CpuTopo[] = [];
  for (let cpu = 0; cpu <= maxCpu; cpu++) cpus.push({ cpu, socket: 0, die: 0, core: cpu, node: 0, siblings: [cpu] });
  return { cpus, isolated: [], nohzFull: [] };
}
