'use client';
// "Who else ran here": every task that ran on the selected pCPU, most run time first, with its VM
// or "host task", and the interrupts delivered there: over the window on screen (exact mode: from
// the history's per-tick figures) and in the frame's last interval. Sampled hosts know only which
// VM threads were last seen there.
import type { Snapshot } from '@/lib/model/snapshot';
import type { History } from '@/lib/api/history';
import { formatNs, whoElseOverWindow, whoElseRan, type WhoElse as WhoElseFigures } from '@/lib/ui/exact-view';
import { formatShare } from '@/lib/ui/format';
import { useFormatTime } from '../time/time-zone';
import { ShownName } from '../shown-name';

function Tasks({ w, empty, testId }: { readonly w: WhoElseFigures; readonly empty: string; readonly testId: string }) {
  const share = (ns: number | null) => (ns === null || w.intervalNs === null ? '' : formatShare(Math.min(1, ns / w.intervalNs)));
  return (
    <div data-testid={testId}>
      {w.tasks.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <table className="mt-1 text-left">
          <thead>
            <tr>
              <th scope="col" className="pr-3">Task</th>
              <th scope="col" className="pr-3">PID / TID</th>
              <th scope="col" className="pr-3">Of</th>
              <th scope="col" className="pr-3">Ran</th>
              <th scope="col" className="pr-3">Share</th>
            </tr>
          </thead>
          <tbody>
            {w.tasks.map((t) => (
              <tr key={`${t.tid}:${t.comm}:${t.vm ?? ''}`} data-tid={t.tid} data-vm={t.vm ?? undefined}>
                <td className="pr-3 font-mono">
                  <ShownName value={t.comm} />
                </td>
                <td className="pr-3 font-mono">
                  {t.pid ?? '?'} / {t.tid}
                </td>
                <td className="pr-3">{t.vm !== null ? <ShownName value={t.vm} /> : t.kernel ? 'kernel thread' : 'host task'}</td>
                <td className="pr-3 font-mono">{t.ns === null ? 'last seen here' : formatNs(t.ns)}</td>
                <td className="pr-3 font-mono">{share(t.ns)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {w.rest !== null ? <p className="text-slate-600 dark:text-slate-400">and tasks not listed one by one, {formatNs(w.rest.ns)} in all</p> : null}
      {w.irqs.length > 0 ? (
        <p className="mt-1" data-testid={`${testId}-irqs`}>
          Interrupts here:{' '}
          {w.irqs.map((i, k) => (
            <span key={i.irq} className="font-mono">
              {k > 0 ? ', ' : ''}
              {i.irq} <ShownName value={i.name} /> ×{i.count}
            </span>
          ))}
        </p>
      ) : null}
    </div>
  );
}

export function WhoElse({ snapshot, cpu, history }: { readonly snapshot: Snapshot; readonly cpu: number; readonly history: History | null }) {
  const formatTime = useFormatTime();
  const w = whoElseRan(snapshot, cpu);
  const win = history === null ? null : whoElseOverWindow(history, cpu);
  const note = 'font-normal text-slate-600 dark:text-slate-400';
  return (
    <div data-testid="who-else" data-cpu={cpu} className="mt-3 text-sm">
      {win !== null && win.exact && history !== null ? (
        <div className="mb-3">
          <h3 className="font-semibold">
            Who else ran on pCPU {cpu} over the window{' '}
            <span className={note}>
              ({formatTime(history.ticks[0] ?? history.from)} to {formatTime(history.to)}, {win.columns} {history.stepMs === null ? 'ticks' : 'buckets'} with exact figures
              {win.lostEvents > 0 ? `; ${win.lostEvents} trace events lost: incomplete` : ''})
            </span>
          </h3>
          <Tasks w={win} empty="No task the agent follows or watches ran here in the window." testId="who-else-window" />
        </div>
      ) : null}
      <h3 className="font-semibold">
        Who else ran on pCPU {cpu} <span className={note}>(the frame&apos;s last interval{w.exact ? ', exact' : ', sampled: VM threads last seen here only'})</span>
      </h3>
      <Tasks w={w} empty={w.exact ? 'No task the agent follows or watches ran here in the interval.' : 'No VM thread was last seen running here.'} testId="who-else-interval" />
    </div>
  );
}
