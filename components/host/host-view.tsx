'use client';
// The host view: violations first, then the topology grid, the timeline heatmap, the vCPU x pCPU
// matrix and the VMs. State (window, selected pCPU) is in the URL.
import { useCallback, useRef } from 'react';
import type { Snapshot } from '@/lib/model/snapshot';
import { formatAgo, isStale } from '@/lib/ui/format';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useHostData } from '../use-host-data';
import { useNow } from '../use-now';
import { useViewState } from '../use-view-state';
import { HostTimeline } from './host-timeline';
import { TopologyGrid } from './topology-grid';
import { VcpuMatrixView } from './vcpu-matrix-view';
import { ViolationsTable } from './violations-table';
import { VmList } from './vm-list';
import { WindowBar } from './window-bar';
import { useFormatTime } from '../time/time-zone';

function Section({ title, children, testId }: { readonly title: string; readonly children: React.ReactNode; readonly testId?: string }) {
  return (
    // Layout containment: a live update inside one section never re-lays out the others.
    <section className="mt-6 [contain:layout_style]" aria-label={title} data-testid={testId}>
      <h2 className="mb-2 text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

export function HostView({ host, initialSnapshot, initialNow }: { readonly host: string; readonly initialSnapshot: Snapshot; readonly initialNow: number }) {
  const formatTime = useFormatTime();
  const [view, setViewUrl] = useViewState();
  const { snapshot, live, status, historyError } = useHostData(host, view, initialSnapshot, initialNow);
  const now = useNow(initialNow);
  const stale = view.window === null && isStale(snapshot.at, now, snapshot.intervalMs);

  const viewRef = useRef(view);
  viewRef.current = view;
  const selectCpu = useCallback(
    (cpu: number) => setViewUrl({ ...viewRef.current, cpu: viewRef.current.cpu === cpu ? null : cpu }, 'replace'),
    [setViewUrl],
  );

  return (
    <div data-testid="host-view">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="font-mono text-xl font-semibold break-all">{host}</h1>
        <ConnectionIndicator status={status} />
        <span className={`text-sm ${stale ? 'font-semibold text-red-700 dark:text-red-400' : 'text-slate-500 dark:text-slate-400'}`} data-testid="last-frame">
          {stale ? 'STALE: ' : ''}last frame {formatTime(snapshot.at)} ({formatAgo(now - snapshot.at)})
        </span>
      </div>
      <div className="mt-2">
        <WindowBar view={view} setView={setViewUrl} history={live?.history ?? null} host={host} vm={null} at={snapshot.at} />
      </div>

      <Section title="Violations" testId="violations">
        <ViolationsTable violations={snapshot.violations} now={now} caption={view.window === null ? 'In force now' : `In force at ${formatTime(snapshot.at)}`} />
      </Section>

      <Section title="Topology" testId="topology">
        <TopologyGrid snapshot={snapshot} selected={view.cpu} onSelect={selectCpu} />
      </Section>

      <Section title="Timeline: pCPU by tick, coloured by VM" testId="timeline">
        <p className="mb-1 text-xs text-slate-500 dark:text-slate-400">
          Faded: the thread did not run that tick (its pCPU is its last one). Outlined: off-pin. Drag to choose a window; Ctrl+wheel or +/− to zoom.
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
            onBrush={(from, to) => setViewUrl({ ...view, window: { from, to } }, 'push')}
          />
        )}
      </Section>

      <Section title="vCPU × pCPU: share of the window" testId="matrix">
        {live !== null && live.history.ticks.length > 0 ? <VcpuMatrixView live={live} snapshot={snapshot} /> : <p>No frames in this window.</p>}
      </Section>

      <Section title="VMs" testId="vms">
        <VmList host={host} vms={snapshot.vms} violations={snapshot.violations} />
      </Section>
    </div>
  );
}
