import { FleetView } from '@/components/fleet/fleet-view';
import { TokenGate } from '@/components/token-gate';
import { checkPageAccess } from '@/lib/server/page-access';
import { loadFleet } from '@/lib/server/views';

export const dynamic = 'force-dynamic';

export default async function FleetPage({ searchParams }: { readonly searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await checkPageAccess(await searchParams);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  return <FleetView initialTiles={await loadFleet()} initialNow={Date.now()} />;
}
