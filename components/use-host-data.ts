'use client';
// The data of a host (or VM) view: the snapshot (server-rendered first, then SWR), the history of
// the window (SWR), and, when live, new frames over SSE (format=frames: a structure when it
// changes, then one compact tick per frame) expanded into the snapshot and appended to the
// history as its column. A `gap` event (the stream missed frames) refetches the history.
import { startTransition, useCallback, useEffect, useRef, useState } from 'react';
import useSWR from 'swr';
import type { Snapshot } from '@/lib/model/snapshot';
import type { History } from '@/lib/server/store/store';
import { appendFrame, liveHistory, type LiveHistory } from '@/lib/ui/live-history';
import { expandTick, type CompactTick } from '@/lib/wire/compact-tick';
import type { StructureBody } from '@/lib/wire/structure-body';
import { LIVE_WINDOW_MS, type ViewState } from '@/lib/ui/url-state';
import { fetchJson } from './fetch-json';
import { useEventStream, type StreamStatus } from './live/use-event-stream';

export interface HostData {
  readonly snapshot: Snapshot;
  readonly live: LiveHistory | null;
  readonly status: StreamStatus | 'paused';
  readonly historyError: Error | null;
}

const BUFFER = 64;

/** The history URL of a host's window; the page preloads the first one so the fetch starts before hydration. */
export function historyUrl(host: string, win: { readonly from: number; readonly to: number }): string {
  return `/api/v1/hosts/${encodeURIComponent(host)}/history?from=${win.from}&to=${win.to}`;
}

/** `initialAnchor`: the server's time when it rendered the page, the end of the first live window. */
export function useHostData(host: string, view: ViewState, initialSnapshot: Snapshot, initialAnchor: number): HostData {
  const enc = encodeURIComponent(host);
  const past = view.window;
  // The live window is anchored when live starts (or after a gap); new frames extend it.
  const [anchor, setAnchor] = useState(initialAnchor);
  const wasPast = useRef(past !== null);
  useEffect(() => {
    if (wasPast.current && past === null) setAnchor(Date.now());
    wasPast.current = past !== null;
  }, [past]);
  const win = past ?? { from: anchor - LIVE_WINDOW_MS, to: anchor };

  const snapKey = past === null ? `/api/v1/hosts/${enc}/snapshot` : `/api/v1/hosts/${enc}/snapshot?at=${past.to}`;
  const { data: fetched } = useSWR<Snapshot>(snapKey, fetchJson, {
    fallbackData: initialSnapshot,
    keepPreviousData: true,
    revalidateOnFocus: past === null,
    revalidateOnMount: past !== null,
  });
  const histKey = historyUrl(host, win);
  const { data: history, error } = useSWR<History, Error>(histKey, fetchJson, { revalidateOnFocus: false, revalidateIfStale: false, keepPreviousData: true });

  const [live, setLive] = useState<LiveHistory | null>(null);
  // Live snapshots go to React state, not to SWR's cache: SWR's store updates always render
  // synchronously, while a transition lets React split a big host's re-render into short tasks.
  const [pushed, setPushed] = useState<Snapshot | null>(null);
  const recent = useRef<{ body: StructureBody; tick: CompactTick }[]>([]);
  useEffect(() => {
    if (history === undefined) return;
    let lh = liveHistory(history);
    if (past === null) for (const f of recent.current) lh = appendFrame(lh, f.body, f.tick, LIVE_WINDOW_MS);
    startTransition(() => setLive(lh));
  }, [history, past]);

  // The structure the stream sent last: it sends one before the first tick that names it.
  const structure = useRef<{ hash: string; body: StructureBody } | null>(null);
  const onStructure = useCallback((data: string) => {
    structure.current = JSON.parse(data);
  }, []);
  const onTick = useCallback((data: string) => {
    const tick: CompactTick = JSON.parse(data);
    const body = structure.current?.hash === tick.structure ? structure.current.body : undefined;
    if (body === undefined) return;
    const s = expandTick(body, tick);
    recent.current = [...recent.current.slice(-(BUFFER - 1)), { body, tick }];
    startTransition(() => {
      setPushed(s);
      setLive((prev) => (prev === null ? prev : appendFrame(prev, body, tick, LIVE_WINDOW_MS)));
    });
  }, []);
  const status = useEventStream(past === null ? `/api/v1/stream?host=${enc}&format=frames` : null, {
    structure: onStructure,
    tick: onTick,
    gap: () => setAnchor(Date.now()),
  });

  const snapshot = past === null && pushed !== null && pushed.at >= (fetched?.at ?? 0) ? pushed : (fetched ?? initialSnapshot);
  return { snapshot, live, status: past === null ? status : 'paused', historyError: error ?? null };
}
