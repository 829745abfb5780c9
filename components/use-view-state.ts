'use client';
// The view state of a page (window, selection), read from the URL and written back to it without
// a server round trip. A new window is a new history entry, so Back returns to the previous one; a
// selection replaces the current entry. Kept in React state as well: the page redraws at once
// whatever the router does with the native history call.
import { useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { parseViewState, viewQuery, type ViewState } from '@/lib/ui/url-state';

export type SetView = (state: ViewState, mode: 'push' | 'replace') => void;

export function useViewState(): [ViewState, SetView] {
  const params = useSearchParams();
  const [state, setState] = useState(() => parseViewState(new URLSearchParams(params.toString())));
  useEffect(() => {
    const onPop = () => setState(parseViewState(new URLSearchParams(window.location.search)));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const set = useCallback<SetView>((next, mode) => {
    const url = `${window.location.pathname}${viewQuery(next)}`;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    setState(next);
  }, []);
  return [state, set];
}
