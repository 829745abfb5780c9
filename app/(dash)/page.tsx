import { FIRST_TILES, FleetView } from '@/components/fleet/fleet-view';
import { TokenGate } from '@/components/token-gate';
import { checkPageAccess } from '@/lib/server/page-access';
import { loadFleet } from '@/lib/server/views';
import { parseFleetQuery, selectTiles } from '@/lib/ui/fleet-tiles';

export const dynamic = 'force-dynamic';

export default async function FleetPage({ searchParams }: { readonly searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const access = await checkPageAccess(sp);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  // The first screen's tiles, in the URL's order: 2,000 tiles are 1.5 MB, and the page's event
  // stream sends them all at once anyway.
  const all = await loadFleet();
  const now = Date.now();
  const q = parseFleetQuery(new URLSearchParams(Object.entries(sp).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : []))));
  return <FleetView initialTiles={selectTiles(all, q, now).slice(0, FIRST_TILES)} initialTotal={all.length} initialNow={now} />;
}
