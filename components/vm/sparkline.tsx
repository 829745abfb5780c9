// Small SVG charts over a window, one value per history column (x: the column, y: the value):
// a line with gaps where a value is unknown, and an area stacked from several series.
export const SPARK_W = 160;
export const SPARK_H = 18;

const x = (i: number, n: number) => ((n <= 1 ? 0 : i / (n - 1)) * SPARK_W).toFixed(1);
const y = (v: number, max: number) => (SPARK_H - (Math.min(v, max) / max) * SPARK_H).toFixed(1);

/** A line of `values` (null: a gap) scaled to `max` (default: the largest value, at least `floor`). */
export function Sparkline({ values, className, floor = 0.05, max }: { readonly values: readonly (number | null)[]; readonly className: string; readonly floor?: number; readonly max?: number }) {
  if (values.length < 2) return null;
  const top = max ?? Math.max(floor, ...values.map((v) => v ?? 0));
  const runs: [string, string][][] = [[]];
  values.forEach((v, i) => {
    if (v === null) runs.push([]);
    else runs[runs.length - 1]?.push([x(i, values.length), y(v, top)]);
  });
  return (
    <svg width={SPARK_W} height={SPARK_H} className={`inline-block align-middle ${className}`} aria-hidden>
      {runs.map((r, i) =>
        r.length > 1 ? (
          <polyline key={i} points={r.map((p) => p.join(',')).join(' ')} fill="none" stroke="currentColor" strokeWidth={1} />
        ) : r[0] !== undefined ? (
          <circle key={i} cx={r[0][0]} cy={r[0][1]} r={1} fill="currentColor" />
        ) : null,
      )}
    </svg>
  );
}

/** Areas stacked bottom up, each series a share (0..1) per column, in its colour. */
export function StackedArea({ series }: { readonly series: readonly { readonly color: string; readonly values: readonly number[] }[] }) {
  const n = series[0]?.values.length ?? 0;
  if (n < 2) return null;
  const base = new Array<number>(n).fill(0);
  const paths = series.map((s) => {
    const lower = base.slice();
    for (let i = 0; i < n; i++) base[i] = (base[i] ?? 0) + (s.values[i] ?? 0);
    const up = base.map((v, i) => `${x(i, n)},${y(v, 1)}`);
    const down = lower.map((v, i) => `${x(i, n)},${y(v, 1)}`).reverse();
    return { color: s.color, d: `M${up.join('L')}L${down.join('L')}Z` };
  });
  return (
    <svg width={SPARK_W} height={SPARK_H} className="inline-block align-middle" aria-hidden>
      {paths.map((p, i) => (
        <path key={i} d={p.d} fill={p.color} />
      ))}
    </svg>
  );
}
