// The viewer-token rule of the read API (api/viewer.ts), for pages: the page's `?token=` and its
// request's headers (the vcpumap_token cookie the token form sets, or a bearer token).
import { headers } from 'next/headers';
import { viewerMayRead, type TokenSource } from './api/viewer';
import { getRuntime } from './runtime';

export type ViewAccess = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type SearchParams = Readonly<Record<string, string | string[] | undefined>>;

/** What a page's request presents, as the API's rule reads a request: its `token` parameter and its headers. */
export function pageTokenSource(searchParams: SearchParams, header: (name: string) => string | null): TokenSource {
  const q = searchParams.token;
  return { url: typeof q === 'string' ? `/?${new URLSearchParams({ token: q }).toString()}` : '/', header };
}

export async function checkPageAccess(searchParams: SearchParams): Promise<ViewAccess> {
  const rt = await getRuntime();
  const h = await headers();
  if (viewerMayRead(rt.config, pageTokenSource(searchParams, (n) => h.get(n)))) return { ok: true };
  return { ok: false, reason: 'This server needs a viewer token.' };
}
