'use client';
// Starts the download of a view's first history while the page's JavaScript loads: the browser
// fetches it from this hint and the view's fetch of the same URL is served from it.
import { preload } from 'react-dom';
import type { ViewState } from '@/lib/ui/url-state';
import { useLiveWindow } from './live-window';
import { viewHistoryUrl } from './use-host-data';

export function PreloadHistory({ host, view, now, counters = false }: { readonly host: string; readonly view: ViewState; readonly now: number; readonly counters?: boolean }) {
  preload(viewHistoryUrl(host, view, now, useLiveWindow(), counters), { as: 'fetch', crossOrigin: 'anonymous' });
  return null;
}
