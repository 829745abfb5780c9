'use client';
// vCPU x pCPU matrix: for each vCPU thread, the share of the window's ticks it spent on each pCPU,
// in its VM's colour (more opaque = more time); pinned cells outlined.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { orderCpus } from '@/lib/heatmap/timeline-cells';
import { liveMatrixView, updateLiveMatrix, type LiveMatrix } from '@/lib/heatmap/live-matrix';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import type { LiveHistory } from '@/lib/ui/live-history';
import { formatShare } from '@/lib/ui/format';
import { Tooltip } from '../heat/tooltip';
import { canvasColors, useTheme } from '../use-theme';

const LEVELS = 5;
const RECOMPUTE_EVERY_TICKS = 5;

export function VcpuMatrixView({ live, snapshot }: { readonly live: LiveHistory; readonly snapshot: Snapshot }) {
  const theme = useTheme();
  const ref = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [hit, setHit] = useState<{ x: number; y: number; lines: string[] } | null>(null);
  // Kept up to date per frame (subtract the tick that left, add the new one), shares computed
  // at most every few frames: the matrix summarises the window, one tick changes it little.
  const acc = useRef<LiveMatrix | null>(null);
  const cols = useMemo(() => orderCpus(snapshot.topology.cpus), [snapshot.topology.cpus]);
  acc.current = updateLiveMatrix(acc.current, live, cols);
  const end = live.base + live.history.ticks.length;
  const bucket = Math.floor(end / RECOMPUTE_EVERY_TICKS);
  const snapRef = useRef(snapshot);
  snapRef.current = snapshot;
  const matrix = useMemo(
    () => liveMatrixView(acc.current ?? updateLiveMatrix(null, live, cols), snapRef.current),
    [live.epoch, bucket, cols],
  );
  const cellW = matrix.cols > 0 ? width / matrix.cols : 0;
  const rowH = Math.max(1, Math.min(16, Math.floor(480 / Math.max(1, matrix.rows))));

  useEffect(() => {
    const el = boxRef.current;
    if (el === null) return;
    const ro = new ResizeObserver((e) => setWidth(Math.floor(e[0]?.contentRect.width ?? 0)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (canvas == null || ctx == null || width <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.max(1, Math.round(matrix.rows * rowH * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const look = canvasColors(theme);
    const colors = palette(theme);
    ctx.fillStyle = look.background;
    ctx.fillRect(0, 0, width, matrix.rows * rowH);
    // One path per (colour, level), STYLE 6.
    const paths = new Map<number, Path2D>();
    const pinned = new Path2D();
    for (let r = 0; r < matrix.rows; r++) {
      const label = matrix.rowLabels[r];
      const color = label === undefined ? 0 : vmColorIndex(label.vm);
      for (let c = 0; c < matrix.cols; c++) {
        const i = r * matrix.cols + c;
        const s = matrix.share[i] ?? 0;
        if (matrix.pinned?.[i] === 1) pinned.rect(c * cellW + 0.5, r * rowH + 0.5, Math.max(1, cellW - 1), Math.max(1, rowH - 1));
        if (s <= 0) continue;
        const level = Math.min(LEVELS - 1, Math.floor(s * LEVELS));
        const key = color * LEVELS + level;
        let p = paths.get(key);
        if (p === undefined) {
          p = new Path2D();
          paths.set(key, p);
        }
        p.rect(c * cellW, r * rowH, Math.max(1, cellW), rowH);
      }
    }
    for (const [key, p] of paths) {
      ctx.globalAlpha = 0.25 + (0.75 * ((key % LEVELS) + 1)) / LEVELS;
      ctx.fillStyle = colors[Math.floor(key / LEVELS)] ?? look.mark;
      ctx.fill(p);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = look.mark;
    ctx.lineWidth = 1;
    ctx.stroke(pinned);
  }, [matrix, width, rowH, cellW, theme]);

  return (
    <div ref={boxRef} className="relative w-full" data-testid="vcpu-matrix">
      <canvas
        ref={ref}
        role="img"
        aria-label={`vCPU by pCPU matrix: ${matrix.rows} vCPUs, ${matrix.cols} pCPUs; share of the window's ticks on each pCPU, pinned cells outlined`}
        className="block w-full"
        style={{ height: matrix.rows * rowH }}
        onMouseMove={(e) => {
          const rect = e.currentTarget.getBoundingClientRect();
          const x = e.clientX - rect.left;
          const y = e.clientY - rect.top;
          const c = Math.floor(x / Math.max(1e-6, cellW));
          const r = Math.floor(y / rowH);
          const label = matrix.rowLabels[r];
          const cpu = matrix.colCpus[c];
          if (label === undefined || cpu === undefined) return setHit(null);
          const i = r * matrix.cols + c;
          setHit({
            x,
            y,
            lines: [`${label.vm} vCPU ${label.vcpu ?? '?'} (tid ${label.tid})`, `pCPU ${cpu}: ${formatShare(matrix.share[i] ?? 0)} of ${matrix.ticks[r] ?? 0} ticks`, matrix.pinned?.[i] === 1 ? 'pinned here' : 'not pinned here'],
          });
        }}
        onMouseLeave={() => setHit(null)}
      />
      {hit !== null ? <Tooltip x={hit.x} y={hit.y} lines={hit.lines} /> : null}
    </div>
  );
}
