/** Parses `100ms`, `1s`, `1.5s`, `2m` or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m || m[1] === undefined) throw new Error(`invalid duration "${text}": use e.g. 100ms, 1s or 2m`);
  const n = Number(m[1]);
  const ms = m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
  if (!(ms >= 10 && ms <= 3_600_000)) throw new Error(`duration "${text}" out of range: 10ms to 60m`);
  return Math.round(ms);
}

/** Parses `256MiB`, `1GiB`, `512KiB`, `64MB` or a bare number of bytes. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$/i.exec(text);
  if (!m || m[1] === undefined) throw new Error(`invalid size "${text}": use e.g. 64MiB or 1GiB`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const scale: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1e3, mb: 1e6, gb: 1e9 };
  const bytes = Math.round(Number(m[1]) * (scale[unit] ?? NaN));
  if (!(bytes >= 64 * 1024 && bytes <= 1024 ** 4)) throw new Error(`size "${text}" out of range: 64KiB to 1TiB`);
  return bytes;
}
