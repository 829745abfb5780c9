'use client';
// The wall: the fleet on an operations-room screen for days. Always dark; attention first (hosts
// in violation and hosts with no fresh frame get tiles with their names whole, clean hosts fold
// into a band or a count: lib/ui/wall-layout.ts); type scales with the screen; never a scrollbar.
// When the server is lost, one banner says how old the data is and the tiles keep their state;
// the stream comes back by itself (a watchdog reopens one that went silent).
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { frameAge } from '@/lib/ui/format';
import {
  bandLabel,
  grouped,
  cleanParts,
  kindParts,
  MORE_KEY,
  moreText,
  separator,
  statusParts,
  wallLayout,
  wallOrder,
  wallScale,
  type TileBox,
  type Typeset,
  type WallHost,
  type WallState,
} from '@/lib/ui/wall-layout';
import { MiniTopology } from '../fleet/mini-topology';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useFleetFeed } from '../fleet/use-fleet-feed';
import { Time } from '../time/time-zone';
import { useNow } from '../use-now';
import { canvasMeasure, DETAIL_FONT, NAME_FONT } from './text-measure';
import { CleanBand } from './clean-band';

const HEADER = 52; // px at scale 1

const LOOK: Record<WallState, { tile: string; name: string; detail: string }> = {
  critical: { tile: 'border-solid border-red-500 bg-red-950', name: 'text-white', detail: 'text-red-100' },
  warning: { tile: 'border-solid border-amber-400 bg-amber-950', name: 'text-white', detail: 'text-amber-100' },
  unknown: { tile: 'border-dashed border-slate-400 bg-slate-800', name: 'text-slate-100', detail: 'text-slate-200' },
  clean: { tile: 'border-solid border-slate-700 bg-slate-900', name: 'text-slate-100', detail: 'text-slate-300' },
};

/** Parts on a line the browser may wrap only between, as the layout counted them. */
function Parts({ parts, list }: { readonly parts: readonly string[]; readonly list: 'status' | 'kinds' }) {
  return (
    <>
      {parts.map((p, i) => (
        <span key={i}>
          {separator(parts, i, list)}
          <span className="whitespace-nowrap">{p}</span>
        </span>
      ))}
    </>
  );
}

interface TileProps {
  readonly box: TileBox;
  readonly type: Typeset;
  readonly host: WallHost;
  readonly age: string;
}

function WallTile({ box, type, host, age }: TileProps) {
  const look = LOOK[host.state];
  const status = host.state === 'clean' ? cleanParts(host.tile, age) : statusParts(host.tile, host.state, age);
  const kinds = host.state === 'clean' ? [] : kindParts(host.tile, host.state);
  return (
    <div
      data-testid="wall-tile"
      data-host={host.tile.host}
      data-state={host.state}
      className={`absolute box-border overflow-hidden rounded ${look.tile}`}
      style={{ left: box.x, top: box.y, width: box.w, height: box.h, borderWidth: type.border, padding: `${type.padY}px ${type.padX}px` }}
    >
      <div
        data-testid="wall-name"
        className={`font-bold ${look.name}`}
        style={{ fontFamily: NAME_FONT, fontSize: type.name, lineHeight: 1.2, whiteSpace: box.nameLines === 1 ? 'nowrap' : 'normal', overflowWrap: 'anywhere' }}
      >
        {host.tile.host}
      </div>
      <div data-testid="wall-status" className={look.detail} style={{ fontFamily: DETAIL_FONT, fontSize: type.detail, lineHeight: 1.2 }}>
        <Parts parts={status} list="status" />
      </div>
      {kinds.length > 0 ? (
        <div data-testid="wall-kinds" className={look.detail} style={{ fontFamily: DETAIL_FONT, fontSize: type.detail, lineHeight: 1.2 }}>
          <Parts parts={kinds} list="kinds" />
        </div>
      ) : null}
      {type.mini > 0 ? (
        <div style={{ marginTop: type.padY }}>
          <MiniTopology tile={host.tile} width={box.w - 2 * (type.padX + type.border)} height={type.mini} theme="dark" />
        </div>
      ) : null}
    </div>
  );
}

function MoreTile({ box, type, text }: { readonly box: TileBox; readonly type: Typeset; readonly text: { name: string; detail: string[] } }) {
  return (
    <div
      data-testid="wall-more"
      className="absolute box-border overflow-hidden rounded border-solid border-slate-300 bg-slate-800"
      style={{ left: box.x, top: box.y, width: box.w, height: box.h, borderWidth: type.border, padding: `${type.padY}px ${type.padX}px` }}
    >
      {/* In the font the layout measured it with (the host names'): never cut. */}
      <div className="font-bold text-white" style={{ fontFamily: NAME_FONT, fontSize: type.name, lineHeight: 1.2, whiteSpace: 'nowrap' }}>
        {text.name}
      </div>
      <div className="text-slate-200" style={{ fontFamily: DETAIL_FONT, fontSize: type.detail, lineHeight: 1.2 }}>
        <Parts parts={text.detail} list="status" />
      </div>
    </div>
  );
}

/** What the layout depends on: the order, states and texts of the hosts, not their ages. */
function signature(hosts: readonly WallHost[]): string {
  let s = '';
  for (const h of hosts) {
    const t = h.tile;
    s += h.state === 'clean' ? `${t.host}\u0001${t.vms.length}\n` : `${t.host}\u0001${h.state}\u0001${t.critical}\u0001${t.warnings}\u0001${t.violations}\u0001${t.kinds.join(',')}\n`;
  }
  return s;
}

/** Up to this many hosts the server renders the wall with every tile; beyond, those needing attention. */
export const WALL_FIRST_ALL = 300;

export function WallView({ initialTiles, initialTotal, initialNow }: { readonly initialTiles: readonly FleetTile[]; readonly initialTotal: number; readonly initialNow: number }) {
  const { model, status, reference } = useFleetFeed(initialTiles, initialNow, initialTotal, { maxBackoffMs: 5000, watchdogMs: 45_000 });
  // Rendered with the hosts needing attention only: the others are clean, counted until they come.
  const unseen = model.partialOf === null ? 0 : model.partialOf - model.list.length;
  const browserNow = useNow(initialNow);
  const now = reference(browserNow);
  const hosts = wallOrder(model.list, now);

  const bodyRef = useRef<HTMLDivElement>(null);
  const [screen, setScreen] = useState({ w: 0, h: 0, bodyW: 0, bodyH: 0 });
  useEffect(() => {
    const el = bodyRef.current;
    if (el === null) return;
    const read = () => {
      const r = el.getBoundingClientRect();
      setScreen({ w: window.innerWidth, h: window.innerHeight, bodyW: Math.floor(r.width), bodyH: Math.floor(r.height) });
    };
    const ro = new ResizeObserver(read);
    ro.observe(el);
    window.addEventListener('resize', read);
    read();
    return () => {
      ro.disconnect();
      window.removeEventListener('resize', read);
    };
  }, []);
  const scale = wallScale(screen.w, screen.h);
  const measure = useMemo(() => (typeof document === 'undefined' ? null : canvasMeasure()), []);
  const sig = signature(hosts);
  const layout = useMemo(
    () => (measure === null || screen.bodyW <= 0 || screen.bodyH <= 0 ? null : wallLayout(hosts, screen.bodyW, screen.bodyH, scale, measure, unseen)),
    // The hosts are in `sig`: a new array of the same hosts must not lay the wall out again.
    [sig, screen.bodyW, screen.bodyH, scale, measure, unseen],
  );
  const clean = layout?.clean ?? { mode: 'none' as const };
  // Only the hosts that get a tile: the clean ones only when they are named.
  const byHost = new Map<string, WallHost>();
  const counts: Record<WallState, number> = { critical: 0, warning: 0, unknown: 0, clean: 0 };
  for (const h of hosts) {
    counts[h.state]++;
    if (h.state !== 'clean' || clean.mode === 'tiles') byHost.set(h.tile.host, h);
  }

  const ready = useRef(false);
  useEffect(() => {
    if (!ready.current && layout !== null && unseen === 0) {
      ready.current = true;
      performance.mark('vcpumap:wall-ready');
    }
  });

  const count = (s: WallState) => counts[s];
  const disconnected = status !== 'live' && status !== 'connecting';
  const headerPx = Math.round(22 * scale);

  return (
    <div className="dark fixed inset-0 flex flex-col overflow-hidden bg-slate-950 text-slate-100" data-testid="wall">
      {disconnected ? (
        // Over the header, never above the tiles: losing the server must not move or hide a tile.
        <div
          role="alert"
          data-testid="wall-banner"
          className="absolute inset-x-0 top-0 z-10 bg-red-800 text-center font-bold whitespace-nowrap text-white"
          style={{ height: Math.round(HEADER * scale), lineHeight: `${Math.round(HEADER * scale)}px`, fontSize: headerPx }}
        >
          disconnected, data as of <Time at={model.at} style="minutes" />
        </div>
      ) : null}
      <div className="flex shrink-0 items-center gap-[1em] px-[0.6em] whitespace-nowrap" style={{ height: Math.round(HEADER * scale), fontSize: headerPx }}>
        <h1 className="font-semibold">vcpumap wall</h1>
        <span>{grouped(hosts.length + unseen)} host{hosts.length + unseen === 1 ? '' : 's'}</span>
        <span className={count('critical') > 0 ? 'font-bold text-red-300' : 'text-slate-300'}>{count('critical')} critical</span>
        <span className={count('warning') > 0 ? 'font-bold text-amber-300' : 'text-slate-300'}>{count('warning')} warning</span>
        <span className={count('unknown') > 0 ? 'font-bold text-slate-100' : 'text-slate-300'}>{count('unknown')} unknown</span>
        <span className="text-slate-300">{count('clean') + unseen} clean</span>
        <ConnectionIndicator status={status} scaled />
        <span className="ml-auto font-mono text-slate-300">
          <Time at={now} style="clock" />
        </span>
      </div>
      <div ref={bodyRef} className="relative min-h-0 flex-1 overflow-hidden" style={{ margin: Math.round(6 * scale) }}>
        {layout === null
          ? null
          : layout.tiles.map((box) => {
              if (box.key === MORE_KEY) return layout.more === null ? null : <MoreTile key={box.key} box={box} type={layout.type} text={moreText(layout.more)} />;
              const h = byHost.get(box.key);
              return h === undefined ? null : <WallTile key={box.key} box={box} type={layout.type} host={h} age={frameAge(h.tile.lastSeen, now, h.tile.intervalMs)} />;
            })}
        {clean.mode === 'tiles'
          ? clean.tiles.map((box) => {
              const h = byHost.get(box.key);
              return h === undefined ? null : <WallTile key={box.key} box={box} type={clean.type} host={h} age={frameAge(h.tile.lastSeen, now, h.tile.intervalMs)} />;
            })
          : null}
        {clean.mode === 'band' || clean.mode === 'count' ? (
          <div className="absolute left-0 text-slate-200" style={{ top: clean.y }} data-testid="wall-clean">
            <div style={{ fontFamily: DETAIL_FONT, fontSize: clean.labelPx, lineHeight: 1.2 }}>{bandLabel(clean.count, layout?.tiles.length === 0)}</div>
            {clean.mode === 'band' ? (
              <div style={{ marginTop: Math.round(4 * scale) }}>
                <CleanBand count={clean.count} cols={clean.cols} rows={clean.rows} cell={clean.cell} />
              </div>
            ) : null}
          </div>
        ) : null}
        {hosts.length + unseen === 0 ? <p style={{ fontSize: Math.round(28 * scale) }}>No host has reported yet.</p> : null}
      </div>
    </div>
  );
}
