'use client';
// The server's live window (VCPUMAP_LIVE_WINDOW_MINUTES), given by the host and VM pages: what
// "live" fetches, keeps and says. The browser never assumes one of its own.
import { createContext, useContext, type ReactNode } from 'react';

const LiveWindow = createContext<number | null>(null);

export function LiveWindowProvider({ ms, children }: { readonly ms: number; readonly children: ReactNode }) {
  return <LiveWindow.Provider value={ms}>{children}</LiveWindow.Provider>;
}

/** The live window in ms; only under a LiveWindowProvider (a page that was given it). */
export function useLiveWindow(): number {
  const ms = useContext(LiveWindow);
  if (ms === null) throw new Error('useLiveWindow: no LiveWindowProvider above (the page must pass the server\'s live window)');
  return ms;
}
