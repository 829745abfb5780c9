'use client';
// The current theme, from the `dark` class on <html>, following changes.
import { useSyncExternalStore } from 'react';
import type { Theme } from '@/lib/heatmap/vm-colors';

function subscribe(onChange: () => void): () => void {
  const mo = new MutationObserver(onChange);
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  return () => mo.disconnect();
}

export function useTheme(): Theme {
  return useSyncExternalStore(
    subscribe,
    () => (document.documentElement.classList.contains('dark') ? 'dark' : 'light'),
    () => 'dark',
  );
}

/** Canvas colours that follow the theme (the Tailwind slate scale). */
export function canvasColors(theme: Theme): { background: string; mark: string; grid: string; text: string } {
  return theme === 'dark'
    ? { background: '#0f172a', mark: '#ffffff', grid: '#334155', text: '#cbd5e1' }
    : { background: '#ffffff', mark: '#000000', grid: '#cbd5e1', text: '#334155' };
}
