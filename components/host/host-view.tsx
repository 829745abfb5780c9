'use client';
// The host view: violations first, then the legend, the topology grid, the timeline heatmap, the
// vCPU x pCPU matrix and the VMs. State (window, selected pCPU, chosen VM, colouring, zoom) is in
// the URL; Escape clears the selection (the chosen VM and the pCPU).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { readSnapshotProp, type SnapshotProp } from '@/lib/api/snapshot-prop';
import { formatAgo, isStale } from '@/lib/ui/format';
import { wantsCounters } from '@/lib/ui/live-history';
import type { ColorMode } from '@/lib/ui/url-state';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useHostData } from '../use-host-data';
import { useNow } from '../use-now';
import { useViewState } from '../use-view-state';
import type { ZoomSpan } from '../heat/heat-canvas';
import { HostLegend } from './host-legend';
import { HostTimeline } from './host-timeline';
import { TopologyGrid } from './topology-grid';
import { VcpuMatrixView } from './vcpu-matrix-view';
import { ViolationsTable } from './violations-table';
import { VmList } from './vm-list';
import { WindowBar } from './window-bar';
import { useFormatTime } from '../time/time-zone';
import { WhoElse } from './who-else';

function Section({ title, children, testId }: { readonly title: string; readonly children: React.ReactNode; readonly testId?: string }) {
  return (
    // Layout containment: a live update inside one section never re-lays out the others.
    <section className="mt-6 [contain:layout_style]" aria-label={title} data-testid={testId}>
      <h2 className="mb-2 text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

const BELOW_WAIT_MS = 3000;

export function HostView({ host, initialSnapshot: snapshotJson, initialNow }: { readonly host: string; readonly initialSnapshot: SnapshotProp; readonly initialNow: number }) {
  const formatTime = useFormatTime();
  const [view, setViewUrl] = useViewState();
  const [initialSnapshot] = useState(() => readSnapshotProp(snapshotJson));
  const { snapshot, live, status, historyError } = useHostData(host, view, initialSnapshot, initialNow, wantsCounters('host', initialSnapshot));
  const now = useNow(initialNow);
  const stale = view.window === null && isStale(snapshot.at, now, snapshot.intervalMs);

  // The matrix and the VM table (below the fold) wait for the timeline's first full draw: on a big
  // host the matrix is hundreds of thousands of cells and the table hundreds of elements to
  // hydrate, and the heatmap is what the page is opened for. Shown anyway after BELOW_WAIT_MS (a
  // timeline that cannot draw keeps nothing waiting), and at once without a history to draw.
  const [timelineDrawn, setTimelineDrawn] = useState(false);
  const onTimelineDrawn = useCallback(() => setTimelineDrawn(true), []);
  useEffect(() => {
    if (timelineDrawn) return;
    const t = setTimeout(() => setTimelineDrawn(true), BELOW_WAIT_MS);
    return () => clearTimeout(t);
  }, [timelineDrawn]);
  const belowShown = timelineDrawn || historyError !== null || (live !== null && live.history.ticks.length === 0);

  const viewRef = useRef(view);
  viewRef.current = view;
  const selectCpu = useCallback(
    (cpu: number) => setViewUrl({ ...viewRef.current, cpu: viewRef.current.cpu === cpu ? null : cpu }, 'replace'),
    [setViewUrl],
  );
  const chooseVm = useCallback((vm: string | null) => setViewUrl({ ...viewRef.current, vm }, 'replace'), [setViewUrl]);
  const setColorMode = useCallback((color: ColorMode) => setViewUrl({ ...viewRef.current, color }, 'replace'), [setViewUrl]);
  const setZoom = useCallback((zoom: ZoomSpan | null) => setViewUrl({ ...viewRef.current, zoom }, 'replace'), [setViewUrl]);

  // Escape anywhere on the page clears the selection; in a search box with text it clears the text first.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const t = e.target;
      if ((t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) && t.value !== '') return;
      const v = viewRef.current;
      if (v.vm !== null || v.cpu !== null) setViewUrl({ ...v, vm: null, cpu: null }, 'replace');
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [setViewUrl]);

  const vmKey = snapshot.vms.map((v) => `${v.name}\u0000${v.vcpus.length}`).join('\u0001');
  const legendVms = useMemo(() => {
    const counts = new Map<string, number>();
    for (const vm of snapshot.vms) counts.set(vm.name, (counts.get(vm.name) ?? 0) + vm.vcpus.length);
    return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([name, vcpus]) => ({ name, vcpus }));
  }, [vmKey]);

  return (
    <div data-testid="host-view">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="font-mono text-xl font-semibold break-all">{host}</h1>
        <ConnectionIndicator status={status} />
        <span
          data-testid="mode"
          data-mode={snapshot.mode ?? 'sampled'}
          title={snapshot.mode === 'exact' ? 'From the scheduler\'s trace events: run time per pCPU, every switch' : 'Point samples of each thread\'s last pCPU, once per interval'}
          className={`rounded px-1.5 text-xs font-semibold ${snapshot.mode === 'exact' ? 'bg-emerald-200 text-emerald-950' : 'bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100'}`}
        >
          {snapshot.mode === 'exact' ? 'exact' : 'sampled'}
        </span>
        {snapshot.trace !== undefined && snapshot.trace.lostEvents > 0 ? (
          <span role="status" className="text-sm font-semibold text-red-700 dark:text-red-400" data-testid="lost-events">
            {snapshot.trace.lostEvents} trace events lost in the last interval
          </span>
        ) : null}
        <span className={`text-sm ${stale ? 'font-semibold text-red-700 dark:text-red-400' : 'text-slate-500 dark:text-slate-400'}`} data-testid="last-frame">
          {stale ? 'STALE: ' : ''}last frame {formatTime(snapshot.at)} ({formatAgo(now - snapshot.at)})
        </span>
      </div>
      <div className="mt-2">
        <WindowBar view={view} setView={setViewUrl} history={live?.history ?? null} host={host} vm={null} at={snapshot.at} exact={snapshot.mode === 'exact'} />
      </div>

      <Section title="Violations" testId="violations">
        <ViolationsTable violations={snapshot.violations} now={now} caption={view.window === null ? 'In force now' : `In force at ${formatTime(snapshot.at)}`} />
      </Section>

      <Section title="Legend" testId="legend">
        <HostLegend vms={legendVms} chosenVm={view.vm} colorMode={view.color} onChoose={chooseVm} onColorMode={setColorMode} />
      </Section>

      <Section title="Topology" testId="topology">
        <TopologyGrid snapshot={snapshot} selected={view.cpu} onSelect={selectCpu} chosenVm={view.vm} colorMode={view.color} />
        {view.cpu !== null ? <WhoElse snapshot={snapshot} cpu={view.cpu} history={live?.history ?? null} /> : null}
      </Section>

      <Section title={`Timeline: pCPU by tick, coloured by ${view.color === 'state' ? 'state' : 'VM'}`} testId="timeline">
        <p className="mb-1 text-xs text-slate-600 dark:text-slate-400">
          Faded: the thread did not run that tick (its pCPU is its last one). Outlined: off-pin. Drag to choose a window; Ctrl+wheel or +/− to zoom, Shift+wheel to pan.
        </p>
        {historyError !== null ? (
          <p role="alert" className="text-red-700 dark:text-red-400">
            Could not load the history: {historyError.message}
          </p>
        ) : live === null ? (
          <p>Loading the history…</p>
        ) : live.history.ticks.length === 0 ? (
          <p>No frames in this window.</p>
        ) : (
          <HostTimeline
            live={live}
            snapshot={snapshot}
            selectedCpu={view.cpu}
            onSelectCpu={selectCpu}
            onBrush={(from, to) => setViewUrl({ ...view, window: { from, to }, zoom: null }, 'push')}
            chosenVm={view.vm}
            colorMode={view.color}
            zoom={view.zoom}
            onZoom={setZoom}
            onDrawn={onTimelineDrawn}
          />
        )}
      </Section>

      <Section title="vCPU × pCPU: share of the window" testId="matrix">
        {live === null || live.history.ticks.length === 0 ? (
          <p>No frames in this window.</p>
        ) : timelineDrawn ? (
          <VcpuMatrixView live={live} snapshot={snapshot} chosenVm={view.vm} colorMode={view.color} />
        ) : (
          <p>Drawn once the timeline is.</p>
        )}
      </Section>

      <Section title="VMs" testId="vms">
        {belowShown ? <VmList host={host} vms={snapshot.vms} violations={snapshot.violations} chosenVm={view.vm} onChoose={chooseVm} /> : <p>Listed once the timeline is drawn.</p>}
      </Section>
    </div>
  );
}
