'use client';
// Pin set against actual for each vCPU of a VM, with run-queue wait: the share of the last
// interval the vCPU was runnable but waiting for a pCPU (schedstat), now and over the window; in
// exact mode also its run time per pCPU, migrations and wake-up latency.
import type { SnapshotVm, Unobserved } from '@/lib/model/snapshot';
import { cpuText } from '@/lib/ui/describe';
import { formatShare } from '@/lib/ui/format';
import { latencyText, residencyText } from '@/lib/ui/exact-view';
import { Sparkline } from './sparkline';

export interface WaitSeries {
  /** tid -> wait share per history column of the window, oldest first (null: unknown). */
  readonly byTid: ReadonlyMap<number, readonly (number | null)[]>;
}

export function waitShare(waitNs: number | null, intervalMs: number | null): number | null {
  if (waitNs === null || intervalMs === null || intervalMs <= 0) return null;
  return Math.min(1, waitNs / (intervalMs * 1e6));
}

/** Shown for what the snapshot could not observe (a paste has no affinity or run-queue times). */
const NOT_IN_PASTE = 'not in the paste';

export function VcpuTable({
  vm,
  intervalMs,
  waits,
  unobserved = [],
}: {
  readonly vm: SnapshotVm;
  readonly intervalMs: number | null;
  readonly waits: WaitSeries;
  /** The snapshot's `unobserved`: those columns say so instead of showing an empty value. */
  readonly unobserved?: readonly Unobserved[];
}) {
  const rows = [...vm.vcpus].sort((a, b) => a.index - b.index);
  const noAffinity = unobserved.includes('affinity');
  const noRunQueue = unobserved.includes('runQueue');
  // Exact mode: run time per pCPU, migrations and wake-up latency of the interval.
  const exact = rows.some((v) => v.residency !== undefined || v.migrations !== undefined);
  return (
    <table className="w-full text-left text-sm" data-testid="vcpu-table">
      <thead className="border-b border-slate-300 dark:border-slate-700">
        <tr>
          <th scope="col" className="py-1 pr-3">vCPU</th>
          <th scope="col" className="py-1 pr-3">Thread</th>
          <th scope="col" className="py-1 pr-3">On pCPU</th>
          <th scope="col" className="py-1 pr-3">Pin (intent)</th>
          <th scope="col" className="py-1 pr-3">Affinity (kernel)</th>
          <th scope="col" className="py-1 pr-3">Run-queue wait</th>
          {exact ? (
            <>
              <th scope="col" className="py-1 pr-3">Ran on (exact)</th>
              <th scope="col" className="py-1 pr-3">Migrations</th>
              <th scope="col" className="py-1 pr-3">Wake-up latency</th>
            </>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => {
          const off = v.pin !== null && v.ran && !v.pin.includes(v.pcpu);
          const drift = !noAffinity && v.pin !== null && cpuText(v.pin) !== cpuText(v.affinity);
          const wait = waitShare(v.waitNs, intervalMs);
          return (
            <tr key={v.tid} className="border-b border-slate-200 dark:border-slate-800" data-vcpu={v.index}>
              <td className="py-1 pr-3 font-mono">{v.index}</td>
              <td className="py-1 pr-3 font-mono">
                {v.tid} <span className="text-xs text-slate-600 dark:text-slate-400">({v.state})</span>
              </td>
              <td className={`py-1 pr-3 font-mono ${off ? 'font-semibold text-red-700 dark:text-red-400' : ''}`}>
                {off ? <span aria-hidden>▲ </span> : null}
                {v.pcpu}
                {v.ran ? '' : ' (stale)'}
                {off ? ' off pin' : ''}
              </td>
              <td className="py-1 pr-3 font-mono">{v.pin === null ? 'none' : cpuText(v.pin)}</td>
              <td className={`py-1 pr-3 font-mono ${drift ? 'font-semibold text-amber-700 dark:text-amber-400' : ''}`}>
                {noAffinity ? <span className="text-slate-600 dark:text-slate-400">{NOT_IN_PASTE}</span> : cpuText(v.affinity)}
                {drift ? ' (differs)' : ''}
              </td>
              <td className="py-1 pr-3">
                {noRunQueue ? (
                  <span className="text-slate-600 dark:text-slate-400">{NOT_IN_PASTE}</span>
                ) : (
                  <span className="inline-block w-14 font-mono">{wait === null ? 'n/a' : formatShare(wait)}</span>
                )}
                <Sparkline values={waits.byTid.get(v.tid) ?? []} className="text-amber-600" />
              </td>
              {exact ? (
                <>
                  <td className="py-1 pr-3 font-mono" data-testid="residency">
                    {v.residency === undefined ? <span className="text-slate-600 dark:text-slate-400">not followed all interval</span> : residencyText(v.residency, intervalMs)}
                  </td>
                  <td className="py-1 pr-3 font-mono">{v.migrations ?? ''}</td>
                  <td className="py-1 pr-3 font-mono">{v.wakeLatencyNs === undefined ? '' : latencyText(v.wakeLatencyNs)}</td>
                </>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
