// tracefs event filters that keep only events of the given thread ids (`pid` field), e.g.
// sched_waking of vCPU threads, or of other integer fields (target_cpu): the kernel then never
// writes the others. Consecutive values (a VM's vCPU threads usually are) become one range. Pure.

/** tracefs refuses a filter of a page or more; stay well below. */
export const MAX_FILTER_CHARS = 3500;

/** The filter expression ("pid<0" keeps nothing), or null when it would be too long: keep all. */
export function pidFilter(tids: readonly number[]): string | null {
  const expr = rangeFilter('pid', tids.filter((t) => t > 0));
  return expr === '' ? 'pid<0' : expr.length <= MAX_FILTER_CHARS ? expr : null;
}

/**
 * `field` equal to one of `values`, ranges of consecutive values as one comparison ("" for none),
 * e.g. rangeFilter('target_cpu', [2, 3, 4, 9]) is "(target_cpu>=2&&target_cpu<=4)||target_cpu==9".
 */
export function rangeFilter(field: string, values: readonly number[]): string {
  const sorted = [...new Set(values)].filter((t) => Number.isInteger(t) && t >= 0).sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const lo = sorted[i] ?? 0;
    let hi = lo;
    while (i + 1 < sorted.length && sorted[i + 1] === hi + 1) hi = sorted[++i] ?? hi;
    i++;
    parts.push(lo === hi ? `${field}==${lo}` : hi === lo + 1 ? `${field}==${lo}||${field}==${hi}` : `(${field}>=${lo}&&${field}<=${hi})`);
  }
  return parts.join('||');
}
