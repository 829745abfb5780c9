// Time ranges of the host and VM views (Grafana-style presets) and the resolution each is served
// at. The last 15 minutes are live at full resolution (one column per frame, from the server's
// live window). Longer ranges ask the history API for buckets: up to an hour from the stored
// frames, beyond that from the per-minute residency the store keeps after full resolution is
// gone (docs/api.md, History). Pure.

export type RangeKey = '15m' | '1h' | '6h' | '24h' | '7d';

export interface RangePreset {
  readonly key: RangeKey;
  readonly label: string; // on its button
  readonly ms: number;
  /** Bucket width asked of /history; null: full resolution. */
  readonly stepMs: number | null;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

export const RANGES: readonly RangePreset[] = [
  { key: '15m', label: '15 min', ms: 15 * MIN, stepMs: null },
  { key: '1h', label: '1 h', ms: HOUR, stepMs: 10_000 },
  { key: '6h', label: '6 h', ms: 6 * HOUR, stepMs: MIN },
  { key: '24h', label: '24 h', ms: 24 * HOUR, stepMs: 5 * MIN },
  { key: '7d', label: '7 d', ms: 7 * 24 * HOUR, stepMs: 30 * MIN },
];

/** The preset of a `range` URL parameter; null for none, the live 15 minutes, or anything unknown. */
export function parseRange(text: string | null): RangePreset | null {
  const r = RANGES.find((x) => x.key === text);
  return r === undefined || r.key === '15m' ? null : r;
}

export function rangePreset(key: RangeKey): RangePreset {
  return RANGES.find((r) => r.key === key) ?? (RANGES[0] as RangePreset);
}

/**
 * The bucket width for an absolute window (a shared link, a brushed window): the preset of the
 * shortest range that holds it, so that a window is drawn at a few hundred columns at most.
 */
export function stepForWindow(ms: number): number | null {
  for (const r of RANGES) if (ms <= r.ms * 1.5) return r.stepMs;
  return RANGES[RANGES.length - 1]?.stepMs ?? null;
}

/** How often a range's history is fetched again while it follows the present (ms). */
export function refreshEvery(r: RangePreset): number {
  return Math.max(10_000, r.stepMs ?? 0);
}

function duration(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % MIN === 0) return `${ms / MIN} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The server's live window as the range buttons say it ("15 min") and as a sentence does ("15 minutes"). */
export function liveWindowText(ms: number): { readonly label: string; readonly words: string } {
  const [n, unit] = ms % HOUR === 0 ? [ms / HOUR, 'hour'] : ms % MIN === 0 ? [ms / MIN, 'minute'] : [Math.round(ms / 1000), 'second'];
  return { label: duration(ms), words: `${n} ${unit}${n === 1 ? '' : 's'}` };
}

/** What resolution a history answer has, as the page says it: the store's answer, not the request. */
export function resolutionText(stepMs: number | null): string {
  if (stepMs === null) return 'full resolution: one column per frame';
  if (stepMs < MIN) return `${duration(stepMs)} buckets of the stored frames`;
  return `${duration(stepMs)} buckets from the per-minute residency`;
}
