'use client';
// Dark or light. The choice is a cookie so the server renders the right class (no flash), and the
// canvases read it through useTheme.
import { useTheme } from './use-theme';

export function ThemeToggle() {
  const theme = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-200 dark:border-slate-700 dark:hover:bg-slate-800"
      title="Switch between the dark and the light theme"
      onClick={() => {
        document.documentElement.classList.toggle('dark', next === 'dark');
        document.cookie = `vcpumap_theme=${next}; path=/; max-age=31536000; samesite=lax`;
      }}
    >
      Toggle theme
    </button>
  );
}
