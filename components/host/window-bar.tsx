'use client';
// The window of a host or VM view: range presets (the server's live window, or 1 h to 7 d following
// the present, lib/ui/time-range.ts), the resolution the history answer has, "Back to live" for a
// past window, "Share" (freeze the window to absolute times and copy a link others can open), and
// the window on screen as CSV or JSON, and, for a host in exact mode, its scheduler trace for
// Perfetto (GET /api/v1/hosts/{host}/trace, ftrace text: open it at ui.perfetto.dev).
import { useState } from 'react';
import { ApiError, fetchTrace } from '@/lib/api/client';
import type { History } from '@/lib/api/history';
import { exportFileName, historyCsv, historyJson } from '@/lib/ui/history-export';
import { liveWindowText, parseRange, RANGES, resolutionText, type RangeKey } from '@/lib/ui/time-range';
import { frozenWindow, viewQuery, type ViewState } from '@/lib/ui/url-state';
import { useLiveWindow } from '../live-window';
import { useShareLink } from '../share-base';
import { useFormatTime } from '../time/time-zone';
import type { SetView } from '../use-view-state';

interface Props {
  readonly view: ViewState;
  readonly setView: SetView;
  /** The history on screen, or null while it loads. */
  readonly history: History | null;
  readonly host: string;
  readonly vm: string | null;
  /** The time of the frame shown (the fallback end of a window with no ticks yet). */
  readonly at: number;
  /** The host's snapshot is in exact mode: its agent keeps a trace of the recent past. */
  readonly exact?: boolean;
}

function save(text: string | Blob, type: string, name: string): void {
  const url = URL.createObjectURL(typeof text === 'string' ? new Blob([text], { type }) : text);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const BUTTON = 'rounded border border-slate-400 px-2 py-0.5 hover:bg-slate-200 dark:border-slate-600 dark:hover:bg-slate-800';

export function WindowBar({ view, setView, history, host, vm, at, exact = false }: Props) {
  const formatTime = useFormatTime();
  const shareLink = useShareLink();
  const [copied, setCopied] = useState<string | null>(null);
  const liveMs = useLiveWindow();
  const liveText = liveWindowText(liveMs);
  const range = view.window === null ? parseRange(view.range ?? null) : null;
  const active: RangeKey | null = view.window !== null ? null : (range?.key ?? '15m');

  const pick = (key: RangeKey) => {
    const next: ViewState = { window: null, cpu: view.cpu, vcpu: view.vcpu, vm: view.vm, color: view.color, zoom: null, ...(key === '15m' ? {} : { range: key }) };
    setView(next, 'push');
  };
  const share = () => {
    const { range: _following, ...rest } = view;
    const next: ViewState = { ...rest, window: frozenWindow(view, history, at, liveMs) };
    setView(next, 'push');
    const link = shareLink(`${window.location.pathname}${viewQuery(next)}`);
    const clip = navigator.clipboard;
    if (clip === undefined) setCopied(link);
    else
      void clip
        .writeText(link)
        .then(() => setCopied(`Link copied: ${link}`))
        .catch(() => setCopied(link));
  };
  const download = (kind: 'csv' | 'json') => {
    if (history === null) return;
    const name = exportFileName(host, vm, history.from, history.to, kind);
    if (kind === 'csv') save(historyCsv(history), 'text/csv;charset=utf-8', name);
    else save(historyJson(history), 'application/json', name);
  };

  const [tracing, setTracing] = useState(false);
  const downloadTrace = () => {
    const w = frozenWindow(view, history, at, liveMs);
    setTracing(true);
    setCopied('Fetching the trace from the agent…');
    void fetchTrace(host, w)
      .then((trace) => {
        save(trace.blob, 'text/plain', trace.fileName);
        setCopied(`Trace saved (${trace.events ?? '?'} events): open it at ui.perfetto.dev with "Open trace file"`);
      })
      .catch((err: unknown) => setCopied(`No trace: ${err instanceof ApiError ? err.reason : err instanceof Error ? err.message : String(err)}`))
      .finally(() => setTracing(false));
  };

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <div role="group" aria-label="Time range" className="flex flex-wrap gap-1">
        {RANGES.map((r) => (
          <button key={r.key} type="button" aria-pressed={active === r.key} className={`${BUTTON} aria-pressed:bg-sky-700 aria-pressed:text-white`} onClick={() => pick(r.key)}>
            {r.key === '15m' ? `${liveText.label} live` : r.label}
          </button>
        ))}
      </div>
      {view.window === null ? (
        <span data-testid="window">{range === null ? `Last ${liveText.words}, live` : `Last ${range.label}, following the present`}</span>
      ) : (
        <>
          <span data-testid="window">
            {formatTime(view.window.from)} to {formatTime(view.window.to)}
          </span>
          <button type="button" onClick={() => pick('15m')} className={BUTTON}>
            Back to live
          </button>
        </>
      )}
      {history !== null ? (
        <span data-testid="resolution" data-step={history.stepMs ?? 'full'} className="text-slate-600 dark:text-slate-400">
          ({resolutionText(history.stepMs)})
        </span>
      ) : null}
      <button type="button" className="rounded bg-sky-700 px-2 py-0.5 text-white hover:bg-sky-600" onClick={share}>
        Share
      </button>
      <button type="button" className={BUTTON} disabled={history === null} onClick={() => download('csv')}>
        Download CSV
      </button>
      <button type="button" className={BUTTON} disabled={history === null} onClick={() => download('json')}>
        Download JSON
      </button>
      {exact && vm === null ? (
        <button
          type="button"
          className={BUTTON}
          disabled={tracing}
          title="The scheduler's events of this window (kept by the agent for the recent past) as an ftrace text file: open it at ui.perfetto.dev"
          onClick={downloadTrace}
        >
          Download trace for Perfetto
        </button>
      ) : null}
      {copied !== null ? (
        <span role="status" data-testid="share-link" className="break-all text-xs text-slate-600 dark:text-slate-400">
          {copied}
        </span>
      ) : null}
    </div>
  );
}
