'use client';
// The host timeline heatmap: a row per pCPU (topology order), a column per tick, coloured by the
// VM whose vCPU ran there; stale cells faded, off-pin cells outlined. Drag to choose a window,
// Ctrl+wheel or +/- to zoom, Shift+wheel or Shift+arrows to pan, arrows to move a cursor.
import { useCallback, useMemo, useState } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { orderCpus, timelineCells, type TopologyCpu } from '@/lib/heatmap/timeline-cells';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import type { LiveHistory } from '@/lib/ui/live-history';
import type { History } from '@/lib/server/store/store';
import { cpuText, threadIndex, threadLabel } from '@/lib/ui/describe';
import { HeatCanvas, type HeatHit } from '../heat/heat-canvas';
import { Tooltip } from '../heat/tooltip';
import { canvasColors, useTheme } from '../use-theme';
import { useFormatTime } from '../time/time-zone';

interface Props {
  readonly live: LiveHistory;
  readonly snapshot: Snapshot;
  readonly selectedCpu: number | null;
  readonly onSelectCpu: (cpu: number) => void;
  readonly onBrush: (from: number, to: number) => void;
}

/** Topology CPUs plus any pCPU the history's vCPUs were seen on that the topology lacks. */
function rowTopology(snapshot: Snapshot, history: History): TopologyCpu[] {
  const known = new Set(snapshot.topology.cpus.map((c) => c.cpu));
  const extra = new Set<number>();
  history.threads.forEach((t, i) => {
    if (t.role !== 'vcpu') return;
    for (const col of history.pcpu) {
      const p = col[i];
      if (p !== null && p !== undefined && !known.has(p)) extra.add(p);
    }
  });
  return [...snapshot.topology.cpus, ...[...extra].map((cpu) => ({ cpu, socket: Number.MAX_SAFE_INTEGER, node: 0, core: cpu, siblings: [cpu] }))];
}

export function HostTimeline({ live, snapshot, selectedCpu, onSelectCpu, onBrush }: Props) {
  const formatTime = useFormatTime();
  const theme = useTheme();
  const look = canvasColors(theme);
  const colors = palette(theme);
  const [hit, setHit] = useState<HeatHit | null>(null);
  const epoch = live.epoch;
  const topoKey = snapshot.topology.cpus.map((c) => c.cpu).join(',');
  // Rows change only with a new history or topology, not with every live frame.
  const cpus = useMemo(() => rowTopology(snapshot, live.history), [epoch, topoKey]);
  const rowCpus = useMemo(() => orderCpus(cpus), [cpus]);
  const rows = rowCpus.length;
  const rowHeight = Math.max(3, Math.min(22, Math.floor(520 / Math.max(1, rows))));
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
  const geometry = useCallback((h: History, x0: number, x1: number, w: number, hh: number) => timelineCells(h, cpus, { width: w, height: hh, x0, x1 }, colorOf), [cpus, colorOf]);
  const threads = useMemo(() => threadIndex(snapshot), [snapshot]);
  const labelEvery = Math.ceil(11 / rowHeight);
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
          ];
  }

  return (
    <div className="relative flex" data-testid="host-timeline">
      <div className="relative w-10 shrink-0 text-right font-mono text-[10px] leading-none text-slate-500" style={{ height: rows * rowHeight }} aria-hidden>
        {rowCpus.map((cpu, r) =>
          r % labelEvery === 0 ? (
            <span key={cpu} className="absolute right-1" style={{ top: r * rowHeight + Math.max(0, (rowHeight - 10) / 2) }}>
              {cpu}
            </span>
          ) : null,
        )}
      </div>
      <div className="relative min-w-0 flex-1">
        <HeatCanvas
          live={live}
          rows={rows}
          geometry={geometry}
          configKey={`${theme}:${rowCpus.join(',')}`}
          palette={colors}
          background={look.background}
          markColor={look.mark}
          rowHeight={rowHeight}
          label={`Timeline of ${rows} pCPUs over ${live.history.ticks.length} ticks, coloured by VM. Arrow keys move a cursor, Enter selects the pCPU, plus and minus zoom.`}
          selectedRow={selectedRow !== null && selectedRow >= 0 ? selectedRow : null}
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
