// A UTC time axis under a heatmap (SVG: axes and labels are few and static, STYLE 6).
import { scaleUtc } from 'd3-scale';

export function TimeAxis({ from, to, width }: { readonly from: number; readonly to: number; readonly width: number }) {
  if (!(width > 0 && to > from)) return <div className="h-5" />;
  const x = scaleUtc().domain([from, to]).range([0, width]);
  const ticks = x.ticks(Math.max(2, Math.floor(width / 110)));
  const fmt = x.tickFormat();
  return (
    <svg width={width} height={20} className="block text-slate-600 dark:text-slate-400" aria-hidden>
      {ticks.map((t) => (
        <g key={t.getTime()} transform={`translate(${x(t)},0)`}>
          <line y2={4} stroke="currentColor" />
          <text y={16} textAnchor="middle" fontSize={10} fill="currentColor">
            {fmt(t)}
          </text>
        </g>
      ))}
    </svg>
  );
}
