// View state in the URL (SPEC "Views"): host and VM are path segments; the window (live, a range
// preset following the present, or absolute `from`/`to`) and the selection are search parameters,
// so that any view can be reloaded or sent to someone else as it is. Pure: parses what the browser
// or the server sees.
import { parseRange, type RangeKey } from './time-range';

/** The longest window a view asks the history API for. */
export const MAX_WINDOW_MS = 31 * 24 * 3600_000;

export interface ViewState {
  /** Absolute window in epoch ms, or null for live (the server's live window, following new frames). */
  readonly window: { readonly from: number; readonly to: number } | null;
  /** Selected pCPU (host view), or null. */
  readonly cpu: number | null;
  /** Selected vCPU index (VM view), or null. */
  readonly vcpu: number | null;
  /** The chosen VM (host view): its cells highlighted, the rest dimmed; null: none. */
  readonly vm: string | null;
  /** How the host view colours cells: by VM, or by state (on pin, off pin, unpinned, stale, host load). */
  readonly color: ColorMode;
  /** The heatmap's zoomed span inside the window (epoch ms, [from, to)), or null for the whole window. */
  readonly zoom: { readonly from: number; readonly to: number } | null;
  /** A range preset that follows the present (`range=6h`), when `window` is null; absent: the live window. */
  readonly range?: RangeKey;
}

export type ColorMode = 'vm' | 'state';

/** The longest VM name a link carries (longer is not a VM of any host). */
const MAX_VM_PARAM = 1024;

export type ParamSource = URLSearchParams | Readonly<Record<string, string | string[] | undefined>>;

function get(params: ParamSource, name: string): string | null {
  if (params instanceof URLSearchParams) return params.get(name);
  const v = params[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

/** Epoch ms or ISO-8601; null when absent or unreadable (a bad link falls back to live, it never breaks the page). */
export function parseTimeParam(text: string | null): number | null {
  if (text === null || text === '') return null;
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : null;
}

function parseIndex(text: string | null): number | null {
  if (text === null || !/^\d{1,5}$/.test(text)) return null;
  return Number(text);
}

export function parseViewState(params: ParamSource): ViewState {
  const from = parseTimeParam(get(params, 'from'));
  const to = parseTimeParam(get(params, 'to'));
  const window = from !== null && to !== null && to > from && to - from <= MAX_WINDOW_MS ? { from, to } : null;
  const zfrom = parseTimeParam(get(params, 'zfrom'));
  const zto = parseTimeParam(get(params, 'zto'));
  const vm = get(params, 'vm');
  const range = window === null ? parseRange(get(params, 'range')) : null;
  return {
    window,
    cpu: parseIndex(get(params, 'cpu')),
    vcpu: parseIndex(get(params, 'vcpu')),
    vm: vm !== null && vm !== '' && vm.length <= MAX_VM_PARAM ? vm : null,
    color: get(params, 'color') === 'state' ? 'state' : 'vm',
    ...(range !== null ? { range: range.key } : {}),
    zoom: zfrom !== null && zto !== null && zto > zfrom && zto - zfrom <= MAX_WINDOW_MS ? { from: zfrom, to: zto } : null,
  };
}

/** The query string (with `?`, or '' when empty) of a view state; times as ISO-8601 so links read well. */
export function viewQuery(state: ViewState): string {
  const p = new URLSearchParams();
  if (state.window !== null) {
    p.set('from', new Date(state.window.from).toISOString());
    p.set('to', new Date(state.window.to).toISOString());
  } else if (state.range !== undefined && state.range !== '15m') p.set('range', state.range);
  if (state.cpu !== null) p.set('cpu', String(state.cpu));
  if (state.vcpu !== null) p.set('vcpu', String(state.vcpu));
  if (state.vm !== null) p.set('vm', state.vm);
  if (state.color !== 'vm') p.set('color', state.color);
  if (state.zoom !== null) {
    p.set('zfrom', new Date(state.zoom.from).toISOString());
    p.set('zto', new Date(state.zoom.to).toISOString());
  }
  const q = p.toString();
  return q === '' ? '' : `?${q}`;
}

/** Path of the host view; the name is encoded, never trusted. */
export function hostPath(host: string): string {
  return `/hosts/${encodeURIComponent(host)}`;
}

export function vmPath(host: string, vm: string): string {
  return `${hostPath(host)}/vms/${encodeURIComponent(vm)}`;
}

/**
 * The history window to fetch for a view at time `now` (a range or the live window end at `now`);
 * `liveWindowMs` is the server's live window (VCPUMAP_LIVE_WINDOW_MINUTES), as the page was given it.
 */
export function historyWindow(state: ViewState, now: number, liveWindowMs: number): { from: number; to: number } {
  if (state.window !== null) return state.window;
  const range = parseRange(state.range ?? null);
  return { from: now - (range?.ms ?? liveWindowMs), to: now };
}

/** A path segment as the router hands it over: decoded once, kept as-is when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The absolute window "Share" freezes a view to: its own when it has one; a range's as last
 * fetched; the live window from its first tick to just after its last.
 */
export function frozenWindow(
  state: ViewState,
  shown: { readonly from: number; readonly to: number; readonly ticks: readonly number[] } | null,
  at: number,
  liveWindowMs: number,
): { from: number; to: number } {
  if (state.window !== null) return state.window;
  const range = parseRange(state.range ?? null);
  if (range !== null) return { from: shown?.from ?? at - range.ms, to: shown?.to ?? at };
  const t = shown?.ticks ?? [];
  return { from: t[0] ?? at - liveWindowMs, to: (t[t.length - 1] ?? at) + 1000 };
}
