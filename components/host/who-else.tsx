'use client';
// "Who else ran here": every task that ran on the selected pCPU in the frame's interval, most run
// time first, with its VM or "host task" (exact mode: the scheduler's trace events), and the
// interrupts delivered there. Sampled hosts know only which VM threads were last seen there.
import type { Snapshot } from '@/lib/model/snapshot';
import { formatNs, whoElseRan } from '@/lib/ui/exact-view';
import { formatShare } from '@/lib/ui/format';
import { ShownName } from '../shown-name';

export function WhoElse({ snapshot, cpu }: { readonly snapshot: Snapshot; readonly cpu: number }) {
  const w = whoElseRan(snapshot, cpu);
  const share = (ns: number | null) => (ns === null || w.intervalNs === null ? '' : formatShare(Math.min(1, ns / w.intervalNs)));
  return (
    <div data-testid="who-else" data-cpu={cpu} className="mt-3 text-sm">
      <h3 className="font-semibold">
        Who else ran on pCPU {cpu} <span className="font-normal text-slate-600 dark:text-slate-400">(the frame&apos;s last interval{w.exact ? ', exact' : ', sampled: VM threads last seen here only'})</span>
      </h3>
      {w.tasks.length === 0 ? (
        <p>{w.exact ? 'No task the agent follows or watches ran here in the interval.' : 'No VM thread was last seen running here.'}</p>
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
              <tr key={t.tid} data-tid={t.tid} data-vm={t.vm ?? undefined}>
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
      {w.rest !== null ? (
        <p className="text-slate-600 dark:text-slate-400">
          and {w.rest.tasks} more task{w.rest.tasks === 1 ? '' : 's'}, {formatNs(w.rest.ns)} in all
        </p>
      ) : null}
      {w.irqs.length > 0 ? (
        <p className="mt-1" data-testid="who-else-irqs">
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
