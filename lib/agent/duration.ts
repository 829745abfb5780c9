/** Parses `100ms`, `1s`, `1.5s`, `2m` or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m || m[1] === undefined) throw new Error(`invalid duration "${text}": use e.g. 100ms, 1s or 2m`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (!(ms >= 10 && ms <= 3_600_000)) throw new Error(`duration "${text}" out of range: 10ms to 60m`);
  return Math.round(ms);
}
