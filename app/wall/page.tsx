import { TokenGate } from '@/components/token-gate';
import { WallView } from '@/components/wall/wall-view';
import { checkPageAccess } from '@/lib/server/page-access';
import { loadFleet } from '@/lib/server/views';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'vcpumap wall' };

export default async function WallPage({ searchParams }: { readonly searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await checkPageAccess(await searchParams);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  return <WallView initialTiles={await loadFleet()} initialNow={Date.now()} />;
}
