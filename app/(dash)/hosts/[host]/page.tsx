import { HostView } from '@/components/host/host-view';
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
  readonly params: Promise<{ host: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export async function generateMetadata({ params, searchParams }: Props) {
  // Next.js hands generateMetadata its params decoded already (the page gets them encoded).
  return previewMetadata((await params).host, null, await searchParams);
}

export default async function HostPage({ params, searchParams }: Props) {
  const sp = await searchParams;
  const access = await checkPageAccess(sp);
  if (!access.ok) return <TokenGate reason={access.reason} />;
  const host = decodeSegment((await params).host);
  const view = parseViewState(sp);
  const snapshot = await loadSnapshot(host, view.window?.to ?? null);
  if (snapshot === null) {
    return (
      <p role="alert" className="text-lg">
        No frame from host <span className="font-mono">{host}</span>
        {view.window === null ? ' yet' : ' in that window'}.
      </p>
    );
  }
  const now = Date.now();
  return (
    <LiveWindowProvider ms={await liveWindowMs()}>
      <PreloadHistory host={host} view={view} now={now} counters={wantsCounters('host', snapshot)} />
      <HostView host={host} initialSnapshot={snapshotProp(snapshot)} initialNow={now} />
    </LiveWindowProvider>
  );
}
