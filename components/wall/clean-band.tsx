'use client';
// The clean hosts of the wall as a dense band: one square per host, on canvas (2,000 of them
// would be 2,000 elements). Redrawn only when the count or the geometry changes.
import { memo, useEffect, useRef } from 'react';
import { grouped } from '@/lib/ui/wall-layout';

interface Props {
  readonly count: number;
  readonly cols: number;
  readonly rows: number;
  readonly cell: number; // px, a 1 px gap after each
}

const CLEAN = '#0d9488'; // teal-600: "fine" without leaning on red against green

function CleanBandCanvas({ count, cols, rows, cell }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const width = cols * (cell + 1);
  const height = rows * (cell + 1);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (canvas == null || ctx == null) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(width * dpr));
    canvas.height = Math.max(1, Math.round(height * dpr));
    ctx.scale(dpr, dpr);
    ctx.fillStyle = CLEAN;
    // One path for all squares (STYLE 6): a single fill.
    const p = new Path2D();
    for (let i = 0; i < count; i++) p.rect((i % cols) * (cell + 1), Math.floor(i / cols) * (cell + 1), cell, cell);
    ctx.fill(p);
  }, [count, cols, cell, width, height]);
  return <canvas ref={ref} data-testid="wall-band" role="img" aria-label={`${grouped(count)} clean hosts, one square each`} style={{ width, height }} className="block" />;
}

export const CleanBand = memo(CleanBandCanvas);
