'use client';
// The data of a host (or VM) view: the snapshot (server-rendered first, then SWR), the history of
// the window (SWR), and, when live, new frames over SSE (format=frames: a structure when it
// changes, then one compact tick per frame) expanded into the snapshot and appended to the
// history as its column. A `gap` event (the stream missed frames) refetches the history, and so
// does a first live frame that comes well after the fetched history's end (missedAfterFetch).
import { startTransition, useCallback, useEffect, useRef, useState } from 'react';
import useSWR, { useSWRConfig } from 'swr';
import type { Snapshot } from '@/lib/model/snapshot';
import { fetchHistory, fetchSnapshot, streamDecoders } from '@/lib/api/client';
import type { History } from '@/lib/api/history';
import { appendFrame, liveHistory, missedAfterFetch, type LiveHistory } from '@/lib/ui/live-history';
import { parseRange, refreshEvery, stepForWindow } from '@/lib/ui/time-range';
import { historyWindow, type ViewState } from '@/lib/ui/url-state';
import { expandTick, type CompactTick } from '@/lib/wire/compact-tick';
import type { StructureBody } from '@/lib/wire/structure-body';
import { useLiveWindow } from './live-window';
import { useEventStream, type StreamStatus } from './live/use-event-stream';

export interface HostData {
  readonly snapshot: Snapshot;
  readonly live: LiveHistory | null;
  readonly status: StreamStatus | 'paused';
  readonly historyError: Error | null;
}

const BUFFER = 64;

/** A stream event that is not what the contract says: dropped, and said in the console. */
function reportStreamError(err: unknown): void {
  console.error(err instanceof Error ? err.message : err);
}

/** The history URL of a host's window; the page preloads the first one so the fetch starts before hydration. `counters`: with run and wait time and exact mode's figures. */
export function historyUrl(host: string, win: { readonly from: number; readonly to: number }, stepMs: number | null = null, counters = false): string {
  return `/api/v1/hosts/${encodeURIComponent(host)}/history?from=${win.from}&to=${win.to}${stepMs === null ? '' : `&step=${stepMs}`}${counters ? '&counters=1' : ''}`;
}

/** The bucket width a view asks for: its range preset's, or one that suits its absolute window (lib/ui/time-range.ts). */
export function viewStep(view: ViewState): number | null {
  if (view.window !== null) return stepForWindow(view.window.to - view.window.from);
  return parseRange(view.range ?? null)?.stepMs ?? null;
}

/** The history URL of a view whose live window (`liveWindowMs`, the server's) or range ends at `anchor`. */
export function viewHistoryUrl(host: string, view: ViewState, anchor: number, liveWindowMs: number, counters = false): string {
  return historyUrl(host, historyWindow(view, anchor, liveWindowMs), viewStep(view), counters);
}

/** `initialAnchor`: the server's time when it rendered the page, the end of the first live window. `counters`: wantsCounters (lib/ui/live-history.ts). */
export function useHostData(host: string, view: ViewState, initialSnapshot: Snapshot, initialAnchor: number, counters = false): HostData {
  const enc = encodeURIComponent(host);
  const liveMs = useLiveWindow();
  const past = view.window;
  const range = past === null ? parseRange(view.range ?? null) : null;
  // The live window is anchored when live starts (or after a gap); new frames extend it. A range
  // is anchored again after each answer (below): bucketed answers are fetched anew, not extended.
  const [anchor, setAnchor] = useState(initialAnchor);
  const mode = past !== null ? 'past' : (range?.key ?? 'live');
  const lastMode = useRef(mode);
  useEffect(() => {
    if (lastMode.current !== mode && mode !== 'past') setAnchor(Date.now());
    lastMode.current = mode;
  }, [mode]);

  const snapKey = past === null ? `/api/v1/hosts/${enc}/snapshot` : `/api/v1/hosts/${enc}/snapshot?at=${past.to}`;
  const { data: fetched } = useSWR<Snapshot>(snapKey, fetchSnapshot, {
    fallbackData: initialSnapshot,
    keepPreviousData: true,
    revalidateOnFocus: past === null,
    revalidateOnMount: past !== null,
  });
  const histKey = viewHistoryUrl(host, view, anchor, liveMs, counters);
  const { data: history, error } = useSWR<History, Error>(histKey, fetchHistory, { revalidateOnFocus: false, revalidateIfStale: false, keepPreviousData: true });
  // A range moves on a bucket or so after its last answer came (never while one is on its way).
  useEffect(() => {
    if (range === null || history === undefined) return;
    const t = setTimeout(() => setAnchor(Date.now()), refreshEvery(range));
    return () => clearTimeout(t);
  }, [range, history]);
  // One history in SWR's cache at a time: a range fetches a new window every bucket, for days.
  const { cache } = useSWRConfig();
  const shownKey = useRef(histKey);
  useEffect(() => {
    if (shownKey.current !== histKey && history !== undefined) {
      cache.delete(shownKey.current);
      shownKey.current = histKey;
    }
  }, [histKey, history, cache]);

  const [live, setLive] = useState<LiveHistory | null>(null);
  // Live snapshots go to React state, not to SWR's cache: SWR's store updates always render
  // synchronously, while a transition lets React split a big host's re-render into short tasks.
  const [pushed, setPushed] = useState<Snapshot | null>(null);
  const recent = useRef<{ body: StructureBody; tick: CompactTick }[]>([]);
  // The fetched live history's end and newest tick, until the first frame after its end: frames
  // between the two were sent before the stream opened, and a second fetch fills them in.
  const fetchedEnd = useRef<{ to: number; newest: number } | null>(null);
  const checkMissed = useCallback((tick: CompactTick): void => {
    const f = fetchedEnd.current;
    if (f === null || tick.at <= f.to) return;
    fetchedEnd.current = null;
    if (missedAfterFetch(f.newest, tick.at, tick.intervalMs)) setAnchor(Date.now());
  }, []);
  useEffect(() => {
    if (history === undefined) return;
    // For bench:ui: when the page had the history (fetched and parsed) in its hands.
    if (performance.getEntriesByName('vcpumap:history-received', 'mark').length === 0) performance.mark('vcpumap:history-received');
    let lh = liveHistory(history);
    fetchedEnd.current = past === null && history.stepMs === null ? { to: history.to, newest: history.ticks[history.ticks.length - 1] ?? history.to } : null;
    if (past === null) {
      for (const f of recent.current) {
        checkMissed(f.tick);
        lh = appendFrame(lh, f.body, f.tick, liveMs);
      }
    }
    startTransition(() => setLive(lh));
  }, [history, past, liveMs, checkMissed]);

  // The structure the stream sent last: it sends one before the first tick that names it.
  const structure = useRef<{ hash: string; body: StructureBody } | null>(null);
  // Events are decoded (checked against the contract) in order, once the decoders are loaded.
  const onStructure = useCallback((data: string) => {
    void streamDecoders()
      .then((d) => {
        structure.current = d.structure(data);
      })
      .catch(reportStreamError);
  }, []);
  const onTick = useCallback((data: string) => {
    void streamDecoders()
      .then((d) => {
        const got = d.tick(data, (hash) => (structure.current?.hash === hash ? structure.current.body : undefined));
        if (got === null) return;
        const { tick, body } = got;
        checkMissed(tick);
        const s = expandTick(body, tick);
        recent.current = [...recent.current.slice(-(BUFFER - 1)), { body, tick }];
        startTransition(() => {
          setPushed(s);
          setLive((prev) => (prev === null ? prev : appendFrame(prev, body, tick, liveMs)));
        });
      })
      .catch(reportStreamError);
  }, [liveMs, checkMissed]);
  const status = useEventStream(past === null ? `/api/v1/stream?host=${enc}&format=frames` : null, {
    structure: onStructure,
    tick: onTick,
    gap: () => setAnchor(Date.now()),
  });

  const snapshot = past === null && pushed !== null && pushed.at >= (fetched?.at ?? 0) ? pushed : (fetched ?? initialSnapshot);
  return { snapshot, live, status: past === null ? status : 'paused', historyError: error ?? null };
}
