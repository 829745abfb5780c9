// A live heatmap keeps its drawn columns in an offscreen canvas used as a ring of `cap` columns of
// 1 px: column `abs` (a running tick number that never goes back) sits at x = abs % cap. A new
// tick draws one column; a redraw copies the visible run of columns, which wraps at most once,
// so it is one or two drawImage calls whatever the window size.

export interface RingSegment {
  readonly src: number; // first ring column (px in the offscreen canvas)
  readonly len: number; // columns
  readonly dst: number; // offset from the first requested column
}

/** The ring runs holding columns abs0 .. abs0+count-1 (count <= cap), in order. */
export function ringSegments(cap: number, abs0: number, count: number): RingSegment[] {
  if (!(Number.isInteger(cap) && cap > 0 && Number.isInteger(abs0) && abs0 >= 0 && Number.isInteger(count) && count >= 0)) {
    throw new Error(`column-ring: cap, first column and count must be whole numbers (cap > 0), got ${cap}, ${abs0}, ${count}`);
  }
  if (count > cap) throw new Error(`column-ring: ${count} columns do not fit a ring of ${cap}`);
  if (count === 0) return [];
  const src = abs0 % cap;
  const first = Math.min(count, cap - src);
  const out: RingSegment[] = [{ src, len: first, dst: 0 }];
  if (first < count) out.push({ src: 0, len: count - first, dst: first });
  return out;
}

/** Ring capacity for n columns: a power of two with room to grow, at most `max` (canvas limits). */
export function ringCapacity(n: number, max = 16384): number {
  let cap = 1024;
  while (cap < n * 1.5 && cap < max) cap *= 2;
  return cap;
}
