'use client';
// A time axis under a heatmap (SVG: axes and labels are few and static, STYLE 6), in the viewer's
// zone: d3 picks ticks on the zone's wall clock (UTC shifted by the zone's offset at the window's
// start), so that "10:00" means 10:00 where the viewer is.
import { scaleUtc } from 'd3-scale';
import { zoneOffsetMs } from '@/lib/ui/time-zone';
import { useTimeZone } from '../time/time-zone';

export function TimeAxis({ from, to, width }: { readonly from: number; readonly to: number; readonly width: number }) {
  const zone = useTimeZone();
  if (!(width > 0 && to > from)) return <div className="h-5" />;
  const off = zoneOffsetMs(from, zone);
  const x = scaleUtc().domain([from + off, to + off]).range([0, width]);
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
