import type { Metadata } from 'next';
import Link from 'next/link';
import { cookies } from 'next/headers';
import type { ReactNode } from 'react';
import { ThemeToggle } from '@/components/theme-toggle';
import './globals.css';

export const metadata: Metadata = {
  title: 'vcpumap',
  description: 'Where every vCPU thread runs, where it may run, where it should run.',
};

export default async function RootLayout({ children }: { readonly children: ReactNode }) {
  // Dark unless the viewer chose light: the dashboard lives on operations screens.
  const theme = (await cookies()).get('vcpumap_theme')?.value === 'light' ? 'light' : 'dark';
  return (
    <html lang="en" className={theme === 'dark' ? 'dark' : ''}>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
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
          </nav>
          <div className="ml-auto">
            <ThemeToggle />
          </div>
        </header>
        <main id="main" className="px-4 py-4">
          {children}
        </main>
      </body>
    </html>
  );
}
