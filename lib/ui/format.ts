// Small text formats shared by the views. Pure.
import { formatInZone, UTC } from './time-zone';

/** "4 s", "3 min", "2 h", "5 d": a duration, rounded down; "0 s" under a second. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return '0 s';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** A clock ahead of ours by less than this still reads "just now" (agents and browsers drift). */
const SKEW_TOLERANCE_MS = 5000;

/**
 * How long ago something happened, `ms` after it: "just now" under a second, "4 s ago",
 * "3 min ago", "2 h ago", "5 d ago"; a time well in the future (a clock ahead) says so instead
 * of inventing an age.
 */
export function formatAgo(ms: number): string {
  if (!Number.isFinite(ms)) return 'at an unknown time';
  if (ms < -SKEW_TOLERANCE_MS) return `${formatAge(-ms)} in the future (clock skew)`;
  if (ms < 1000) return 'just now';
  return `${formatAge(ms)} ago`;
}

/**
 * The age of a host's last frame as a tile shows it: "just now" while it is within two of the
 * host's intervals (a host reporting every second would otherwise change its text every second,
 * on every tile), else formatAgo.
 */
export function frameAge(lastSeen: number, now: number, intervalMs: number | null): string {
  const ms = now - lastSeen;
  if (ms >= -SKEW_TOLERANCE_MS && ms < 2 * (intervalMs ?? 1000)) return 'just now';
  return formatAgo(ms);
}

/**
 * Wall time "2026-11-24 16:01:21Z" in UTC (the default: the same for everyone who opens a shared
 * link), or "2026-11-24 17:01:21+01:00" in an IANA zone (the viewer's choice, lib/ui/time-zone.ts).
 */
export function formatTime(at: number, zone: string = UTC): string {
  return formatInZone(at, zone, 'seconds');
}

/** "12.5%" with one decimal. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A frame older than this many intervals (or 10 s when the interval is unknown) is stale. */
export const STALE_INTERVALS = 3;
export const STALE_DEFAULT_MS = 10_000;

export function isStale(lastSeen: number, now: number, intervalMs: number | null): boolean {
  const limit = intervalMs !== null && intervalMs > 0 ? Math.max(STALE_INTERVALS * intervalMs, 5000) : STALE_DEFAULT_MS;
  return now - lastSeen > limit;
}
