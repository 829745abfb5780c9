'use client';
// The VMs of a host with links to their views. Memoised on what it shows, so a live frame that
// only moves vCPUs does not re-render it.
import Link from 'next/link';
import { memo } from 'react';
import type { SnapshotVm, Violation } from '@/lib/model/snapshot';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import { vmPath } from '@/lib/ui/url-state';
import { useTheme } from '../use-theme';

interface Props {
  readonly host: string;
  readonly vms: readonly SnapshotVm[];
  readonly violations: readonly Violation[];
  /** The chosen VM (highlighted on the grid, timeline and matrix) and how to choose one. */
  readonly chosenVm?: string | null;
  readonly onChoose?: (vm: string | null) => void;
}

function shown(p: Props): string {
  const counts = new Map<string, number>();
  for (const v of p.violations) for (const n of v.vms) counts.set(n, (counts.get(n) ?? 0) + 1);
  return JSON.stringify([p.host, p.chosenVm ?? null, p.vms.map((v) => [v.name, v.pid, v.source, v.intent, v.dedicated, v.vcpus.length, v.maxVcpus, v.identity, counts.get(v.name) ?? 0])]);
}

function VmListTable({ host, vms, violations, chosenVm = null, onChoose }: Props) {
  const colors = palette(useTheme());
  return (
    <table className="w-full text-left text-sm">
      <thead className="border-b border-slate-300 dark:border-slate-700">
        <tr>
          <th scope="col" className="py-1 pr-3">VM</th>
          <th scope="col" className="py-1 pr-3">Source</th>
          <th scope="col" className="py-1 pr-3">Intent</th>
          <th scope="col" className="py-1 pr-3">vCPUs</th>
          <th scope="col" className="py-1 pr-3">Violations</th>
          {onChoose !== undefined ? (
            <th scope="col" className="py-1 pr-3">
              Highlight
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {[...vms]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.pid - b.pid))
          .map((vm) => (
            <tr key={`${vm.name}:${vm.pid}`} className="border-b border-slate-200 dark:border-slate-800">
              <td className="py-1 pr-3">
                <span aria-hidden className="mr-2 inline-block h-3 w-3 rounded-sm align-middle" style={{ backgroundColor: colors[vmColorIndex(vm.name)] }} />
                <Link href={vmPath(host, vm.name)} prefetch={false} className="font-mono break-all underline" data-testid="vm-link">
                  {vm.name}
                </Link>
              </td>
              <td className="py-1 pr-3">{vm.source}</td>
              <td className="py-1 pr-3">
                {vm.intent}
                {vm.dedicated ? ', dedicated' : ''}
              </td>
              <td className="py-1 pr-3">
                {vm.identity === 'unknown' ? (
                  <UnknownBadge maxVcpus={vm.maxVcpus} />
                ) : (
                  <>
                    {vm.vcpus.length}
                    {vm.maxVcpus !== null ? ` of ${vm.maxVcpus}` : ''}
                  </>
                )}
              </td>
              <td className="py-1 pr-3">{violations.filter((v) => v.vms.includes(vm.name)).length}</td>
              {onChoose !== undefined ? (
                <td className="py-1 pr-3">
                  <button
                    type="button"
                    data-testid="vm-highlight"
                    aria-pressed={chosenVm === vm.name}
                    aria-label={`Highlight ${vm.name}`}
                    className="rounded border border-slate-400 px-1.5 text-xs dark:border-slate-600"
                    onClick={() => onChoose(chosenVm === vm.name ? null : vm.name)}
                  >
                    Highlight
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
      </tbody>
    </table>
  );
}

/** A VM whose vCPU threads cannot be tied to vCPU indexes: it is shown, never judged. */
function UnknownBadge({ maxVcpus }: { readonly maxVcpus: number | null }) {
  return (
    <span
      data-testid="identity-unknown"
      title="Its vCPU threads cannot be identified (no QMP socket answers, QEMU runs without debug-threads=on, libvirt does not know it): none of its threads is judged"
      className="rounded border border-amber-600 px-1 text-xs text-amber-800 dark:border-amber-400 dark:text-amber-200"
    >
      {maxVcpus !== null ? `${maxVcpus}, ` : ''}not identified
    </span>
  );
}

export const VmList = memo(VmListTable, (a, b) => a.onChoose === b.onChoose && shown(a) === shown(b));
