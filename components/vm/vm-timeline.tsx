'use client';
// The VM timeline: a row per thread of the VM (vCPUs, then emulator and I/O threads), a column per
// tick, coloured by the pCPU it was on (viridis over the topology order); hot-plugged vCPUs marked
// where they appear.
import { useCallback, useMemo, useState } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { pcpuPalette } from '@/lib/heatmap/pcpu-colors';
import { vcpuAppearances, vmRows, vmTimelineCells } from '@/lib/heatmap/vm-timeline-cells';
import type { History } from '@/lib/api/history';
import type { LiveHistory } from '@/lib/ui/live-history';
import { HeatCanvas, type HeatHit, type ZoomSpan } from '../heat/heat-canvas';
import { Tooltip } from '../heat/tooltip';
import { canvasColors, useTheme } from '../use-theme';
import { useFormatTime } from '../time/time-zone';
import type { ThreadRole } from '@/lib/model/types';
import { shownText } from '@/lib/ui/shown-text';

const ROLE_SHORT: Readonly<Record<ThreadRole, string>> = { vcpu: 'vCPU', emulator: 'emu', iothread: 'io', vhost: 'vhost', other: 'other', unknown: '?' };

interface Props {
  readonly live: LiveHistory;
  readonly snapshot: Snapshot;
  readonly vm: string;
  readonly onBrush: (from: number, to: number) => void;
  readonly zoom: ZoomSpan | null;
  readonly onZoom: (zoom: ZoomSpan | null) => void;
}

export function VmTimeline({ live, snapshot, vm, onBrush, zoom, onZoom }: Props) {
  const formatTime = useFormatTime();
  const theme = useTheme();
  const look = canvasColors(theme);
  const h = live.history;
  const nThreads = h.threads.length;
  // Rows change when a thread appears (hot-plug) or the history is replaced.
  const rows = useMemo(() => vmRows(live.history, vm), [live.epoch, nThreads, vm]);
  const pal = useMemo(() => pcpuPalette(snapshot.topology.cpus), [snapshot.topology.cpus]);
  const geometry = useCallback((hist: History, x0: number, x1: number, w: number, hh: number) => vmTimelineCells(hist, rows, { width: w, height: hh, x0, x1 }, pal.indexOf), [rows, pal]);
  const [hit, setHit] = useState<HeatHit | null>(null);
  const rowHeight = Math.max(6, Math.min(22, Math.floor(360 / Math.max(1, rows.length))));
  const plugs = vcpuAppearances(h, rows);

  const labelOf = (th: number): string => {
    const t = h.threads[th];
    if (t === undefined) return '?';
    return t.role === 'vcpu' ? `vCPU ${t.vcpu ?? '?'}` : `${ROLE_SHORT[t.role]}: ${shownText(t.name)}`;
  };

  let tip: string[] | null = null;
  if (hit !== null && hit.thread !== null) {
    const t = h.threads[hit.thread];
    const p = h.pcpu[hit.tick]?.[hit.thread];
    const ran = h.ran?.[hit.tick]?.[hit.thread];
    const at = h.ticks[hit.tick];
    tip = [`${labelOf(hit.thread)} (tid ${t?.tid ?? '?'}, ${t?.name ?? ''})`, `on pCPU ${p ?? '?'}${ran === 0 ? ' (stale)' : ''}`, at === undefined ? '' : formatTime(at)];
  }

  return (
    <div>
      <div className="relative flex" data-testid="vm-timeline">
        <div className="w-28 shrink-0 text-right text-[11px] leading-none text-slate-600 dark:text-slate-400" aria-hidden>
          {rows.map((th) => (
            <div key={th} className="truncate pr-2" style={{ height: rowHeight, lineHeight: `${rowHeight}px` }}>
              {labelOf(th)}
            </div>
          ))}
        </div>
        <div className="relative min-w-0 flex-1">
          <HeatCanvas
            live={live}
            rows={rows.length}
            geometry={geometry}
            configKey={`${theme}:${rows.join(',')}:${pal.colors.length}`}
            palette={pal.colors}
            background={look.background}
            markColor={look.mark}
            rowHeight={rowHeight}
            label={`Timeline of the ${rows.length} threads of ${vm}, coloured by pCPU`}
            columnMarks={plugs.map((p) => p.tick)}
            zoom={zoom}
            onZoom={onZoom}
            onHover={setHit}
            onBrush={(x0, x1) => {
              const from = h.ticks[x0];
              const last = h.ticks[x1 - 1];
              if (from !== undefined && last !== undefined) onBrush(from, last + (live.history.stepMs ?? 1000));
            }}
          />
          {hit !== null && tip !== null ? <Tooltip x={hit.x} y={hit.y} lines={tip.filter((l) => l !== '')} /> : null}
        </div>
      </div>
      <div className="mt-2 flex flex-wrap items-center gap-1 text-xs" aria-label="pCPU colours">
        <span>pCPU colours, in topology order:</span>
        {pal.colors.map((c, i) => (
          <span key={i} className="inline-flex items-center gap-0.5">
            <span className="inline-block h-3 w-3" style={{ backgroundColor: c }} />
            <span className="font-mono">{pal.labels[i]}</span>
          </span>
        ))}
      </div>
      <ul className="mt-2 text-sm" data-testid="hotplug-events">
        {plugs.length === 0 ? (
          <li className="text-slate-600 dark:text-slate-400">No vCPU hot-plugged in this window (a hot-plug shows as ▼ and a dashed line on the timeline).</li>
        ) : (
          plugs.map((p) => (
            <li key={p.thread}>
              <span aria-hidden>▼ </span>vCPU {p.vcpu ?? '?'} appeared at {formatTime(h.ticks[p.tick] ?? 0)}
            </li>
          ))
        )}
      </ul>
    </div>
  );
}
