'use client';
// The host's topology: socket, NUMA node, core, SMT thread. Each pCPU shows what runs on it now
// (VM name and vCPU as text, and the VM's colour or, by state, on pin / off pin / unpinned / stale /
// host load), its load, pin sets as a dashed outline, and violations by shape (a triangle and a
// thick outline) as well as colour. A chosen VM's cells are outlined and the rest dimmed. The grid
// is one tab stop: arrow keys move between pCPUs (roving tabindex), Enter or a click selects one.
// Every cell's accessible name starts with its visible text.
import { memo, useRef, useState, type KeyboardEvent } from 'react';
import type { Snapshot, SnapshotCpu } from '@/lib/model/snapshot';
import { CellState, cellState, DIM_KEEP, mix, statePalette, textOn } from '@/lib/heatmap/cell-colors';
import { orderCpus } from '@/lib/heatmap/timeline-cells';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import { cpuText, occupants, pinnedBy, threadLabel } from '@/lib/ui/describe';
import { isRovingKey, rovingTarget } from '@/lib/ui/roving';
import type { ColorMode } from '@/lib/ui/url-state';
import { canvasColors, useTheme } from '../use-theme';
import { ShownName } from '@/components/shown-name';
import { shownText } from '@/lib/ui/shown-text';

interface Props {
  readonly snapshot: Snapshot;
  readonly selected: number | null;
  readonly onSelect: (cpu: number) => void;
  /** The chosen VM: its cells outlined, every other VM's dimmed. */
  readonly chosenVm?: string | null;
  readonly colorMode?: ColorMode;
}

/** A pCPU without a vCPU this busy (0..1) counts as host load. */
const HOST_LOAD_BUSY = 0.25;

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

/** A cell's colours, and its pCPU's load (percent) as a line along its bottom edge (in the text colour). */
function cellStyle(color: string | undefined, busyPct: number | null): React.CSSProperties | undefined {
  const load: React.CSSProperties | undefined =
    busyPct === null
      ? undefined
      : {
          backgroundImage: 'linear-gradient(color-mix(in srgb, currentColor 70%, transparent), color-mix(in srgb, currentColor 70%, transparent))',
          backgroundSize: `${busyPct}% 2px`,
          backgroundPosition: 'left bottom',
          backgroundRepeat: 'no-repeat',
        };
  if (color === undefined) return load;
  return { backgroundColor: color, color: textOn(color), ...load };
}

interface CellProps {
  readonly cpu: number;
  readonly vmName: string | undefined;
  readonly chosen: boolean;
  readonly dim: boolean;
  readonly intruded: boolean;
  readonly isolated: boolean;
  readonly tabbable: boolean;
  readonly label: string;
  readonly pressed: boolean;
  readonly pinned: boolean;
  readonly violated: boolean;
  readonly color: string | undefined;
  readonly busyPct: number | null; // whole percent: a cell re-renders only when its load line moves
  readonly stateText: string;
  readonly onSelect: (cpu: number) => void;
  readonly onFocusCpu: (cpu: number) => void;
}

/**
 * One pCPU, from plain values only: a live frame re-renders the cells whose text or colour it
 * changed, one component each (a transition can yield between them), not all 256 in one go.
 * Square corners on purpose, here and on the dotted NUMA node boxes: a dashed outline (a pinned
 * pCPU) or a dotted border around a rounded corner is a dashed path, which Chromium's software
 * raster draws slowly (no GPU: a big host's grid took about 250 ms of raster, square about 70 ms).
 */
const TopologyCell = memo(function TopologyCell(p: CellProps) {
  return (
    <button
      type="button"
      data-cpu={p.cpu}
      data-vm={p.vmName}
      data-highlight={p.chosen ? '1' : undefined}
      data-dim={p.dim ? '1' : undefined}
      data-intruder={p.intruded ? '1' : undefined}
      tabIndex={p.tabbable ? 0 : -1}
      aria-label={p.label}
      aria-pressed={p.pressed}
      title={p.label}
      onClick={() => p.onSelect(p.cpu)}
      onFocus={() => p.onFocusCpu(p.cpu)}
      className={`relative flex h-12 w-[4.75rem] flex-col items-stretch justify-center overflow-hidden bg-white px-1 text-left text-[11px] leading-tight text-slate-900 dark:bg-slate-900 dark:text-slate-100 ${
        p.pinned ? 'outline-dashed outline-2 -outline-offset-2 outline-slate-500' : ''
      } ${p.violated ? 'ring-2 ring-inset ring-red-600' : ''} ${p.pressed ? 'ring-4 ring-sky-500' : ''} ${
        p.chosen ? 'z-10 shadow-[0_0_0_3px_#000] dark:shadow-[0_0_0_3px_#fff]' : ''
      }`}
      style={cellStyle(p.color, p.busyPct)}
    >
      {/* Spaces between the parts: the text of the cell reads as its accessible name starts. A
          cell is few elements (256 of them on a big host): its load is a background, not a bar. */}
      <span className="font-mono font-semibold">
        {p.cpu}{' '}
        {p.isolated ? <span className="font-sans text-[10px] font-normal">iso</span> : null}
        {p.isolated && p.intruded ? ' ' : null}
        {p.intruded ? <span className="rounded-sm bg-red-700 px-0.5 font-sans text-[10px] font-bold text-white">intruder</span> : null}
      </span>{' '}
      {p.vmName !== undefined ? <ShownName className="truncate font-medium" value={p.vmName} /> : null}{' '}
      {p.stateText !== '' ? <span className="truncate">{p.stateText}</span> : null}
      {p.violated ? (
        <span aria-hidden className="absolute right-0.5 top-0 text-[10px]">
          ▲
        </span>
      ) : null}
    </button>
  );
});

function TopologyGridView({ snapshot, selected, onSelect, chosenVm = null, colorMode = 'vm' }: Props) {
  const theme = useTheme();
  const vmColors = palette(theme);
  const stateColors = statePalette(theme);
  const look = canvasColors(theme);
  const byCpu = new Map(snapshot.topology.cpus.map((c) => [c.cpu, c]));
  const ordered = orderCpus(snapshot.topology.cpus)
    .map((c) => byCpu.get(c))
    .filter((c): c is SnapshotCpu => c !== undefined);
  const on = occupants(snapshot);
  const pins = pinnedBy(snapshot);
  const violated = new Map<number, string[]>();
  for (const v of snapshot.violations) for (const p of v.pcpus) violated.set(p, [...(violated.get(p) ?? []), v.kind]);

  const boxRef = useRef<HTMLDivElement>(null);
  const [focusCpu, setFocusCpu] = useState<number | null>(null);
  const tabCpu = [focusCpu, selected, ordered[0]?.cpu].find((c) => c !== null && c !== undefined && byCpu.has(c));

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!isRovingKey(e.key)) return;
    const buttons = [...(boxRef.current?.querySelectorAll<HTMLButtonElement>('button[data-cpu]') ?? [])];
    const from = buttons.findIndex((b) => b === document.activeElement);
    if (from < 0) return;
    const to = buttons[rovingTarget(buttons.map((b) => b.getBoundingClientRect()), from, e.key)];
    if (to === undefined) return;
    e.preventDefault();
    to.focus();
    setFocusCpu(Number(to.dataset.cpu));
  };

  return (
    <div
      ref={boxRef}
      role="group"
      aria-label="pCPUs by socket, NUMA node and core. Arrow keys move between pCPUs; Enter selects one."
      className="flex flex-wrap gap-3"
      data-testid="topology-grid"
      onKeyDown={onKeyDown}
    >
      {groupBy(ordered, (c) => c.socket).map(([socket, inSocket]) => (
        <section key={socket} className="rounded border border-slate-300 p-2 dark:border-slate-700" aria-label={`Socket ${socket}`}>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-600 dark:text-slate-400">Socket {socket}</h3>
          <div className="flex flex-wrap gap-2">
            {groupBy(inSocket, (c) => c.node).map(([node, inNode]) => (
              <section key={node} className="border border-dotted border-slate-400 p-1.5 dark:border-slate-600" aria-label={`NUMA node ${node}`}>
                <h4 className="mb-1 text-xs text-slate-600 dark:text-slate-400">Node {node}</h4>
                <div className="flex flex-wrap gap-1">
                  {groupBy(
                    [...inNode].sort((a, b) => a.core - b.core || a.cpu - b.cpu),
                    (c) => c.core,
                  ).map(([core, threads]) => (
                    <div key={core} className="flex gap-px rounded-sm bg-slate-300 p-px dark:bg-slate-700" title={`core ${core}`}>
                      {threads.map((c) => {
                        const here = on.get(c.cpu) ?? [];
                        const top = here[0];
                        const vcpu = top?.thread.role === 'vcpu' ? top : undefined;
                        const pinned = pins.get(c.cpu) ?? [];
                        const kinds = violated.get(c.cpu) ?? [];
                        const intruded = kinds.includes('intruder');
                        const hostLoad = vcpu === undefined && c.busy !== null && c.busy >= HOST_LOAD_BUSY;
                        let color: string | undefined;
                        if (colorMode === 'state') {
                          if (vcpu !== undefined) color = stateColors[cellState(vcpu.thread.ran, vcpu.thread.pin, c.cpu, false)];
                          else if (hostLoad) color = stateColors[CellState.HOST_LOAD];
                        } else if (vcpu !== undefined) color = vmColors[vmColorIndex(vcpu.vm.name)];
                        const chosen = chosenVm !== null && vcpu?.vm.name === chosenVm;
                        const dim = chosenVm !== null && !chosen && color !== undefined;
                        if (color !== undefined && dim) color = mix(color, look.background, DIM_KEEP);
                        // What the cell shows, in order: its accessible name starts with the same text.
                        const shown = [
                          String(c.cpu),
                          c.isolated ? 'iso' : '',
                          intruded ? 'intruder' : '',
                          vcpu !== undefined ? shownText(vcpu.vm.name) : '',
                          vcpu !== undefined ? (vcpu.thread.ran ? `vCPU ${vcpu.thread.vcpu ?? '?'}` : `v${vcpu.thread.vcpu ?? '?'} stale`) : hostLoad ? `busy ${Math.round((c.busy ?? 0) * 100)}%` : '',
                        ];
                        const details = [
                          `pCPU ${c.cpu}`,
                          here.length === 0
                            ? 'nothing of a VM on it'
                            : here.map((r) => `${shownText(r.vm.name)} ${threadLabel(r.thread)} (tid ${r.thread.tid})${r.thread.ran ? '' : ', stale'}, pin ${cpuText(r.thread.pin)}, affinity ${cpuText(r.thread.affinity)}`).join('; '),
                          pinned.length > 0 ? `pinned by ${pinned.join(', ')}` : 'no pins',
                          c.isolated ? 'isolated' : '',
                          c.busy !== null ? `${Math.round(c.busy * 100)}% busy` : '',
                          kinds.length > 0 ? `violations: ${[...new Set(kinds)].join(', ')}` : '',
                        ].filter((s) => s !== '');
                        const label = `${shown.filter((s) => s !== '').join(' ')}: ${details.join('. ')}`;
                        return (
                          <TopologyCell
                            key={c.cpu}
                            cpu={c.cpu}
                            vmName={vcpu?.vm.name}
                            chosen={chosen}
                            dim={dim}
                            intruded={intruded}
                            isolated={c.isolated}
                            tabbable={c.cpu === tabCpu}
                            label={label}
                            pressed={selected === c.cpu}
                            pinned={pinned.length > 0}
                            violated={kinds.length > 0}
                            color={color}
                            busyPct={c.busy === null ? null : Math.round(c.busy * 100)}
                            stateText={shown[4] ?? ''}
                            onSelect={onSelect}
                            onFocusCpu={setFocusCpu}
                          />
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

/** Re-rendered for a new snapshot, selection, chosen VM or colouring only, not for every tick of the page's clock. */
export const TopologyGrid = memo(TopologyGridView);
