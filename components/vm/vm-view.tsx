'use client';
// The VM view: its violations, pin set against actual per vCPU with run-queue wait, each vCPU over
// the window (run and wait time; exact mode: where it ran, migrations, wake-up latency), and the
// timeline of its threads coloured by pCPU with hot-plugs marked.
import Link from 'next/link';
import { useMemo, useRef, useState } from 'react';
import { readSnapshotProp, type SnapshotProp } from '@/lib/api/snapshot-prop';
import type { VcpuIdentitySource } from '@/lib/model/types';
import { cpuText } from '@/lib/ui/describe';
import { formatAgo } from '@/lib/ui/format';
import { vcpuSeries } from '@/lib/ui/vcpu-series';
import { wantsCounters } from '@/lib/ui/live-history';
import { hostPath } from '@/lib/ui/url-state';
import { ConnectionIndicator } from '../live/connection-indicator';
import { ViolationsTable } from '../host/violations-table';
import { WindowBar } from '../host/window-bar';
import { useHostData } from '../use-host-data';
import { useNow } from '../use-now';
import { useViewState } from '../use-view-state';
import { VcpuOverTime } from './vcpu-over-time';
import { VcpuTable } from './vcpu-table';
import { VmTimeline } from './vm-timeline';
import { useFormatTime } from '../time/time-zone';
import { ShownName } from '@/components/shown-name';

const IDENTIFIED_BY: Readonly<Record<VcpuIdentitySource, string>> = { qmp: 'QMP', libvirt: 'libvirt', 'thread-name': 'thread names' };

export function VmView({ host, vm: name, initialSnapshot: snapshotJson, initialNow }: { readonly host: string; readonly vm: string; readonly initialSnapshot: SnapshotProp; readonly initialNow: number }) {
  const formatTime = useFormatTime();
  const [view, setViewUrl] = useViewState();
  const viewRef = useRef(view);
  viewRef.current = view;
  const [initialSnapshot] = useState(() => readSnapshotProp(snapshotJson));
  const { snapshot, live, status, historyError } = useHostData(host, view, initialSnapshot, initialNow, wantsCounters('vm', initialSnapshot));
  const now = useNow(initialNow);
  const vm = snapshot.vms.find((v) => v.name === name);

  // Each vCPU over the window, from the history's counters (run-queue wait, exact figures).
  const series = useMemo(() => (live === null ? [] : vcpuSeries(live.history, name)), [live, name]);
  const waits = useMemo(() => ({ byTid: new Map(series.map((s) => [s.tid, s.wait])) }), [series]);

  return (
    <div data-testid="vm-view">
      <p className="text-sm">
        <Link href={hostPath(host)} className="underline">
          ← host <span className="font-mono">{host}</span>
        </Link>
      </p>
      <div className="mt-1 flex flex-wrap items-baseline gap-3">
        <h1 className="font-mono text-xl font-semibold break-all">
          <ShownName value={name} />
        </h1>
        <ConnectionIndicator status={status} />
        <span className="text-sm text-slate-500 dark:text-slate-400">
          last frame {formatTime(snapshot.at)} ({formatAgo(now - snapshot.at)})
        </span>
      </div>
      <div className="mt-2">
        <WindowBar view={view} setView={setViewUrl} history={live?.history ?? null} host={host} vm={name} at={snapshot.at} />
      </div>
      {vm === undefined ? (
        <p role="alert" className="mt-4">
          This VM is not in the host&apos;s frame of {formatTime(snapshot.at)}: it stopped, or was renamed.
        </p>
      ) : (
        <>
          <p className="mt-2 text-sm">
            {vm.source === 'libvirt' ? 'libvirt domain' : 'QEMU process'} pid {vm.pid}
            {vm.uuid !== null ? `, uuid ${vm.uuid}` : ''}; intent from {vm.intent}
            {vm.dedicated ? ', dedicated' : ''}; {vm.vcpus.length} vCPUs{vm.maxVcpus !== null ? ` of ${vm.maxVcpus}` : ''}
            {vm.identity !== undefined && vm.identity !== 'unknown' ? `, identified by ${IDENTIFIED_BY[vm.identity]}` : ''}
            {vm.cgroup ? `; cpuset cgroup ${vm.cgroup.path} (${cpuText(vm.cgroup.cpus)})` : ''}.
          </p>
          {vm.identity === 'unknown' ? (
            <p data-testid="identity-unknown" className="mt-2 rounded border border-amber-600 p-2 text-sm dark:border-amber-400">
              Its vCPU threads cannot be identified: no QMP socket answers, QEMU runs without debug-threads=on and libvirt does not
              know it. None of its threads is judged against its pins. Start QEMU with <code>-name guest=NAME,debug-threads=on</code> or
              with a QMP socket (<code>-qmp unix:PATH,server=on,wait=off</code>).
            </p>
          ) : null}
          <section className="mt-6" aria-label="Violations">
            <ViolationsTable violations={snapshot.violations.filter((v) => v.vms.includes(name))} now={now} caption="Violations of this VM" />
          </section>
          <section className="mt-6" aria-label="vCPUs">
            <h2 className="mb-2 text-lg font-semibold">Pin set against actual</h2>
            <VcpuTable vm={vm} intervalMs={snapshot.intervalMs} waits={waits} />
          </section>
        </>
      )}
      {vm !== undefined && live !== null ? (
        <section className="mt-6" aria-label="vCPUs over the window">
          <h2 className="mb-2 text-lg font-semibold">vCPUs over the window</h2>
          <VcpuOverTime history={live.history} series={series} cpus={snapshot.topology.cpus} />
        </section>
      ) : null}
      <section className="mt-6" aria-label="Timeline">
        <h2 className="mb-2 text-lg font-semibold">Threads over time, coloured by pCPU</h2>
        {historyError !== null ? (
          <p role="alert">Could not load the history: {historyError.message}</p>
        ) : live === null ? (
          <p>Loading the history…</p>
        ) : (
          <VmTimeline
            live={live}
            snapshot={snapshot}
            vm={name}
            onBrush={(from, to) => setViewUrl({ ...view, window: { from, to }, zoom: null }, 'push')}
            zoom={view.zoom}
            onZoom={(zoom) => setViewUrl({ ...viewRef.current, zoom }, 'replace')}
          />
        )}
      </section>
    </div>
  );
}
