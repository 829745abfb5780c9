'use client';
// Live or a past window, and "Share": freeze the window to absolute times and copy the link.
import { useState } from 'react';
import { formatTime } from '@/lib/ui/format';

interface Props {
  readonly window: { readonly from: number; readonly to: number } | null;
  readonly onLive: () => void;
  /** Freezes the view to absolute times and returns the link to copy. */
  readonly onShare: () => string;
}

export function WindowBar({ window: win, onLive, onShare }: Props) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      {win === null ? (
        <span>Last 15 minutes, live</span>
      ) : (
        <>
          <span data-testid="window">
            {formatTime(win.from)} to {formatTime(win.to)}
          </span>
          <button type="button" onClick={onLive} className="rounded border border-slate-300 px-2 py-0.5 dark:border-slate-700">
            Back to live
          </button>
        </>
      )}
      <button
        type="button"
        className="rounded bg-sky-700 px-2 py-0.5 text-white hover:bg-sky-600"
        onClick={() => {
          const link = onShare();
          void navigator.clipboard
            ?.writeText(link)
            .then(() => setCopied('Link copied'))
            .catch(() => setCopied(link));
          if (navigator.clipboard === undefined) setCopied(link);
        }}
      >
        Share
      </button>
      {copied !== null ? (
        <span role="status" className="break-all text-xs text-slate-600 dark:text-slate-400">
          {copied}
        </span>
      ) : null}
    </div>
  );
}
