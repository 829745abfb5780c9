// Small text formats shared by the views. Pure.

/** "4 s", "3 min", "2 h", "5 d": how long ago, rounded down; "now" under a second. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return 'now';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** UTC wall time "2026-11-24 16:01:21Z": the same for everyone who opens a shared link. */
export function formatTime(at: number): string {
  if (!Number.isFinite(at)) return '?';
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
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
