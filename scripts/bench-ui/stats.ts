// Figures of bench:ui: medians and percentiles of samples, and how they print.
import { loadavg } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** The p-th quantile (0..1), nearest rank. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

export const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** The 1, 5 and 15 minute load averages, to print beside a figure: on a shared machine a figure means little without them. */
export const load = (): string => `load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;
