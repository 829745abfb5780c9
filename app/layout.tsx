import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import type { ReactNode } from 'react';
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
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">{children}</body>
    </html>
  );
}
