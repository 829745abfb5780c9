'use client';
// Pin set against actual for each vCPU of a VM, with run-queue wait: the share of the last
// interval the vCPU was runnable but waiting for a pCPU (schedstat), now and over the time the
// page has been open.
import type { SnapshotVm, Unobserved } from '@/lib/model/snapshot';
import { cpuText } from '@/lib/ui/describe';
import { formatShare } from '@/lib/ui/format';

export interface WaitSeries {
  /** tid -> wait shares of recent frames, oldest first. */
  readonly byTid: ReadonlyMap<number, readonly number[]>;
}

function Sparkline({ values }: { readonly values: readonly number[] }) {
  if (values.length < 2) return null;
  const w = 120;
  const h = 18;
  const max = Math.max(0.05, ...values);
  const pts = values.map((v, i) => `${((i / (values.length - 1)) * w).toFixed(1)},${(h - (v / max) * h).toFixed(1)}`).join(' ');
  return (
    <svg width={w} height={h} className="inline-block align-middle text-amber-600" aria-hidden>
      <polyline points={pts} fill="none" stroke="currentColor" strokeWidth={1} />
    </svg>
  );
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
                <Sparkline values={waits.byTid.get(v.tid) ?? []} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
