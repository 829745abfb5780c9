'use client';
// vCPU x pCPU matrix: for each vCPU thread, the share of the window's ticks it spent on each pCPU
// (more opaque = more time), in its VM's colour or, by state, on pin / off pin / unpinned; pinned
// cells outlined. Rows are grouped by VM with its name beside them; above, pCPU ticks with socket
// and NUMA node bands. A chosen VM's rows keep their colour, the rest are dimmed.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { axisLabels, cpuBands, groupRowsByVm } from '@/lib/heatmap/bands';
import { matrixCellColor, statePalette, withDimmed } from '@/lib/heatmap/cell-colors';
import { orderCpus } from '@/lib/heatmap/timeline-cells';
import { liveMatrixView, updateLiveMatrix, type LiveMatrix } from '@/lib/heatmap/live-matrix';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import type { LiveHistory } from '@/lib/ui/live-history';
import { formatShare } from '@/lib/ui/format';
import type { ColorMode } from '@/lib/ui/url-state';
import { BandAxis } from '../heat/band-axis';
import { Tooltip } from '../heat/tooltip';
import { canvasColors, useTheme } from '../use-theme';
import { ShownName } from '@/components/shown-name';

const LEVELS = 5;
const RECOMPUTE_EVERY_TICKS = 5;
const GUTTER = 144; // px for the VM names
const NAME_GAP = 12; // px between two VM names at least

interface Props {
  readonly live: LiveHistory;
  readonly snapshot: Snapshot;
  readonly chosenVm?: string | null;
  readonly colorMode?: ColorMode;
}

export function VcpuMatrixView({ live, snapshot, chosenVm = null, colorMode = 'vm' }: Props) {
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
  const { order, groups } = useMemo(() => groupRowsByVm(matrix.rowLabels), [matrix.rowLabels]);
  const pinnedRows = useMemo(() => {
    // Rows with a pin at all (the others are unpinned).
    const out = new Uint8Array(matrix.rows);
    if (matrix.pinned !== null) for (let i = 0; i < matrix.pinned.length; i++) if (matrix.pinned[i] === 1) out[Math.floor(i / matrix.cols)] = 1;
    return out;
  }, [matrix]);
  const cellW = matrix.cols > 0 ? width / matrix.cols : 0;
  const rowH = Math.max(2, Math.min(16, Math.floor(720 / Math.max(1, matrix.rows))));
  const topo = snapshot.topology.cpus;
  const sockets = useMemo(() => cpuBands(matrix.colCpus, topo, 'socket'), [matrix.colCpus, topo]);
  const nodes = useMemo(() => cpuBands(matrix.colCpus, topo, 'node'), [matrix.colCpus, topo]);
  const ticks = useMemo(() => axisLabels(matrix.cols, cellW, 28).map((c) => ({ at: c, text: String(matrix.colCpus[c] ?? '') })), [matrix.cols, matrix.colCpus, cellW]);
  const names = useMemo(() => {
    const out: { vm: string; top: number; height: number }[] = [];
    let lastTop = -Infinity;
    for (const g of groups) {
      const top = g.start * rowH;
      if (top - lastTop < NAME_GAP) continue;
      out.push({ vm: g.vm, top, height: Math.max(NAME_GAP, (g.end - g.start) * rowH) });
      lastTop = top;
    }
    return out;
  }, [groups, rowH]);

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
    const byState = colorMode === 'state';
    const base = byState ? statePalette(theme) : palette(theme);
    const colors = withDimmed(base, look.background);
    ctx.fillStyle = look.background;
    ctx.fillRect(0, 0, width, matrix.rows * rowH);
    // One path per (colour, level), STYLE 6.
    const paths = new Map<number, Path2D>();
    const pinned = new Path2D();
    const outline = rowH >= 5 && cellW >= 5;
    for (let d = 0; d < matrix.rows; d++) {
      const r = order[d] ?? 0;
      const label = matrix.rowLabels[r];
      const dim = chosenVm !== null && label?.vm !== chosenVm ? base.length : 0;
      const vmColor = label === undefined ? 0 : vmColorIndex(label.vm);
      for (let c = 0; c < matrix.cols; c++) {
        const i = r * matrix.cols + c;
        const s = matrix.share[i] ?? 0;
        const isPinned = matrix.pinned?.[i] === 1;
        if (isPinned) {
          // An outline where rows are tall enough; in thin rows it would cover the cell, so a tick at its left edge.
          if (outline) pinned.rect(c * cellW + 0.5, d * rowH + 0.5, Math.max(1, cellW - 1), Math.max(1, rowH - 1));
          else pinned.rect(c * cellW, d * rowH, 1, rowH);
        }
        if (s <= 0) continue;
        const color = matrixCellColor(byState, pinnedRows[r] === 1, isPinned, vmColor, dim);
        const level = Math.min(LEVELS - 1, Math.floor(s * LEVELS));
        const key = color * LEVELS + level;
        let p = paths.get(key);
        if (p === undefined) {
          p = new Path2D();
          paths.set(key, p);
        }
        p.rect(c * cellW, d * rowH, Math.max(1, cellW), rowH);
      }
    }
    for (const [key, p] of paths) {
      ctx.globalAlpha = 0.25 + (0.75 * ((key % LEVELS) + 1)) / LEVELS;
      ctx.fillStyle = colors[Math.floor(key / LEVELS)] ?? look.mark;
      ctx.fill(p);
    }
    ctx.globalAlpha = 1;
    // A line between two VMs' rows.
    const seps = new Path2D();
    for (const g of groups.slice(1)) {
      seps.moveTo(0, g.start * rowH + 0.5);
      seps.lineTo(width, g.start * rowH + 0.5);
    }
    ctx.strokeStyle = look.grid;
    ctx.lineWidth = 1;
    ctx.stroke(seps);
    if (outline) {
      ctx.strokeStyle = look.mark;
      ctx.stroke(pinned);
    } else {
      ctx.fillStyle = look.mark;
      ctx.fill(pinned);
    }
    // For tests: the cells are on the canvas.
    canvas.setAttribute('data-drawn', String(matrix.rows));
  }, [matrix, width, rowH, cellW, theme, order, groups, pinnedRows, chosenVm, colorMode]);

  return (
    <div className="w-full" data-testid="vcpu-matrix">
      <div className="flex">
        <div className="shrink-0" style={{ width: GUTTER }} />
        <div ref={boxRef} className="min-w-0 flex-1">
          {width > 0 ? <BandAxis orientation="cols" step={cellW} count={matrix.cols} sockets={sockets} nodes={nodes} labels={ticks} /> : null}
        </div>
      </div>
      <div className="flex">
        <div className="relative shrink-0 overflow-hidden pr-2 text-right font-mono text-[11px] text-slate-700 dark:text-slate-300" style={{ width: GUTTER, height: matrix.rows * rowH }} aria-hidden data-testid="matrix-vm-names">
          {names.map((n) => (
            <div key={n.vm} className={`absolute right-2 left-0 truncate ${n.vm === chosenVm ? 'font-bold text-slate-950 dark:text-white' : ''}`} style={{ top: n.top, lineHeight: `${Math.min(n.height, 14)}px` }}>
              <ShownName value={n.vm} />
            </div>
          ))}
        </div>
        <div className="relative min-w-0 flex-1">
          <canvas
            ref={ref}
            role="img"
            aria-label={`vCPU by pCPU matrix: ${matrix.rows} vCPUs of ${groups.length} VMs (rows, by VM), ${matrix.cols} pCPUs (columns, topology order); share of the window's ticks on each pCPU, pinned cells outlined${chosenVm !== null ? `; ${chosenVm} highlighted` : ''}`}
            className="block w-full"
            style={{ height: matrix.rows * rowH }}
            onMouseMove={(e) => {
              const rect = e.currentTarget.getBoundingClientRect();
              const x = e.clientX - rect.left;
              const y = e.clientY - rect.top;
              const c = Math.floor(x / Math.max(1e-6, cellW));
              const r = order[Math.floor(y / rowH)];
              const label = r === undefined ? undefined : matrix.rowLabels[r];
              const cpu = matrix.colCpus[c];
              if (r === undefined || label === undefined || cpu === undefined) return setHit(null);
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
      </div>
    </div>
  );
}
