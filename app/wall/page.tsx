import { TokenGate } from '@/components/token-gate';
import { WALL_FIRST_ALL, WallView } from '@/components/wall/wall-view';
import { checkPageAccess } from '@/lib/server/page-access';
import { loadFleet } from '@/lib/server/views';
import { wallOrder } from '@/lib/ui/wall-layout';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'vcpumap wall' };

export default async function WallPage({ searchParams }: { readonly searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const access = await checkPageAccess(await searchParams);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  const all = await loadFleet();
  const now = Date.now();
  // A big fleet's first render: the hosts needing attention; the stream's first event brings the rest.
  const first = all.length <= WALL_FIRST_ALL ? all : wallOrder(all, now).flatMap((h) => (h.state === 'clean' ? [] : [h.tile]));
  return <WallView initialTiles={first} initialTotal={all.length} initialNow={now} />;
}
