// Query and path parameters of the read API: untrusted text, parsed into numbers with errors
// that say which parameter is wrong and what is expected.
import { HttpError } from '../http-errors';

/** Epoch ms or ISO-8601. */
export function parseTime(name: string, value: string | null): number | null {
  if (value === null || value === '') return null;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  throw new HttpError(400, `${name}=${JSON.stringify(value.slice(0, 64))}: expected epoch milliseconds or an ISO-8601 time`);
}

/** `60000`, `10s`, `1m`, `1h`. */
export function parseStep(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value);
  const n = m ? Number(m[1]) : NaN;
  const unit = m?.[2] ?? 'ms';
  const ms = n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? NaN);
  if (!(ms >= 1000 && ms <= 86_400_000)) {
    throw new HttpError(400, `step=${JSON.stringify(value.slice(0, 32))}: expected a duration from 1s to 24h, e.g. 60000, 10s or 1m`);
  }
  return ms;
}

const MAX_WINDOW_MS = 31 * 86_400_000;

/** `from`, `to` and `step`; without `from` the window is the last `defaultMs` (the server's live window). */
export function parseWindow(params: URLSearchParams, now: number, defaultMs: number): { from: number; to: number; stepMs: number | undefined } {
  const to = parseTime('to', params.get('to')) ?? now;
  const from = parseTime('from', params.get('from')) ?? to - defaultMs;
  if (from >= to) throw new HttpError(400, `from (${from}) must be before to (${to})`);
  if (to - from > MAX_WINDOW_MS) throw new HttpError(400, 'window longer than 31 days: narrow from/to');
  return { from, to, stepMs: parseStep(params.get('step')) };
}

/** A host or VM name from the path: decoded by Next already; bounded here. */
export function pathName(kind: 'host' | 'vm', value: string): string {
  if (value.length === 0 || value.length > 1024) throw new HttpError(400, `${kind} name must be 1 to 1024 characters`);
  return value;
}
