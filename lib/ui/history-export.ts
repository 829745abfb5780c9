// The window on screen as a file: the history the page holds (GET /api/v1/hosts/{host}/history
// with the live frames appended), as CSV (one row per tick and thread that existed then) or as
// the History JSON of docs/api.md. Pure: the page hands over what it has and saves the text.
import type { History } from '../api/history';

const CSV_HEADER = ['time', 'at_ms', 'vm', 'pid', 'tid', 'role', 'vcpu', 'thread', 'pcpu', 'ran', 'share'];

/**
 * A CSV field: quoted when it holds a comma, quote or line break; text that a spreadsheet would
 * run as a formula (=, +, -, @ first: VM names are chosen by tenants) is prefixed with a quote.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One row per tick (bucket) and thread present then: `pcpu` is where it was (for buckets where it
 * spent most of the bucket, `share` of the bucket there), `ran` 1/0 at full resolution.
 */
export function historyCsv(h: History): string {
  const out: string[] = [CSV_HEADER.join(',')];
  const threadCols = h.threads.map((t) => [csvField(t.vm), t.pid, t.tid, t.role, t.vcpu ?? '', csvField(t.name)].join(','));
  h.ticks.forEach((at, i) => {
    const pcpu = h.pcpu[i];
    if (pcpu === undefined) return;
    const time = new Date(at).toISOString();
    const ran = h.ran?.[i];
    const share = h.share?.[i];
    pcpu.forEach((p, j) => {
      if (p === null) return;
      const r = ran?.[j];
      const s = share?.[j];
      out.push(`${time},${at},${threadCols[j] ?? ',,,,,'},${p},${r ?? ''},${s === undefined ? '' : Math.round(s * 1e4) / 1e4}`);
    });
  });
  return `${out.join('\n')}\n`;
}

export function historyJson(h: History): string {
  return JSON.stringify(h);
}

/** "vcpumap-hv-01-20261124T160000Z-20261124T161500Z.csv": safe on every file system. */
export function exportFileName(host: string, vm: string | null, from: number, to: number, ext: 'csv' | 'json'): string {
  const stamp = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `vcpumap-${clean(host)}${vm === null ? '' : `-${clean(vm)}`}-${stamp(from)}-${stamp(to)}.${ext}`;
}
