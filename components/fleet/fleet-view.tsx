'use client';
// The fleet: a tile per host, most urgent first. First data from the server; then the `tiles`
// deltas of the event stream (use-fleet-feed.ts). Search, filter and sort live in the URL. The
// grid renders only the rows near the screen (fleet-rows.ts): 2,000 hosts are 2,000 tiles.
import { useSearchParams } from 'next/navigation';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { fleetQueryString, FLEET_FILTERS, FLEET_SORTS, matchedVms, parseFleetQuery, selectTiles, type FleetFilter, type FleetQuery, type FleetTile } from '@/lib/ui/fleet-tiles';
import { fleetRows, type RowWindow } from '@/lib/ui/fleet-rows';
import { frameAge, isStale } from '@/lib/ui/format';
import { ConnectionIndicator } from '../live/connection-indicator';
import { Time } from '../time/time-zone';
import { useNow } from '../use-now';
import { HostTile, TILE_HEIGHT } from './host-tile';
import { useFleetFeed } from './use-fleet-feed';

const MIN_TILE_WIDTH = 272; // px (17rem)
const GAP = 12; // px

const FILTER_TEXT: Record<FleetFilter, string> = { all: 'all hosts', violations: 'in violation', stale: 'stale', clean: 'clean' };

/** The tiles the server renders: more than a first screen holds. */
export const FIRST_TILES = 48;

export function FleetView({ initialTiles, initialTotal, initialNow }: { readonly initialTiles: readonly FleetTile[]; readonly initialTotal: number; readonly initialNow: number }) {
  const { model, status, reference } = useFleetFeed(initialTiles, initialNow, initialTotal, { maxBackoffMs: 10_000, watchdogMs: 60_000 });
  const browserNow = useNow(initialNow);
  const now = reference(browserNow);
  // The query lives in the URL, written at once with the native history call (a reload right after
  // typing keeps it) and in React state (the router would re-render the page a beat later).
  const params = useSearchParams();
  const [q, setQ] = useState(() => parseFleetQuery(new URLSearchParams(params.toString())));
  useEffect(() => {
    const onPop = () => setQ(parseFleetQuery(new URLSearchParams(window.location.search)));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const setQuery = (over: Partial<FleetQuery>) => {
    const next = { ...q, ...over };
    window.history.replaceState(null, '', `${window.location.pathname}${fleetQueryString(next)}`);
    setQ(next);
  };
  const search = q.search;
  const tiles = selectTiles(model.list, q, now);
  const total = model.partialOf ?? model.list.length;

  const gridRef = useRef<HTMLUListElement>(null);
  const [rows, setRows] = useState<RowWindow | null>(null);
  useLayoutEffect(() => {
    const el = gridRef.current;
    if (el === null) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const box = el.getBoundingClientRect();
      setRows((prev) => {
        const next = fleetRows({ width: box.width, top: box.top, viewport: window.innerHeight, minTileWidth: MIN_TILE_WIDTH, tileHeight: TILE_HEIGHT, gap: GAP });
        return prev !== null && prev.cols === next.cols && prev.first === next.first && prev.last === next.last ? prev : next;
      });
    };
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(measure);
    };
    measure();
    const ro = new ResizeObserver(schedule);
    ro.observe(el);
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      ro.disconnect();
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, []);

  const cols = rows?.cols ?? 1;
  const start = rows === null ? 0 : rows.first * cols;
  const end = rows === null ? Math.min(tiles.length, FIRST_TILES) : Math.min(tiles.length, (rows.last + 1) * cols);
  const rowCount = Math.ceil(tiles.length / cols);
  const visible = tiles.slice(start, end);

  const first = useRef(true);
  useEffect(() => {
    if (first.current && visible.length > 0 && rows !== null) {
      first.current = false;
      performance.mark('vcpumap:fleet-ready');
    }
  });

  const disconnected = status === 'reconnecting';
  return (
    <section aria-labelledby="fleet-title">
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <h1 id="fleet-title" className="text-xl font-semibold">
          Fleet
        </h1>
        <ConnectionIndicator status={status} />
        {disconnected ? (
          <span className="text-sm font-semibold text-amber-800 dark:text-amber-300" data-testid="fleet-disconnected">
            disconnected, data as of <Time at={model.at} style="minutes" />
          </span>
        ) : null}
        <span className="text-sm text-slate-600 dark:text-slate-400" data-testid="fleet-count">
          {model.partialOf === null ? `${tiles.length} of ${total} hosts` : `${total} hosts, the first ${model.list.length} shown while the rest load`}
        </span>
        <div className="ml-auto flex flex-wrap items-center gap-2 text-sm">
          <label className="flex items-center gap-1">
            <span>Search</span>
            <input
              type="search"
              value={search}
              placeholder="host or VM name"
              className="w-48 rounded border border-slate-400 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-900"
              onChange={(e) => setQuery({ search: e.currentTarget.value })}
            />
          </label>
          <label className="flex items-center gap-1">
            <span>Show</span>
            <select
              value={q.filter}
              className="rounded border border-slate-400 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-900"
              onChange={(e) => setQuery({ filter: FLEET_FILTERS.find((f) => f === e.currentTarget.value) ?? 'all' })}
            >
              {FLEET_FILTERS.map((f) => (
                <option key={f} value={f}>
                  {FILTER_TEXT[f]}
                </option>
              ))}
            </select>
          </label>
          <label className="flex items-center gap-1">
            <span>Sort by</span>
            <select
              value={q.sort}
              className="rounded border border-slate-400 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-900"
              onChange={(e) => setQuery({ sort: FLEET_SORTS.find((s) => s === e.currentTarget.value) ?? 'violations' })}
            >
              <option value="violations">severity</option>
              <option value="host">host name</option>
              <option value="age">last frame (oldest first)</option>
              <option value="vcpus">vCPUs</option>
            </select>
          </label>
        </div>
      </div>
      {total === 0 ? (
        <p className="rounded border border-dashed border-slate-400 p-6">
          No host has reported yet. Run <code>npx vcpumap-agent --server URL --token TOKEN</code> on a hypervisor, or start the server with its embedded agent.
        </p>
      ) : tiles.length === 0 && model.partialOf === null ? (
        <p className="rounded border border-dashed border-slate-400 p-6" role="status" data-testid="fleet-empty">
          No host matches
          {search.trim() !== '' ? <> “{search.trim()}”</> : null}
          {q.filter !== 'all' ? <> among the hosts {FILTER_TEXT[q.filter]}</> : null} (
          <button
            type="button"
            className="text-sky-700 underline dark:text-sky-300"
            onClick={() => setQuery({ search: '', filter: 'all' })}
          >
            clear filters
          </button>
          ).
        </p>
      ) : null}
      <ul
        ref={gridRef}
        aria-label={`${tiles.length} hosts`}
        className="grid content-start"
        style={{
          gridTemplateColumns: `repeat(${rows === null ? `auto-fill, minmax(${MIN_TILE_WIDTH}px, 1fr)` : `${cols}, minmax(0, 1fr)`})`,
          gap: GAP,
          paddingTop: rows === null ? 0 : rows.first * (TILE_HEIGHT + GAP),
          height: rows === null ? undefined : Math.max(0, rowCount * (TILE_HEIGHT + GAP) - GAP),
        }}
      >
        {visible.map((t, i) => {
          const stale = isStale(t.lastSeen, now, t.intervalMs);
          return <HostTile key={t.host} tile={t} stale={stale} age={frameAge(t.lastSeen, now, t.intervalMs)} matched={matchedVms(t, search)} position={start + i + 1} setSize={tiles.length} />;
        })}
      </ul>
    </section>
  );
}
