'use client';
// Starts the download of a view's first history while the page's JavaScript loads: the browser
// fetches it from this hint and the view's fetch of the same URL is served from it.
import { preload } from 'react-dom';
import { historyUrl } from './use-host-data';
import { LIVE_WINDOW_MS } from '@/lib/ui/url-state';

export function PreloadHistory({ host, window: win, now }: { readonly host: string; readonly window: { from: number; to: number } | null; readonly now: number }) {
  preload(historyUrl(host, win ?? { from: now - LIVE_WINDOW_MS, to: now }), { as: 'fetch', crossOrigin: 'anonymous' });
  return null;
}
