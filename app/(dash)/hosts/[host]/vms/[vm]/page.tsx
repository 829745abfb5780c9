import { VmView } from '@/components/vm/vm-view';
import { PreloadHistory } from '@/components/preload-history';
import { TokenGate } from '@/components/token-gate';
import { checkPageAccess } from '@/lib/server/page-access';
import { previewMetadata } from '@/lib/server/preview/preview-metadata';
import { LiveWindowProvider } from '@/components/live-window';
import { liveWindowMs, loadSnapshot } from '@/lib/server/views';
import { snapshotProp } from '@/lib/api/snapshot-prop';
import { wantsCounters } from '@/lib/ui/live-history';
import { decodeSegment, parseViewState } from '@/lib/ui/url-state';

export const dynamic = 'force-dynamic';

interface Props {
  readonly params: Promise<{ host: string; vm: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export async function generateMetadata({ params, searchParams }: Props) {
  const p = await params;
  // Next.js hands generateMetadata its params decoded already (the page gets them encoded).
  return previewMetadata(p.host, p.vm, await searchParams);
}

export default async function VmPage({ params, searchParams }: Props) {
  const sp = await searchParams;
  const access = await checkPageAccess(sp);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  const p = await params;
  const host = decodeSegment(p.host);
  const vm = decodeSegment(p.vm);
  const view = parseViewState(sp);
  const snapshot = await loadSnapshot(host, view.window?.to ?? null);
  if (snapshot === null) {
    return (
      <p role="alert" className="text-lg">
        No frame from host <span className="font-mono">{host}</span>.
      </p>
    );
  }
  const now = Date.now();
  return (
    <LiveWindowProvider ms={await liveWindowMs()}>
      <PreloadHistory host={host} view={view} now={now} counters={wantsCounters('vm', snapshot)} />
      <VmView host={host} vm={vm} initialSnapshot={snapshotProp(snapshot)} initialNow={now} />
    </LiveWindowProvider>
  );
}
