'use client';
// A host's topology in miniature: a row per socket and NUMA node, a square per pCPU coloured by the
// VM on it now; a pCPU named by a violation gets a diagonal cross (shape, not only colour). With
// `highlight` (the VMs a search matched), the other VMs' pCPUs are dimmed.
import { memo, useEffect, useRef } from 'react';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { palette, vmColorIndex, type Theme } from '@/lib/heatmap/vm-colors';
import { canvasColors, useTheme } from '../use-theme';

const MAX_CELL = 22;

interface Props {
  readonly tile: FleetTile;
  readonly width: number; // px available
  readonly height?: number; // px available (default: as tall as the rows need)
  readonly theme?: Theme; // default: the page's
  /** Indexes into tile.vms to stand out; the rest dimmed. Empty or absent: all alike. */
  readonly highlight?: readonly number[];
}

const NONE: readonly number[] = [];

function MiniTopologyCanvas({ tile, width, height: maxHeight, theme: forced, highlight = NONE }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const pageTheme = useTheme();
  const theme = forced ?? pageTheme;
  const widest = Math.max(1, ...tile.rows);
  const byHeight = maxHeight === undefined ? Infinity : Math.floor(maxHeight / Math.max(1, tile.rows.length));
  const cell = Math.max(2, Math.min(maxHeight === undefined ? MAX_CELL : 64, Math.floor(width / widest), byHeight));
  const height = tile.rows.length * cell;

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (canvas == null || ctx == null) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(widest * cell * dpr);
    canvas.height = Math.max(1, Math.round(height * dpr));
    ctx.scale(dpr, dpr);
    const colors = palette(theme);
    const look = canvasColors(theme);
    const gap = cell >= 6 ? 1 : 0;
    let i = 0;
    tile.rows.forEach((n, r) => {
      for (let c = 0; c < n; c++, i++) {
        const vm = tile.cells[i] ?? -1;
        const name = vm >= 0 ? tile.vms[vm] : undefined;
        ctx.fillStyle = name === undefined ? look.grid : (colors[vmColorIndex(name)] ?? look.grid);
        ctx.globalAlpha = highlight.length > 0 && !highlight.includes(vm) ? 0.2 : 1;
        const x = c * cell;
        const y = r * cell;
        ctx.fillRect(x, y, cell - gap, cell - gap);
        ctx.globalAlpha = 1;
        if (tile.marks[i] === 1) {
          ctx.strokeStyle = look.mark;
          ctx.lineWidth = Math.max(1, cell / 6);
          ctx.beginPath();
          ctx.moveTo(x, y);
          ctx.lineTo(x + cell - gap, y + cell - gap);
          ctx.moveTo(x + cell - gap, y);
          ctx.lineTo(x, y + cell - gap);
          ctx.stroke();
        }
      }
    });
  }, [tile, theme, cell, widest, height, highlight]);

  return (
    <canvas
      ref={ref}
      aria-hidden
      data-testid="mini-topology"
      style={{ width: widest * cell, height }}
      className="block"
    />
  );
}

const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Redrawn only when what it shows changes: the fleet re-reads every tile about once a second. */
export const MiniTopology = memo(
  MiniTopologyCanvas,
  (a, b) =>
    a.width === b.width &&
    a.height === b.height &&
    a.theme === b.theme &&
    same(a.highlight ?? NONE, b.highlight ?? NONE) &&
    same(a.tile.cells, b.tile.cells) &&
    same(a.tile.marks, b.tile.marks) &&
    same(a.tile.vms, b.tile.vms) &&
    same(a.tile.rows, b.tile.rows),
);
