// Colours for pCPUs (VM timeline): a sequential, colour-blind-safe scale (viridis) over the host's
// pCPUs in topology order, so neighbouring cores and one NUMA node read as one region. Quantised to
// at most PCPU_COLORS steps so the canvas renderer batches by colour.
import { interpolateViridis } from 'd3-scale-chromatic';
import { orderCpus, type TopologyCpu } from './timeline-cells';

export const PCPU_COLORS = 32;

export interface PcpuPalette {
  readonly colors: readonly string[];
  /** The pCPUs each colour stands for, e.g. "0-3" (topology order, so not always a range). */
  readonly labels: readonly string[];
  /** Palette index of a pCPU; pCPUs missing from the topology get the last colour. */
  readonly indexOf: (pcpu: number) => number;
}

export function pcpuPalette(cpus: readonly TopologyCpu[]): PcpuPalette {
  const order = orderCpus(cpus);
  const n = Math.max(1, Math.min(PCPU_COLORS, order.length));
  // Viridis from 0.1 to 0.95: its darkest end is too close to a dark background.
  const colors = Array.from({ length: n }, (_, i) => interpolateViridis(0.1 + (0.85 * i) / Math.max(1, n - 1)));
  const pos = new Map<number, number>();
  order.forEach((cpu, i) => pos.set(cpu, Math.min(n - 1, Math.floor((i * n) / order.length))));
  const members: number[][] = colors.map(() => []);
  for (const [cpu, i] of pos) members[i]?.push(cpu);
  const labels = members.map((m) => (m.length === 0 ? '' : m.length === 1 ? String(m[0]) : `${m[0]}…${m[m.length - 1]}`));
  return { colors, labels, indexOf: (p) => pos.get(p) ?? n - 1 };
}
