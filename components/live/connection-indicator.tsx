'use client';
import type { StreamStatus } from './use-event-stream';

const LOOK: Record<StreamStatus | 'paused', { dot: string; text: string }> = {
  live: { dot: 'bg-emerald-500', text: 'Live' },
  connecting: { dot: 'bg-amber-400 animate-pulse', text: 'Connecting…' },
  reconnecting: { dot: 'bg-red-500 animate-pulse', text: 'Reconnecting…' },
  paused: { dot: 'bg-slate-400', text: 'Paused: past window' },
};

/** Live, connecting, reconnecting, or paused (an absolute window is shown). Text as well as colour. */
export function ConnectionIndicator({ status, scaled = false }: { readonly status: StreamStatus | 'paused'; /** Sized by the parent's font (the wall). */ readonly scaled?: boolean }) {
  const look = LOOK[status];
  return (
    <span role="status" aria-live="polite" data-connection={status} className={`inline-flex items-center gap-[0.4em] ${scaled ? '' : 'text-sm'}`}>
      <span aria-hidden className={`inline-block h-[0.7em] w-[0.7em] rounded-full ${look.dot}`} />
      {look.text}
    </span>
  );
}
