'use client';
// The wall: the fleet on an operations-room screen for days. Always dark, fills the screen without
// scrollbars at any size (tiles shrink as hosts are added), violations loud, stale hosts greyed
// with their age, reconnects by itself and says so.
import { useEffect, useRef, useState } from 'react';
import useSWR from 'swr';
import { selectTiles, type FleetTile } from '@/lib/ui/fleet-tiles';
import { formatAge, formatTime, isStale } from '@/lib/ui/format';
import { wallGrid } from '@/lib/ui/wall-grid';
import { fetchJson } from '../fetch-json';
import { MiniTopology } from '../fleet/mini-topology';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useEventStream } from '../live/use-event-stream';
import { useNow } from '../use-now';

export function WallView({ initialTiles, initialNow }: { readonly initialTiles: readonly FleetTile[]; readonly initialNow: number }) {
  const { data, mutate } = useSWR<readonly FleetTile[]>('/api/v1/fleet', fetchJson, { fallbackData: initialTiles, revalidateOnMount: false, refreshInterval: 30_000 });
  const status = useEventStream('/api/v1/stream', { fleet: () => void mutate() });
  const now = useNow(initialNow);
  const tiles = selectTiles(data ?? initialTiles, { search: '', filter: 'all', sort: 'violations' }, now);
  const gridRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  useEffect(() => {
    const el = gridRef.current;
    if (el === null) return;
    const ro = new ResizeObserver((e) => {
      const r = e[0]?.contentRect;
      if (r !== undefined) setSize({ w: Math.floor(r.width), h: Math.floor(r.height) });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { cols, rows } = wallGrid(tiles.length, size.w, size.h);
  const tileW = size.w / cols;
  const tileH = size.h / rows;
  const font = Math.max(10, Math.min(48, tileH / 9, tileW / 14));
  const inViolation = tiles.filter((t) => t.violations > 0).length;
  const stale = tiles.filter((t) => isStale(t.lastSeen, now, t.intervalMs)).length;

  return (
    <div className="dark fixed inset-0 flex flex-col overflow-hidden bg-slate-950 text-slate-100" data-testid="wall">
      <div className="flex items-center gap-6 px-4 py-2 text-lg">
        <span className="font-semibold">vcpumap</span>
        <span>{tiles.length} hosts</span>
        <span className={inViolation > 0 ? 'font-bold text-red-400' : 'text-slate-400'}>{inViolation} in violation</span>
        <span className={stale > 0 ? 'font-bold text-amber-300' : 'text-slate-400'}>{stale} stale</span>
        <ConnectionIndicator status={status} />
        <span className="ml-auto font-mono text-slate-400">{formatTime(now)}</span>
      </div>
      <div ref={gridRef} className="grid min-h-0 flex-1 gap-1 p-1" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${rows}, minmax(0, 1fr))` }}>
        {tiles.map((t) => {
          const old = isStale(t.lastSeen, now, t.intervalMs);
          const loud = t.worst === 'critical' ? 'border-red-500 bg-red-950' : t.worst === 'warning' ? 'border-amber-400 bg-amber-950/60' : 'border-slate-700';
          return (
            <div
              key={t.host}
              data-testid="wall-tile"
              data-host={t.host}
              className={`flex min-h-0 min-w-0 flex-col overflow-hidden rounded border-4 p-1 ${old ? 'border-dashed border-slate-500 opacity-50 grayscale' : loud}`}
              style={{ fontSize: font }}
            >
              <div className="flex items-baseline gap-2 leading-tight">
                <span className="truncate font-mono font-semibold">{t.host}</span>
                <span className="ml-auto whitespace-nowrap text-[0.7em] text-slate-400">{old ? `STALE ${formatAge(now - t.lastSeen)}` : formatAge(now - t.lastSeen)}</span>
              </div>
              <div className="min-h-0 flex-1 py-0.5">
                <MiniTopology tile={t} width={Math.max(20, tileW - 16)} height={Math.max(8, tileH - font * 3.2)} theme="dark" />
              </div>
              <div className={`leading-tight ${t.violations > 0 ? 'font-bold text-red-300' : 'text-slate-400'}`}>
                {t.violations > 0 ? `▲ ${t.violations} violation${t.violations === 1 ? '' : 's'}` : `${t.vcpus} vCPUs, ok`}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
