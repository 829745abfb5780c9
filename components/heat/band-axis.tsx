// Socket and NUMA node bands with pCPU labels along one side of a heatmap (SVG: few static shapes,
// STYLE 6): beside the timeline's rows, or above the matrix's columns. Decorative for assistive
// technology (the canvases and tooltips name every cell); readable for everyone else.
import { memo } from 'react';
import type { Band } from '@/lib/heatmap/bands';

interface Props {
  readonly orientation: 'rows' | 'cols';
  /** px per position (row height, column width). */
  readonly step: number;
  readonly count: number;
  readonly sockets: readonly Band[];
  readonly nodes: readonly Band[];
  /** Positions to label and their text. */
  readonly labels: readonly { readonly at: number; readonly text: string }[];
}

const STRIP = 20; // px across a band strip
const LABELS = 34; // px across the labels
const BAND_AXIS_SIZE = 2 * STRIP + LABELS + 4; // beside rows
const COLS_AXIS_SIZE = 2 * STRIP + 22; // above columns: ticks and one line of labels

function Strip({ bands, offset, step, orientation, prefix }: { readonly bands: readonly Band[]; readonly offset: number; readonly step: number; readonly orientation: 'rows' | 'cols'; readonly prefix: string }) {
  return (
    <>
      {bands.map((b, i) => {
        const from = b.start * step;
        const len = (b.end - b.start) * step;
        const name = b.key < 0 ? '?' : `${prefix}${b.key}`;
        const rect = orientation === 'rows' ? { x: offset, y: from, width: STRIP - 2, height: Math.max(1, len - 1) } : { x: from, y: offset, width: Math.max(1, len - 1), height: STRIP - 2 };
        const mid = from + len / 2;
        return (
          <g key={`${b.key}:${b.start}`}>
            <rect {...rect} className={i % 2 === 0 ? 'fill-slate-200 dark:fill-slate-800' : 'fill-slate-300 dark:fill-slate-700'} />
            {len >= 14 ? (
              <text
                x={orientation === 'rows' ? offset + (STRIP - 2) / 2 : mid}
                y={orientation === 'rows' ? mid : offset + (STRIP - 2) / 2}
                dominantBaseline="central"
                textAnchor="middle"
                fontSize={11}
                className="fill-slate-900 dark:fill-slate-100"
              >
                {name}
              </text>
            ) : null}
          </g>
        );
      })}
    </>
  );
}

function BandAxisView({ orientation, step, count, sockets, nodes, labels }: Props) {
  const along = count * step;
  const rows = orientation === 'rows';
  return (
    <svg width={rows ? BAND_AXIS_SIZE : along} height={rows ? along : COLS_AXIS_SIZE} className="block shrink-0" aria-hidden data-testid={`band-axis-${orientation}`}>
      <Strip bands={sockets} offset={0} step={step} orientation={orientation} prefix="S" />
      <Strip bands={nodes} offset={STRIP} step={step} orientation={orientation} prefix="N" />
      {labels.map((l) =>
        rows ? (
          <text key={l.at} x={BAND_AXIS_SIZE - 4} y={Math.min(along - 6, Math.max(6, (l.at + 0.5) * step))} dominantBaseline="central" textAnchor="end" fontSize={11} className="fill-slate-700 font-mono dark:fill-slate-300">
            {l.text}
          </text>
        ) : (
          <g key={l.at} transform={`translate(${(l.at + 0.5) * step},${2 * STRIP})`}>
            <line y2={4} className="stroke-slate-500" />
            <text y={16} textAnchor="middle" fontSize={11} className="fill-slate-700 font-mono dark:fill-slate-300">
              {l.text}
            </text>
          </g>
        ),
      )}
    </svg>
  );
}

/** Drawn again only when its bands, labels or scale change, not for every live frame. */
export const BandAxis = memo(BandAxisView);
