'use client';
// The fleet: a tile per host. First data from the server; then `fleet` events over SSE trigger a
// SWR revalidation of /api/v1/fleet. Search, filter and sort live in the URL.
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import useSWR from 'swr';
import { fleetQueryString, FLEET_FILTERS, FLEET_SORTS, parseFleetQuery, selectTiles, type FleetQuery, type FleetTile } from '@/lib/ui/fleet-tiles';
import { fetchJson } from '../fetch-json';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useEventStream } from '../live/use-event-stream';
import { useNow } from '../use-now';
import { HostTile } from './host-tile';

export function FleetView({ initialTiles, initialNow }: { readonly initialTiles: readonly FleetTile[]; readonly initialNow: number }) {
  const { data, mutate } = useSWR<readonly FleetTile[]>('/api/v1/fleet', fetchJson, { fallbackData: initialTiles, revalidateOnMount: false });
  const status = useEventStream('/api/v1/stream', { fleet: () => void mutate() });
  const now = useNow(initialNow);
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const q = parseFleetQuery(new URLSearchParams(params.toString()));
  const setQuery = (over: Partial<FleetQuery>) => router.replace(`${pathname}${fleetQueryString({ ...q, ...over })}`, { scroll: false });
  const tiles = selectTiles(data ?? initialTiles, q, now);
  const total = (data ?? initialTiles).length;

  return (
    <section aria-labelledby="fleet-title">
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <h1 id="fleet-title" className="text-xl font-semibold">
          Fleet
        </h1>
        <ConnectionIndicator status={status} />
        <span className="text-sm text-slate-500 dark:text-slate-400">
          {tiles.length} of {total} hosts
        </span>
        <div className="ml-auto flex flex-wrap items-center gap-2 text-sm">
          <label className="flex items-center gap-1">
            <span>Search</span>
            <input
              type="search"
              defaultValue={q.search}
              placeholder="host or VM name"
              className="w-48 rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
              onChange={(e) => setQuery({ search: e.currentTarget.value })}
            />
          </label>
          <label className="flex items-center gap-1">
            <span>Show</span>
            <select
              value={q.filter}
              className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
              onChange={(e) => setQuery({ filter: FLEET_FILTERS.find((f) => f === e.currentTarget.value) ?? 'all' })}
            >
              <option value="all">all hosts</option>
              <option value="violations">in violation</option>
              <option value="stale">stale</option>
              <option value="clean">clean</option>
            </select>
          </label>
          <label className="flex items-center gap-1">
            <span>Sort by</span>
            <select
              value={q.sort}
              className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
              onChange={(e) => setQuery({ sort: FLEET_SORTS.find((s) => s === e.currentTarget.value) ?? 'violations' })}
            >
              <option value="violations">violations</option>
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
      ) : (
        <ul className="grid grid-cols-[repeat(auto-fill,minmax(17rem,1fr))] gap-3">
          {tiles.map((t) => (
            <HostTile key={t.host} tile={t} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}
