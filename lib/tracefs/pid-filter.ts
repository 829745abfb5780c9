// A tracefs event filter that keeps only events of the given thread ids (`pid` field), e.g.
// sched_waking of vCPU threads: the kernel then never writes the others. Consecutive ids (a VM's
// vCPU threads usually are) become one range. Pure.

/** tracefs refuses a filter of a page or more; stay well below. */
export const MAX_FILTER_CHARS = 3500;

/** The filter expression ("pid<0" keeps nothing), or null when it would be too long: keep all. */
export function pidFilter(tids: readonly number[]): string | null {
  const sorted = [...new Set(tids)].filter((t) => Number.isInteger(t) && t > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return 'pid<0';
  const parts: string[] = [];
  let lo = sorted[0] ?? 0;
  let hi = lo;
  const flush = (): void => {
    parts.push(lo === hi ? `pid==${lo}` : hi === lo + 1 ? `pid==${lo}||pid==${hi}` : `(pid>=${lo}&&pid<=${hi})`);
  };
  for (const t of sorted.slice(1)) {
    if (t === hi + 1) {
      hi = t;
      continue;
    }
    flush();
    lo = hi = t;
  }
  flush();
  const expr = parts.join('||');
  return expr.length <= MAX_FILTER_CHARS ? expr : null;
}
