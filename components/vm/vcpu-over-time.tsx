'use client';
// Each vCPU of a VM over the window on screen (its history with counters): the share of each tick
// it ran and waited on a run queue and, in exact mode, where it ran (stacked by pCPU), its
// migrations and its wake-up latency (p99 per tick), each with the window's figure in words.
import type { SnapshotCpu } from '@/lib/model/snapshot';
import { pcpuPalette } from '@/lib/heatmap/pcpu-colors';
import type { History } from '@/lib/api/history';
import { formatNs } from '@/lib/ui/exact-view';
import { formatShare } from '@/lib/ui/format';
import type { VcpuSeries } from '@/lib/ui/vcpu-series';
import { Sparkline, StackedArea } from './sparkline';

const muted = 'text-slate-600 dark:text-slate-400';

/** `series`: vcpuSeries(history, vm). */
export function VcpuOverTime({ history, series, cpus }: { readonly history: History; readonly series: readonly VcpuSeries[]; readonly cpus: readonly SnapshotCpu[] }) {
  const pal = pcpuPalette(cpus);
  const exact = series.some((s) => s.totals.residency !== null || s.totals.migrations !== null);
  if (series.length === 0) return <p>No vCPU of this VM in the window.</p>;
  const share = (ns: number | null, span: number) => (ns === null || span <= 0 ? 'n/a' : formatShare(Math.min(1, ns / span)));
  return (
    <table className="w-full text-left text-sm" data-testid="vcpu-over-time">
      <thead className="border-b border-slate-300 dark:border-slate-700">
        <tr>
          <th scope="col" className="py-1 pr-3">vCPU</th>
          <th scope="col" className="py-1 pr-3">Ran / waited (share of each {history.stepMs === null ? 'tick' : 'bucket'})</th>
          {exact ? (
            <>
              <th scope="col" className="py-1 pr-3">Ran on (exact, by pCPU)</th>
              <th scope="col" className="py-1 pr-3">Migrations</th>
              <th scope="col" className="py-1 pr-3">Wake-up latency (p99)</th>
            </>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {series.map((s) => {
          const t = s.totals;
          const stack = [...s.onPcpu].sort((a, b) => a[0] - b[0]).map(([pcpu, values]) => ({ color: pal.colors[pal.indexOf(pcpu)] ?? '#888', values }));
          return (
            <tr key={s.thread} className="border-b border-slate-200 dark:border-slate-800" data-vcpu={s.vcpu ?? undefined}>
              <td className="py-1 pr-3 font-mono">{s.vcpu ?? '?'}</td>
              <td className="py-1 pr-3">
                <span className="block">
                  <Sparkline values={s.run} className="text-sky-600 dark:text-sky-400" max={1} />
                </span>
                <span className="block">
                  <Sparkline values={s.wait} className="text-amber-600 dark:text-amber-400" />
                </span>
                <span className="font-mono text-xs" data-testid="run-wait">
                  ran {share(t.runNs, t.spanNs)}, waited {share(t.waitNs, t.spanNs)}
                </span>
              </td>
              {exact ? (
                <>
                  <td className="py-1 pr-3">
                    <StackedArea series={stack} />
                    <span className="block font-mono text-xs" data-testid="residency-window">
                      {t.residency === null ? <span className={muted}>no exact figures</span> : t.residency.length === 0 ? 'did not run' : `pCPU ${t.residency.map((r) => `${r.pcpu}: ${share(r.ns, t.exactSpanNs)}`).join(', ')}`}
                    </span>
                  </td>
                  <td className="py-1 pr-3">
                    <Sparkline values={s.migrations} className="text-violet-600 dark:text-violet-400" floor={1} />
                    <span className="block font-mono text-xs" data-testid="migrations-window">
                      {t.migrations === null ? '' : `${t.migrations} in the window`}
                    </span>
                  </td>
                  <td className="py-1 pr-3">
                    <Sparkline values={s.wakeP99} className="text-rose-600 dark:text-rose-400" floor={1000} />
                    <span className="block font-mono text-xs" data-testid="wake-window">
                      {t.wakeP99Max === null || t.wakeMax === null ? <span className={muted}>no wake-up</span> : `p99 up to ${formatNs(t.wakeP99Max)} · max ${formatNs(t.wakeMax)} (${t.wakeups})`}
                    </span>
                  </td>
                </>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
