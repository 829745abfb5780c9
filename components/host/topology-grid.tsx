'use client';
// The host's topology: socket, NUMA node, core, SMT thread. Each pCPU shows the VM and vCPU on it
// now (colour and text), its load, pin sets as a dashed outline, and violations by shape (a
// triangle and a thick outline) as well as colour. Every cell is a button with a full accessible
// name, so the grid is usable by keyboard and screen reader.
import { memo } from 'react';
import type { Snapshot, SnapshotCpu } from '@/lib/model/snapshot';
import { orderCpus } from '@/lib/heatmap/timeline-cells';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import { cpuText, occupants, pinnedBy, threadLabel } from '@/lib/ui/describe';
import { useTheme } from '../use-theme';

interface Props {
  readonly snapshot: Snapshot;
  readonly selected: number | null;
  readonly onSelect: (cpu: number) => void;
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): [K, T[]][] {
  const out: [K, T[]][] = [];
  for (const it of items) {
    const k = key(it);
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === k) last[1].push(it);
    else out.push([k, [it]]);
  }
  return out;
}

function TopologyGridView({ snapshot, selected, onSelect }: Props) {
  const theme = useTheme();
  const colors = palette(theme);
  const byCpu = new Map(snapshot.topology.cpus.map((c) => [c.cpu, c]));
  const ordered = orderCpus(snapshot.topology.cpus)
    .map((c) => byCpu.get(c))
    .filter((c): c is SnapshotCpu => c !== undefined);
  const on = occupants(snapshot);
  const pins = pinnedBy(snapshot);
  const violated = new Map<number, string[]>();
  for (const v of snapshot.violations) for (const p of v.pcpus) violated.set(p, [...(violated.get(p) ?? []), v.kind]);

  return (
    <div className="flex flex-wrap gap-3" data-testid="topology-grid">
      {groupBy(ordered, (c) => c.socket).map(([socket, inSocket]) => (
        <section key={socket} className="rounded border border-slate-300 p-2 dark:border-slate-700" aria-label={`Socket ${socket}`}>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Socket {socket}</h3>
          <div className="flex flex-wrap gap-2">
            {groupBy(inSocket, (c) => c.node).map(([node, inNode]) => (
              <section key={node} className="rounded border border-dotted border-slate-400 p-1.5 dark:border-slate-600" aria-label={`NUMA node ${node}`}>
                <h4 className="mb-1 text-xs text-slate-500">Node {node}</h4>
                <div className="flex max-w-[40rem] flex-wrap gap-1">
                  {groupBy(
                    [...inNode].sort((a, b) => a.core - b.core || a.cpu - b.cpu),
                    (c) => c.core,
                  ).map(([core, threads]) => (
                    <div key={core} className="flex gap-px rounded-sm bg-slate-300 p-px dark:bg-slate-700" title={`core ${core}`}>
                      {threads.map((c) => {
                        const here = on.get(c.cpu) ?? [];
                        const top = here[0];
                        const vcpu = top?.thread.role === 'vcpu' ? top : undefined;
                        const color = vcpu !== undefined ? colors[vmColorIndex(vcpu.vm.name)] : undefined;
                        const pinned = pins.get(c.cpu) ?? [];
                        const kinds = violated.get(c.cpu) ?? [];
                        const label = [
                          `pCPU ${c.cpu}`,
                          here.length === 0
                            ? 'nothing of a VM on it'
                            : here.map((r) => `${r.vm.name} ${threadLabel(r.thread)} (tid ${r.thread.tid})${r.thread.ran ? '' : ', stale'}, pin ${cpuText(r.thread.pin)}, affinity ${cpuText(r.thread.affinity)}`).join('; '),
                          pinned.length > 0 ? `pinned by ${pinned.join(', ')}` : 'no pins',
                          c.isolated ? 'isolated' : '',
                          c.busy !== null ? `${Math.round(c.busy * 100)}% busy` : '',
                          kinds.length > 0 ? `violations: ${[...new Set(kinds)].join(', ')}` : '',
                        ]
                          .filter((s) => s !== '')
                          .join('. ');
                        return (
                          <button
                            key={c.cpu}
                            type="button"
                            data-cpu={c.cpu}
                            aria-label={label}
                            aria-pressed={selected === c.cpu}
                            title={label}
                            onClick={() => onSelect(c.cpu)}
                            className={`relative flex h-10 w-9 flex-col items-center justify-center overflow-hidden rounded-sm bg-white text-[10px] leading-tight text-slate-900 dark:bg-slate-900 dark:text-slate-100 ${
                              pinned.length > 0 ? 'outline-dashed outline-2 -outline-offset-2 outline-slate-500' : ''
                            } ${kinds.length > 0 ? 'ring-2 ring-inset ring-red-600' : ''} ${selected === c.cpu ? 'ring-4 ring-sky-500' : ''}`}
                            style={color !== undefined ? { backgroundColor: color, color: '#000' } : undefined}
                          >
                            <span className="font-mono font-semibold">{c.cpu}</span>
                            {vcpu !== undefined ? <span className={vcpu.thread.ran ? '' : 'opacity-60'}>v{vcpu.thread.vcpu ?? '?'}</span> : null}
                            {c.isolated ? <span className="absolute left-0.5 top-0 text-[8px]">iso</span> : null}
                            {kinds.length > 0 ? (
                              <span aria-hidden className="absolute right-0 top-0 text-[9px] text-red-700">
                                ▲
                              </span>
                            ) : null}
                            {c.busy !== null ? (
                              <span aria-hidden className="absolute bottom-0 left-0 h-0.5 bg-slate-900/70 dark:bg-white/70" style={{ width: `${Math.round(c.busy * 100)}%` }} />
                            ) : null}
                          </button>
                        );
                      })}
                    </div>
                  ))}
                </div>
              </section>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}

/** Re-rendered for a new snapshot or selection only, not for every tick of the page's clock. */
export const TopologyGrid = memo(TopologyGridView);
