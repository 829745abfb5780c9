'use client';
// The violations of a snapshot as an HTML table, most severe first, each with its one-sentence
// explanation and the command that restores the intent, ready to copy.
import { useState } from 'react';
import type { Severity, Violation } from '@/lib/model/snapshot';
import { cpuText } from '@/lib/ui/describe';
import { formatAgo } from '@/lib/ui/format';
import { sortViolations, violationSubject } from '@/lib/ui/violation-order';
import { useFormatTime } from '../time/time-zone';

const SEVERITY: Record<Severity, { icon: string; cls: string }> = {
  critical: { icon: '▲', cls: 'text-red-700 dark:text-red-400' },
  warning: { icon: '◆', cls: 'text-amber-700 dark:text-amber-400' },
  info: { icon: '●', cls: 'text-sky-700 dark:text-sky-400' },
};

function CopyButton({ text }: { readonly text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="ml-2 rounded border border-slate-300 px-1.5 text-xs dark:border-slate-700"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setDone(true));
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function ViolationsTable({ violations, now, caption }: { readonly violations: readonly Violation[]; readonly now: number; readonly caption: string }) {
  const formatTime = useFormatTime();
  const rows = sortViolations(violations);
  if (rows.length === 0) {
    return (
      <p className="text-sm" data-testid="violations-none">
        <span className="font-semibold">{caption}:</span> none.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full border-collapse text-left text-sm" data-testid="violations-table">
        <caption className="mb-1 text-left font-semibold">
          {caption}: {rows.length === 0 ? 'none' : rows.length}
        </caption>
        <thead className="border-b border-slate-300 dark:border-slate-700">
          <tr>
            <th scope="col" className="py-1 pr-3">Severity</th>
            <th scope="col" className="py-1 pr-3">Kind</th>
            <th scope="col" className="py-1 pr-3">VM</th>
            <th scope="col" className="py-1 pr-3">vCPU or thread</th>
            <th scope="col" className="py-1 pr-3">pCPUs</th>
            <th scope="col" className="py-1 pr-3">Since</th>
            <th scope="col" className="py-1">What is wrong</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((v) => {
            const sev = SEVERITY[v.severity];
            return (
              <tr key={v.id} data-kind={v.kind} data-vm={v.vm} className="border-b border-slate-200 align-top dark:border-slate-800">
                <td className={`py-1 pr-3 font-semibold ${sev.cls}`}>
                  <span aria-hidden>{sev.icon} </span>
                  {v.severity}
                </td>
                <td className="py-1 pr-3 font-mono">{v.kind}</td>
                <td className="py-1 pr-3 font-mono break-all">{v.vms.join(', ')}</td>
                <td className="py-1 pr-3">{violationSubject(v)}</td>
                <td className="py-1 pr-3 font-mono">{cpuText(v.pcpus)}</td>
                <td className="py-1 pr-3 whitespace-nowrap" title={formatTime(v.since)}>
                  {formatAgo(now - v.since)}
                </td>
                <td className="py-1">
                  {v.message}
                  {v.fix !== null ? (
                    <div className="mt-0.5">
                      <code className="rounded bg-slate-200 px-1 font-mono text-xs break-all dark:bg-slate-800">{v.fix}</code>
                      <CopyButton text={v.fix} />
                    </div>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
