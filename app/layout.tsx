import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import type { ReactNode } from 'react';
import { ShareBaseProvider } from '@/components/share-base';
import { TimeZoneProvider } from '@/components/time/time-zone';
import { publicBaseUrl, publicUrlFromEnv } from '@/lib/server/public-url';
import { parseZone, TIME_ZONE_COOKIE } from '@/lib/ui/time-zone';
import { decodeSegment } from '@/lib/ui/url-state';
import './globals.css';

export async function generateMetadata(): Promise<Metadata> {
  // Absolute preview and page URLs (og:image, og:url) are made against the public address.
  const base = publicBaseUrl(await headers());
  return {
    metadataBase: new URL(`${base}/`),
    title: 'vcpumap',
    description: 'Where every vCPU thread runs, where it may run, where it should run.',
  };
}

export default async function RootLayout({ children }: { readonly children: ReactNode }) {
  const jar = await cookies();
  // Dark unless the viewer chose light: the dashboard lives on operations screens.
  const theme = jar.get('vcpumap_theme')?.value === 'light' ? 'light' : 'dark';
  const tz = jar.get(TIME_ZONE_COOKIE)?.value;
  const zone = parseZone(tz === undefined ? null : decodeSegment(tz));
  return (
    <html lang="en" className={theme === 'dark' ? 'dark' : ''}>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <TimeZoneProvider zone={zone}>
          <ShareBaseProvider base={publicUrlFromEnv()}>{children}</ShareBaseProvider>
        </TimeZoneProvider>
      </body>
    </html>
  );
}
