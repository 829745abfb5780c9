// Times in UTC or in the viewer's zone (an IANA name such as "Europe/Berlin"). The choice is a
// cookie (TIME_ZONE_COOKIE) holding the zone itself, so the server renders the same text as the
// browser. Pure: Intl does the zone arithmetic, formatters are cached per zone.

export const UTC = 'UTC';
export const TIME_ZONE_COOKIE = 'vcpumap_tz';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (formatters.size > 16) formatters.clear(); // a few zones per process at most; never unbounded
    formatters.set(zone, f);
  }
  return f;
}

/** A zone name Intl knows, else UTC: the cookie is untrusted text. */
export function parseZone(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '' || text.length > 64 || text === UTC) return UTC;
  try {
    formatter(text);
    return text;
  } catch {
    return UTC;
  }
}

interface WallParts {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
  readonly s: number;
}

function wallParts(at: number, zone: string): WallParts {
  const out = { y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const p of formatter(zone).formatToParts(at)) {
    const n = Number(p.value);
    if (p.type === 'year') out.y = n;
    else if (p.type === 'month') out.mo = n;
    else if (p.type === 'day') out.d = n;
    else if (p.type === 'hour') out.h = n;
    else if (p.type === 'minute') out.mi = n;
    else if (p.type === 'second') out.s = n;
  }
  return out;
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms (+3600000 for CET in winter). */
export function zoneOffsetMs(at: number, zone: string): number {
  if (zone === UTC || !Number.isFinite(at)) return 0;
  const p = wallParts(at, zone);
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return asUtc - Math.floor(at / 1000) * 1000;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "+01:00", "-05:30", or "Z" for no offset in UTC. */
export function offsetText(offsetMs: number, zone: string): string {
  if (zone === UTC) return 'Z';
  const m = Math.round(Math.abs(offsetMs) / 60_000);
  return `${offsetMs < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/**
 * `seconds`: "2026-11-24 16:01:21Z" / "2026-11-24 17:01:21+01:00"; `minutes`: "16:01" (the wall's
 * "data as of"); `clock`: "16:01:21".
 */
export function formatInZone(at: number, zone: string, style: 'seconds' | 'minutes' | 'clock'): string {
  if (!Number.isFinite(at)) return '?';
  const off = zoneOffsetMs(at, zone);
  const t = new Date(at + off); // read with UTC getters: the zone's wall time
  const hm = `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
  if (style === 'minutes') return hm;
  const hms = `${hm}:${pad(t.getUTCSeconds())}`;
  if (style === 'clock') return hms;
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${hms}${offsetText(off, zone)}`;
}

/** "UTC" or "local (Europe/Berlin)": what the switch says the times are in. */
export function zoneLabel(zone: string): string {
  return zone === UTC ? 'UTC' : `local (${zone})`;
}
