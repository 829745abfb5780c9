// CPU list syntax shared by libvirt (`cpuset='0-3,^2,8'`) and the kernel (`Cpus_allowed_list`,
// sysfs `online`, `isolated`, node `cpulist`; the kernel never prints `^`).
// Pure functions, no I/O. Every CpuList produced here is sorted ascending and duplicate-free.
import type { CpuList } from './model/types';

/** Highest CPU id accepted by default: the kernel's NR_CPUS limit on x86-64 is 8192 CPUs. */
export const DEFAULT_MAX_CPU = 8191;

export interface CpusetOptions {
  /** Highest CPU id accepted (inclusive). Bounds the work and memory a hostile input can cause. */
  readonly maxCpu?: number;
}

interface Range {
  readonly lo: number;
  readonly hi: number; // inclusive
}

/**
 * CPU ids every parseCpuset call may still produce, or null (no bound): set by withCpuBudget
 * around the parsing of untrusted text, where thousands of `0-8191` lists would otherwise expand
 * to gigabytes of numbers.
 */
let budget: { remaining: number; readonly total: number } | null = null;

/**
 * Runs `fn` with every parseCpuset call inside it (synchronously) sharing one bound of `maxIds`
 * CPU ids in total; past it they throw an Error that says so.
 */
export function withCpuBudget<T>(maxIds: number, fn: () => T): T {
  const outer = budget;
  budget = { remaining: maxIds, total: maxIds };
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

/**
 * Parses `0-3,^2,8`: items separated by commas, whitespace allowed around items, `N` or `N-M`
 * to include, `^N` or `^N-M` to exclude. Exclusions apply after all inclusions whatever their
 * position (libvirt semantics), so `^2,0-3` is `0-1,3`. Empty or blank text is the empty list.
 */
export function parseCpuset(text: string, opts: CpusetOptions = {}): CpuList {
  const maxCpu = opts.maxCpu ?? DEFAULT_MAX_CPU;
  if (!Number.isSafeInteger(maxCpu) || maxCpu < 0) {
    throw new Error(`parseCpuset: maxCpu must be a non-negative integer, got ${String(maxCpu)}`);
  }
  if (text.trim() === '') return [];

  const include: Range[] = [];
  const exclude: Range[] = [];
  const items = text.split(',');
  for (let i = 0; i < items.length; i++) {
    const raw = items[i] ?? '';
    const item = raw.trim();
    if (item === '') {
      throw new Error(`${invalid(text)}: empty item at position ${i + 1} (stray comma?)`);
    }
    const negated = item.startsWith('^');
    const range = parseRange(negated ? item.slice(1) : item, item, text, maxCpu);
    (negated ? exclude : include).push(range);
  }
  const merged = merge(include);
  if (budget !== null) {
    let size = 0;
    for (const r of merged) size += r.hi - r.lo + 1;
    if (size > budget.remaining) {
      throw new Error(`${invalid(text)}: the CPU lists of this input name more than ${budget.total} CPU ids in total`);
    }
    budget.remaining -= size;
  }
  return subtract(merged, merge(exclude));
}

/** Compact form of a CPU list, e.g. [0,1,2,3,8] -> "0-3,8"; [] -> "". Inverse of parseCpuset. */
export function formatCpuset(cpus: CpuList): string {
  const sorted = normalize(cpus);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const lo = sorted[i] ?? 0;
    let hi = lo;
    while (i + 1 < sorted.length && sorted[i + 1] === hi + 1) {
      i++;
      hi = sorted[i] ?? hi;
    }
    parts.push(lo === hi ? String(lo) : `${lo}-${hi}`);
    i++;
  }
  return parts.join(',');
}

/** True when both lists hold the same CPUs (order and duplicates ignored). */
export function sameCpus(a: CpuList, b: CpuList): boolean {
  const x = normalize(a);
  const y = normalize(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** CPUs present in both lists, sorted. */
export function intersectCpus(a: CpuList, b: CpuList): CpuList {
  const x = normalize(a);
  const y = normalize(b);
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i] ?? 0;
    const q = y[j] ?? 0;
    if (p === q) {
      out.push(p);
      i++;
      j++;
    } else if (p < q) i++;
    else j++;
  }
  return out;
}

/** True when every CPU of `a` is also in `b` (the empty list is a subset of anything). */
export function isSubset(a: CpuList, b: CpuList): boolean {
  return intersectCpus(a, b).length === normalize(a).length;
}

function invalid(text: string): string {
  // Long inputs are cut so that an error about a hostile file stays readable.
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return `invalid cpuset ${JSON.stringify(shown)}`;
}

function parseRange(body: string, item: string, text: string, maxCpu: number): Range {
  const dash = body.indexOf('-');
  if (dash === -1) {
    const n = parseCpuId(body, item, text, maxCpu);
    return { lo: n, hi: n };
  }
  if (dash === 0) {
    throw new Error(`${invalid(text)}: ${JSON.stringify(item)} is negative or has no range start`);
  }
  const lo = parseCpuId(body.slice(0, dash), item, text, maxCpu);
  const endText = body.slice(dash + 1);
  if (endText === '') throw new Error(`${invalid(text)}: range ${JSON.stringify(item)} has no end`);
  const hi = parseCpuId(endText, item, text, maxCpu);
  if (lo > hi) {
    throw new Error(`${invalid(text)}: range ${JSON.stringify(item)} is reversed (start > end)`);
  }
  return { lo, hi };
}

function parseCpuId(digits: string, item: string, text: string, maxCpu: number): number {
  if (digits.length === 0 || !isAllDigits(digits)) {
    throw new Error(`${invalid(text)}: ${JSON.stringify(item)} is not a CPU number or range`);
  }
  // Length check first: Number() of a 400-digit string is Infinity, not an error.
  const n = digits.length > 15 ? Infinity : Number(digits);
  if (n > maxCpu) {
    throw new Error(`${invalid(text)}: CPU ${digits} in ${JSON.stringify(item)} exceeds the maximum ${maxCpu}`);
  }
  return n;
}

function isAllDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Sorts ranges and merges overlapping or adjacent ones. */
function merge(ranges: readonly Range[]): readonly Range[] {
  const sorted = [...ranges].sort((p, q) => p.lo - q.lo);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.lo <= last.hi + 1) {
      out[out.length - 1] = { lo: last.lo, hi: Math.max(last.hi, r.hi) };
    } else out.push(r);
  }
  return out;
}

/** Expands merged inclusions minus merged exclusions; both inputs sorted and disjoint. */
function subtract(include: readonly Range[], exclude: readonly Range[]): CpuList {
  const out: number[] = [];
  let j = 0;
  for (const r of include) {
    for (let cpu = r.lo; cpu <= r.hi; cpu++) {
      while (j < exclude.length && (exclude[j]?.hi ?? Infinity) < cpu) j++;
      const ex = exclude[j];
      if (ex !== undefined && ex.lo <= cpu) {
        cpu = ex.hi; // skip the whole excluded run; the loop's ++ moves past it
        continue;
      }
      out.push(cpu);
    }
  }
  return out;
}

/** Sorted, duplicate-free copy; rejects ids that cannot be CPUs so bad data fails loudly. */
function normalize(cpus: CpuList): CpuList {
  let sortedUnique = true;
  for (let i = 0; i < cpus.length; i++) {
    const c = cpus[i] ?? -1;
    if (!Number.isSafeInteger(c) || c < 0) throw new Error(`not a CPU id: ${String(cpus[i])} (in [${cpus.join(',')}])`);
    if (i > 0 && c <= (cpus[i - 1] ?? -1)) sortedUnique = false;
  }
  if (sortedUnique) return cpus;
  return [...new Set(cpus)].sort((p, q) => p - q);
}
