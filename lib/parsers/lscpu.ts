// `lscpu -p` (or `lscpu -p=CPU,CORE,SOCKET,NODE`) output, as pasted into /analyze: the host
// topology when sysfs cannot be read. Columns follow the `# CPU,Core,Socket,...` header line.
import type { CpuTopo, HostTopology } from '../model/types';

type Column = 'cpu' | 'core' | 'socket' | 'node';

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
      if (at < 0) return col === 'cpu' ? NaN : 0; // no such column: one socket, one node
      const cell = cells[at]?.trim() ?? '';
      const n = cell === '' ? 0 : Number(cell);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`lscpu -p: line ${i + 1}: ${col} "${cell}" is not a CPU number`);
      return n;
    };
    rows.push({ cpu: get('cpu'), core: get('core'), socket: get('socket'), node: get('node') });
  });
  if (rows.length === 0) throw new Error('lscpu -p: no CPU lines found (paste the output of `lscpu -p`)');
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(r.cpu)) throw new Error(`lscpu -p: CPU ${r.cpu} is listed twice`);
    seen.add(r.cpu);
  }
  // SMT siblings: CPUs sharing socket and core.
  const byCore = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.socket}:${r.core}`;
    byCore.set(k, [...(byCore.get(k) ?? []), r.cpu]);
  }
  const cpus: CpuTopo[] = rows
    .map((r) => ({
      cpu: r.cpu,
      socket: r.socket,
      die: 0,
      core: r.core,
      node: r.node,
      siblings: [...(byCore.get(`${r.socket}:${r.core}`) ?? [r.cpu])].sort((a, b) => a - b),
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
