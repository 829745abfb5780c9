import Link from 'next/link';
import type { ReactNode } from 'react';
import { ThemeToggle } from '@/components/theme-toggle';
import { TimeZoneSwitch } from '@/components/time/time-zone';

export default function DashboardLayout({ children }: { readonly children: ReactNode }) {
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-sky-600 focus:px-3 focus:py-1 focus:text-white">
        Skip to content
      </a>
      <header className="flex items-center gap-4 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <Link href="/" className="font-semibold tracking-tight">
          vcpumap
        </Link>
        <nav aria-label="Main" className="flex gap-3 text-sm">
          <Link href="/" className="hover:underline">
            Fleet
          </Link>
          <Link href="/analyze" className="hover:underline">
            Analyze
          </Link>
          <Link href="/wall" prefetch={false} className="hover:underline">
            Wall
          </Link>
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <TimeZoneSwitch />
          <ThemeToggle />
        </div>
      </header>
      <main id="main" className="px-4 py-4">
        {children}
      </main>
    </>
  );
}
