'use client';
// One host of the fleet: name, age, its topology in miniature, what is wrong (critical in red,
// warnings in amber, with their kinds; shape and words as well as colour), and its VMs, or the
// ones a search matched. Fixed height (TILE_HEIGHT): the fleet grid is virtualised by rows.
import Link from 'next/link';
import { memo } from 'react';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { hostPath } from '@/lib/ui/url-state';
import { MiniTopology } from './mini-topology';

/** px, border included. */
export const TILE_HEIGHT = 168;
const MINI_WIDTH = 240;
const MINI_HEIGHT = 56;

export type TileLook = 'critical' | 'warning' | 'stale' | 'clean';

export function tileLook(tile: FleetTile, stale: boolean): TileLook {
  if (stale) return 'stale';
  if (tile.critical > 0) return 'critical';
  return tile.violations > 0 ? 'warning' : 'clean';
}

const BORDER: Record<TileLook, string> = {
  critical: 'border-red-600 dark:border-red-500',
  warning: 'border-amber-500 dark:border-amber-400',
  stale: 'border-dashed border-slate-400 dark:border-slate-500',
  clean: 'border-slate-200 dark:border-slate-800',
};

function counts(tile: FleetTile): string {
  const parts: string[] = [];
  if (tile.critical > 0) parts.push(`${tile.critical} critical`);
  if (tile.warnings > 0) parts.push(`${tile.warnings} warning${tile.warnings === 1 ? '' : 's'}`);
  const other = tile.violations - tile.critical - tile.warnings;
  if (other > 0) parts.push(`${other} notice${other === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

interface Props {
  readonly tile: FleetTile;
  readonly stale: boolean;
  /** "4 s ago", as formatAgo gives it. */
  readonly age: string;
  /** The VMs a search matched (names), or empty. */
  readonly matched: readonly string[];
  readonly position: number; // 1-based, of setSize
  readonly setSize: number;
}

function HostTileItem({ tile, stale, age, matched, position, setSize }: Props) {
  const look = tileLook(tile, stale);
  const highlight = matched.map((m) => tile.vms.indexOf(m)).filter((i) => i >= 0);
  const text = counts(tile);
  return (
    <li data-testid="host-tile" data-host={tile.host} data-stale={stale ? '1' : '0'} data-look={look} aria-posinset={position} aria-setsize={setSize}>
      <Link
        href={hostPath(tile.host)}
        prefetch={false}
        style={{ height: TILE_HEIGHT }}
        className={`flex flex-col overflow-hidden rounded-lg border-2 px-3 py-2 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-slate-900 ${BORDER[look]}`}
      >
        <div className="flex items-baseline gap-2">
          <h2 className="truncate font-mono text-base font-semibold" title={tile.host}>
            {tile.host}
          </h2>
          <span className="ml-auto shrink-0 whitespace-nowrap text-xs text-slate-600 dark:text-slate-400" data-testid="tile-age">
            {stale ? `unknown, last seen ${age}` : age}
          </span>
        </div>
        <div className="my-1.5 flex items-center" style={{ height: MINI_HEIGHT }}>
          <MiniTopology tile={tile} width={MINI_WIDTH} height={MINI_HEIGHT} highlight={highlight} />
        </div>
        <div className="flex flex-wrap gap-x-3 text-sm">
          <span>{tile.vms.length} VMs</span>
          <span>{tile.vcpus} vCPUs</span>
          <span
            data-testid="tile-violations"
            className={look === 'critical' ? 'font-semibold text-red-700 dark:text-red-400' : tile.violations > 0 ? 'font-semibold text-amber-800 dark:text-amber-300' : 'text-slate-600 dark:text-slate-400'}
          >
            {tile.violations > 0 ? (
              <>
                <span aria-hidden>{tile.critical > 0 ? '▲ ' : '△ '}</span>
                {text}
              </>
            ) : (
              'no violations'
            )}
          </span>
        </div>
        {tile.kinds.length > 0 ? (
          <p className="truncate text-xs text-slate-700 dark:text-slate-300" data-testid="tile-kinds" title={tile.kinds.join(', ')}>
            {tile.kinds.join(', ')}
          </p>
        ) : null}
        {matched.length > 0 ? (
          <p className="truncate text-xs" data-testid="tile-match" title={matched.join(', ')}>
            VM match:{' '}
            {matched.slice(0, 3).map((m, i) => (
              <span key={m}>
                {i > 0 ? ', ' : ''}
                <mark className="rounded bg-sky-200 px-0.5 text-slate-950 dark:bg-sky-300">{m}</mark>
              </span>
            ))}
            {matched.length > 3 ? ` and ${matched.length - 3} more` : ''}
          </p>
        ) : tile.vms.length > 0 ? (
          <p className="truncate text-xs text-slate-600 dark:text-slate-400" title={tile.vms.join(', ')}>
            {tile.vms.join(', ')}
          </p>
        ) : null}
      </Link>
    </li>
  );
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Re-rendered only when what it shows changed: a live update replaces the objects of the hosts
 * that changed, an age alone gives a copy that keeps the tile's arrays (lib/ui/fleet-model.ts).
 */
export const HostTile = memo(
  HostTileItem,
  (a, b) =>
    a.stale === b.stale &&
    a.age === b.age &&
    a.position === b.position &&
    a.setSize === b.setSize &&
    same(a.matched, b.matched) &&
    a.tile.host === b.tile.host &&
    a.tile.violations === b.tile.violations &&
    a.tile.critical === b.tile.critical &&
    a.tile.warnings === b.tile.warnings &&
    a.tile.vcpus === b.tile.vcpus &&
    a.tile.cells === b.tile.cells &&
    a.tile.marks === b.tile.marks &&
    a.tile.rows === b.tile.rows &&
    a.tile.vms === b.tile.vms &&
    a.tile.kinds === b.tile.kinds,
);
