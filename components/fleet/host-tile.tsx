'use client';
import Link from 'next/link';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { formatAge, isStale } from '@/lib/ui/format';
import { hostPath } from '@/lib/ui/url-state';
import { MiniTopology } from './mini-topology';

const SEVERITY_LOOK = {
  critical: 'border-red-600 dark:border-red-500',
  warning: 'border-amber-500',
  info: 'border-sky-500',
} as const;

export function HostTile({ tile, now }: { readonly tile: FleetTile; readonly now: number }) {
  const stale = isStale(tile.lastSeen, now, tile.intervalMs);
  const border = tile.worst === null ? 'border-slate-200 dark:border-slate-800' : SEVERITY_LOOK[tile.worst];
  return (
    <li data-testid="host-tile" data-host={tile.host} data-stale={stale ? '1' : '0'}>
      <Link
        href={hostPath(tile.host)}
        prefetch={false}
        className={`block rounded-lg border-2 p-3 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-slate-900 ${border} ${stale ? 'border-dashed opacity-60' : ''}`}
      >
        <div className="flex items-baseline gap-2">
          <h2 className="truncate font-mono text-base font-semibold" title={tile.host}>
            {tile.host}
          </h2>
          {stale ? <span className="rounded bg-slate-500 px-1.5 text-xs font-semibold uppercase text-white">stale</span> : null}
          <span className="ml-auto text-xs text-slate-500 dark:text-slate-400" title="age of the last frame">
            {formatAge(now - tile.lastSeen)} ago
          </span>
        </div>
        <div className="my-2">
          <MiniTopology tile={tile} width={240} />
        </div>
        <div className="flex flex-wrap gap-x-3 text-sm">
          <span>{tile.vms.length} VMs</span>
          <span>{tile.vcpus} vCPUs</span>
          <span data-testid="tile-violations" className={tile.violations > 0 ? 'font-semibold text-red-700 dark:text-red-400' : 'text-slate-500 dark:text-slate-400'}>
            {tile.violations > 0 ? `▲ ${tile.violations} violation${tile.violations === 1 ? '' : 's'}` : 'no violations'}
          </span>
        </div>
        {tile.vms.length > 0 ? (
          <p className="mt-1 truncate text-xs text-slate-500 dark:text-slate-400" title={tile.vms.join(', ')}>
            {tile.vms.join(', ')}
          </p>
        ) : null}
      </Link>
    </li>
  );
}
