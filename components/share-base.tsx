'use client';
// Where shared links point: VCPUMAP_PUBLIC_URL when the server has it (from the root layout),
// else the address this browser uses.
import { createContext, useContext, type ReactNode } from 'react';

const ShareBase = createContext<string | null>(null);

export function ShareBaseProvider({ base, children }: { readonly base: string | null; readonly children: ReactNode }) {
  return <ShareBase.Provider value={base}>{children}</ShareBase.Provider>;
}

/** The absolute link to `pathAndQuery` ("/hosts/hv-1?from=…") that others can open. */
export function useShareLink(): (pathAndQuery: string) => string {
  const base = useContext(ShareBase);
  return (pathAndQuery) => `${base ?? window.location.origin}${pathAndQuery}`;
}
