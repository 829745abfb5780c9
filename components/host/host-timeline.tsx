'use client';
// The host timeline heatmap: a row per pCPU (topology order, socket and NUMA node bands beside it),
// a column per tick, coloured by the VM whose vCPU ran there, or by state (on pin, off pin,
// unpinned, stale); a chosen VM's cells in full colour and the rest dimmed; stale cells faded,
// off-pin cells outlined. Drag to choose a window, Ctrl+wheel or +/- to zoom, Shift+wheel or
// Shift+arrows to pan (the zoom is in the URL), arrows to move a cursor.
import { useCallback, useMemo, useState } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { axisLabels, bandStarts, cpuBands } from '@/lib/heatmap/bands';
import { cellState, CellState, STATE_LABELS, statePalette, withDimmed } from '@/lib/heatmap/cell-colors';
import { columnNs, columnTasks } from '@/lib/heatmap/column-tasks';
import { cpuRows, orderCpus, timelineCells, unseenPcpus, vcpuThreadIndexes, type TimelineColoring, type TopologyCpu } from '@/lib/heatmap/timeline-cells';
import { fnv1a32, palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import type { LiveHistory } from '@/lib/ui/live-history';
import type { History } from '@/lib/api/history';
import { cpuText, threadIndex, threadLabel } from '@/lib/ui/describe';
import { formatNs } from '@/lib/ui/exact-view';
import { formatShare } from '@/lib/ui/format';
import type { ColorMode } from '@/lib/ui/url-state';
import { BandAxis } from '../heat/band-axis';
import { HeatCanvas, type HeatHit, type ZoomSpan } from '../heat/heat-canvas';
import { Tooltip } from '../heat/tooltip';
import { canvasColors, useTheme } from '../use-theme';
import { useFormatTime } from '../time/time-zone';

interface Props {
  readonly live: LiveHistory;
  readonly snapshot: Snapshot;
  readonly selectedCpu: number | null;
  readonly onSelectCpu: (cpu: number) => void;
  readonly onBrush: (from: number, to: number) => void;
  readonly chosenVm: string | null;
  readonly colorMode: ColorMode;
  readonly zoom: ZoomSpan | null;
  readonly onZoom: (zoom: ZoomSpan | null) => void;
  /** The first history is drawn. */
  readonly onDrawn?: () => void;
}

/** Topology CPUs plus any pCPU the history's vCPUs were seen on that the topology lacks. */
function rowTopology(snapshot: Snapshot, history: History): readonly TopologyCpu[] {
  const known = cpuRows(snapshot.topology.cpus.map((c) => c.cpu));
  const extra = unseenPcpus(history, vcpuThreadIndexes(history), known, 0, history.pcpu.length);
  if (extra.length === 0) return snapshot.topology.cpus;
  return [...snapshot.topology.cpus, ...extra.map((cpu) => ({ cpu, socket: Number.MAX_SAFE_INTEGER, node: 0, core: cpu, siblings: [cpu] }))];
}

/** The vCPU pins of a snapshot by history thread key, and a key that changes only when a pin does. */
function snapshotPins(snapshot: Snapshot): { key: string; pins: Map<string, readonly number[] | null> } {
  const pins = new Map<string, readonly number[] | null>();
  const parts: string[] = [];
  for (const vm of snapshot.vms) {
    for (const v of vm.vcpus) {
      const k = `${vm.name}:${vm.pid}:${v.tid}`;
      pins.set(k, v.pin);
      parts.push(`${k}=${v.pin?.join(',') ?? '-'}`);
    }
  }
  return { key: parts.join(' '), pins };
}

/** Row labels at least this far apart (px), 11 px text. */
const LABEL_GAP = 14;

export function HostTimeline({ live, snapshot, selectedCpu, onSelectCpu, onBrush, chosenVm, colorMode, zoom, onZoom, onDrawn }: Props) {
  const formatTime = useFormatTime();
  const theme = useTheme();
  const look = canvasColors(theme);
  const byState = colorMode === 'state';
  // By VM, exact mode's host tasks take the "host load" colour, after the VMs' colours.
  const base = useMemo(() => (byState ? statePalette(theme) : [...palette(theme), statePalette(theme)[CellState.HOST_LOAD] ?? '#CC79A7']), [byState, theme]);
  const colors = useMemo(() => withDimmed(base, look.background), [base, look.background]);
  const [hit, setHit] = useState<HeatHit | null>(null);
  const epoch = live.epoch;
  const topoKey = snapshot.topology.cpus.map((c) => c.cpu).join(',');
  // Rows change only with a new history or topology, not with every live frame.
  const cpus = useMemo(() => rowTopology(snapshot, live.history), [epoch, topoKey]);
  const rowCpus = useMemo(() => orderCpus(cpus), [cpus]);
  const rows = rowCpus.length;
  const rowHeight = Math.max(3, Math.min(22, Math.floor(520 / Math.max(1, rows))));
  const sockets = useMemo(() => cpuBands(rowCpus, cpus, 'socket'), [rowCpus, cpus]);
  const nodes = useMemo(() => cpuBands(rowCpus, cpus, 'node'), [rowCpus, cpus]);
  const bandRows = useMemo(() => [...new Set([...bandStarts(sockets), ...bandStarts(nodes)])], [sockets, nodes]);
  const labels = useMemo(() => axisLabels(rows, rowHeight, LABEL_GAP).map((r) => ({ at: r, text: String(rowCpus[r] ?? '') })), [rows, rowHeight, rowCpus]);

  // By state only: the pins change rarely, so the colouring (and the ring) is rebuilt only when one does.
  const pinsNow = byState ? snapshotPins(snapshot) : null;
  const pinKey = pinsNow === null ? '' : `${pinsNow.key.length}:${fnv1a32(pinsNow.key).toString(36)}`;
  const pins = useMemo(() => pinsNow?.pins ?? new Map<string, readonly number[] | null>(), [pinKey]);
  const coloring = useMemo<TimelineColoring>(
    () => ({ chosenVm, dimOffset: base.length, pinOf: byState ? (key: string) => pins.get(key) ?? null : null, hostColor: byState ? CellState.HOST_LOAD : base.length - 1 }),
    [chosenVm, base.length, byState, pins],
  );
  const colorCache = useMemo(() => new Map<string, number>(), []);
  const colorOf = useCallback(
    (vm: string) => {
      let c = colorCache.get(vm);
      if (c === undefined) {
        c = vmColorIndex(vm);
        colorCache.set(vm, c);
      }
      return c;
    },
    [colorCache],
  );
  const geometry = useCallback(
    (h: History, x0: number, x1: number, w: number, hh: number) => timelineCells(h, cpus, { width: w, height: hh, x0, x1 }, colorOf, coloring),
    [cpus, colorOf, coloring],
  );
  const threads = useMemo(() => threadIndex(snapshot), [snapshot]);
  const selectedRow = selectedCpu === null ? null : rowCpus.indexOf(selectedCpu);

  let tip: string[] | null = null;
  if (hit !== null) {
    const h = live.history;
    const cpu = rowCpus[hit.row];
    const at = h.ticks[hit.tick];
    const th = hit.thread === null ? undefined : h.threads[hit.thread];
    const ran = hit.thread === null ? undefined : h.ran?.[hit.tick]?.[hit.thread];
    const now = th === undefined ? undefined : threads.get(th.key);
    tip =
      th === undefined
        ? [`pCPU ${cpu ?? '?'}`, at === undefined ? '' : formatTime(at), 'no vCPU seen here']
        : [
            `${th.vm} ${th.role === 'vcpu' ? `vCPU ${th.vcpu ?? '?'}` : th.name}`,
            `thread ${th.tid} on pCPU ${cpu ?? '?'}${ran === 0 ? ' (stale: did not run this tick)' : ''}`,
            at === undefined ? '' : formatTime(at),
            now === undefined ? 'thread gone now' : `now: ${threadLabel(now.thread)}, pin ${cpuText(now.thread.pin)}, affinity ${cpuText(now.thread.affinity)}`,
            byState && cpu !== undefined ? `state: ${STATE_LABELS[cellState(ran !== 0, pins.get(th.key) ?? null, cpu, false)] ?? '?'}` : '',
          ];
    // Exact mode: every task's run time in the cell (a shared cell is split by these).
    const tasks = cpu === undefined ? undefined : columnTasks(h, hit.tick)?.get(cpu);
    if (tasks !== undefined && tasks.length > 0) {
      const span = columnNs(h, hit.tick);
      if (th === undefined) tip = [`pCPU ${cpu ?? '?'}`, at === undefined ? '' : formatTime(at)];
      tip.push(tasks.length > 1 ? `shared by ${tasks.length} tasks:` : 'ran here:');
      for (const t of tasks.slice(0, 8)) tip.push(`${t.vm ?? (t.kernel ? 'kernel' : 'host')} ${t.comm} (${t.tid}): ${formatNs(t.ns)}, ${formatShare(Math.min(1, t.ns / span))}`);
      if (tasks.length > 8) tip.push(`and ${tasks.length - 8} more`);
    }
  }

  return (
    <div className="relative flex" data-testid="host-timeline" data-row-cpus={rowCpus.join(',')}>
      <BandAxis orientation="rows" step={rowHeight} count={rows} sockets={sockets} nodes={nodes} labels={labels} />
      <div className="relative min-w-0 flex-1">
        <HeatCanvas
          live={live}
          rows={rows}
          geometry={geometry}
          configKey={`${theme}:${rowCpus.join(',')}:${colorMode}:${chosenVm ?? ''}:${pinKey}`}
          palette={colors}
          background={look.background}
          markColor={look.mark}
          bandRows={bandRows}
          bandColor={look.grid}
          rowHeight={rowHeight}
          label={`Timeline of ${rows} pCPUs over ${live.history.ticks.length} ticks, coloured by ${byState ? 'state' : 'VM'}${chosenVm !== null ? `, ${chosenVm} highlighted` : ''}. Arrow keys move a cursor, Enter selects the pCPU, plus and minus zoom.`}
          selectedRow={selectedRow !== null && selectedRow >= 0 ? selectedRow : null}
          zoom={zoom}
          onZoom={onZoom}
          onDrawn={onDrawn}
          onHover={setHit}
          onSelectRow={(r) => {
            const cpu = rowCpus[r];
            if (cpu !== undefined) onSelectCpu(cpu);
          }}
          onBrush={(x0, x1) => {
            const t = live.history.ticks;
            const from = t[x0];
            const last = t[x1 - 1];
            if (from !== undefined && last !== undefined) onBrush(from, last + (live.history.stepMs ?? 1000));
          }}
        />
        {hit !== null && tip !== null ? <Tooltip x={hit.x} y={hit.y} lines={tip.filter((l) => l !== '')} /> : null}
      </div>
    </div>
  );
}
