// Axes of the heatmaps, pure: socket and NUMA node bands over pCPUs in topology order, which
// labels fit along an axis, and the matrix's rows grouped by VM. The components draw these as
// SVG (few, static shapes: STYLE 6).
import type { TopologyCpu } from './timeline-cells';

/** A run of consecutive positions [start, end) that share a key (a socket or a NUMA node). */
export interface Band {
  readonly key: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The runs of `order` (pCPU ids, e.g. rows of the timeline or columns of the matrix) with the same
 * socket or node. pCPUs the topology lacks (seen in the history only) form a band of key -1.
 */
export function cpuBands(order: readonly number[], cpus: readonly TopologyCpu[], by: 'socket' | 'node'): Band[] {
  const keyOf = new Map<number, number>();
  for (const c of cpus) keyOf.set(c.cpu, c[by]);
  const out: Band[] = [];
  order.forEach((cpu, i) => {
    const key = keyOf.get(cpu) ?? -1;
    const last = out[out.length - 1];
    if (last !== undefined && last.key === key && last.end === i) out[out.length - 1] = { key, start: last.start, end: i + 1 };
    else out.push({ key, start: i, end: i + 1 });
  });
  return out;
}

/** The first position of every band but the first: where a line separates two bands. */
export function bandStarts(bands: readonly Band[]): number[] {
  return bands.slice(1).map((b) => b.start);
}

/** Label steps, each a multiple of the one before, so labels land on round pCPU positions. */
const STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

/**
 * The positions to label along an axis of `count` positions of `px` each, at least `minGap` px
 * apart: every step-th position, for the smallest step of STEPS that fits.
 */
export function axisLabels(count: number, px: number, minGap: number): number[] {
  if (!(count > 0 && px > 0)) return [];
  const step = STEPS.find((s) => s * px >= minGap) ?? count;
  const out: number[] = [];
  for (let p = 0; p < count; p += step) out.push(p);
  return out;
}

/** A VM's rows in the matrix: display rows [start, end). */
export interface RowGroup {
  readonly vm: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The matrix's rows grouped by VM: `order[d]` is the row shown at display position d (VMs by name,
 * each VM's vCPUs by index, then thread id), and one group per VM.
 */
export function groupRowsByVm(rows: readonly { readonly vm: string; readonly vcpu: number | null; readonly tid: number }[]): { order: Int32Array; groups: RowGroup[] } {
  const idx = rows.map((_, i) => i);
  idx.sort((a, b) => {
    const ra = rows[a];
    const rb = rows[b];
    if (ra === undefined || rb === undefined) return 0;
    return (ra.vm < rb.vm ? -1 : ra.vm > rb.vm ? 1 : 0) || (ra.vcpu ?? Infinity) - (rb.vcpu ?? Infinity) || ra.tid - rb.tid;
  });
  const groups: RowGroup[] = [];
  idx.forEach((r, d) => {
    const vm = rows[r]?.vm ?? '';
    const last = groups[groups.length - 1];
    if (last !== undefined && last.vm === vm) groups[groups.length - 1] = { vm, start: last.start, end: d + 1 };
    else groups.push({ vm, start: d, end: d + 1 });
  });
  return { order: Int32Array.from(idx), groups };
}
