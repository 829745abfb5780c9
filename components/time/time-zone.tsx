'use client';
// The viewer's choice of UTC or local time: the root layout reads the cookie and provides it, the
// switch changes it (and the cookie) without a reload. Times render through useFormatTime or
// <Time>, so the server's HTML and the browser's first render agree.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { formatInZone, parseZone, TIME_ZONE_COOKIE, UTC, zoneLabel } from '@/lib/ui/time-zone';

interface ZoneChoice {
  readonly zone: string;
  readonly setZone: (zone: string) => void;
}

const ZoneContext = createContext<ZoneChoice>({ zone: UTC, setZone: () => {} });

export function TimeZoneProvider({ zone: initial, children }: { readonly zone: string; readonly children: ReactNode }) {
  const [zone, setZoneState] = useState(initial);
  const setZone = useCallback((z: string) => {
    const next = parseZone(z);
    document.cookie = `${TIME_ZONE_COOKIE}=${encodeURIComponent(next)}; path=/; max-age=31536000; samesite=lax`;
    setZoneState(next);
  }, []);
  const value = useMemo(() => ({ zone, setZone }), [zone, setZone]);
  return <ZoneContext.Provider value={value}>{children}</ZoneContext.Provider>;
}

export function useTimeZone(): string {
  return useContext(ZoneContext).zone;
}

/** formatTime in the viewer's zone: "2026-11-24 16:01:21Z" or "2026-11-24 17:01:21+01:00". */
export function useFormatTime(): (at: number) => string {
  const zone = useTimeZone();
  return useCallback((at: number) => formatInZone(at, zone, 'seconds'), [zone]);
}

/** A time in the viewer's zone, machine-readable too. */
export function Time({ at, style = 'seconds' }: { readonly at: number; readonly style?: 'seconds' | 'minutes' | 'clock' }) {
  const zone = useTimeZone();
  return <time dateTime={Number.isFinite(at) ? new Date(at).toISOString() : undefined}>{formatInZone(at, zone, style)}</time>;
}

/** UTC or the browser's zone; the button says what the times are in now. */
export function TimeZoneSwitch() {
  const { zone, setZone } = useContext(ZoneContext);
  return (
    <button
      type="button"
      data-testid="time-zone-switch"
      data-zone={zone}
      className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-200 dark:border-slate-700 dark:hover:bg-slate-800"
      title={zone === UTC ? 'Show times in this browser’s time zone' : 'Show times in UTC'}
      onClick={() => setZone(zone === UTC ? (Intl.DateTimeFormat().resolvedOptions().timeZone ?? UTC) : UTC)}
    >
      Times: {zoneLabel(zone)}
    </button>
  );
}
