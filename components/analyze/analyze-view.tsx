'use client';
// Agentless analysis: paste `ps -eLo ...` and `query-cpus-fast` (and libvirt XML, a pins file,
// `lscpu -p`), get the host view the agent would have given: violations, topology, vCPUs.
import { useState } from 'react';
import { ApiError, postAnalyze } from '@/lib/api/client';
import type { Snapshot } from '@/lib/model/snapshot';
import { TopologyGrid } from '../host/topology-grid';
import { ViolationsTable } from '../host/violations-table';
import { VcpuTable } from '../vm/vcpu-table';
import { ShownName } from '@/components/shown-name';

const FIELDS = [
  { key: 'ps', label: 'ps -eLo pid,lwp,psr,stat,comm,args', required: true, rows: 8 },
  { key: 'queryCpusFast', label: 'query-cpus-fast reply (JSON)', required: false, rows: 5 },
  { key: 'libvirtXml', label: 'libvirt domain or status XML', required: false, rows: 5 },
  { key: 'pins', label: 'pins file (YAML or JSON)', required: false, rows: 3 },
  { key: 'topology', label: 'lscpu -p', required: false, rows: 3 },
] as const;

type Key = (typeof FIELDS)[number]['key'];

/** The 400's `fields` of the form's own fields. */
function fieldFailures(fields: Readonly<Record<string, string>>): Partial<Record<Key, string>> {
  const out: Partial<Record<Key, string>> = {};
  for (const f of FIELDS) {
    const v = fields[f.key];
    if (v !== undefined) out[f.key] = v;
  }
  return out;
}
const NO_WAITS = { byTid: new Map<number, readonly number[]>() };

export function AnalyzeView() {
  const [text, setText] = useState<Record<Key, string>>({ ps: '', queryCpusFast: '', libvirtXml: '', pins: '', topology: '' });
  const [result, setResult] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Field -> why it could not be read, from the 400's `fields`. */
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Key, string>>>({});
  const [busy, setBusy] = useState(false);
  const [cpu, setCpu] = useState<number | null>(null);

  const submit = async () => {
    setBusy(true);
    // A new answer replaces the old one whatever it is: never an old result under a new error.
    setError(null);
    setFieldErrors({});
    setResult(null);
    setCpu(null);
    try {
      const body = Object.fromEntries(Object.entries(text).filter(([, v]) => v.trim() !== ''));
      setResult(await postAnalyze(body));
    } catch (err) {
      setError(err instanceof ApiError ? err.reason : err instanceof Error ? err.message : String(err));
      if (err instanceof ApiError) setFieldErrors(fieldFailures(err.fields));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <h1 className="text-xl font-semibold">Analyze pasted output</h1>
      <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">Nothing is stored. The same parsers as the agent read what you paste; the kernel affinity and run-queue times are not in a paste.</p>
      <form
        className="mt-4 grid gap-3 lg:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {FIELDS.map((f) => (
          <label key={f.key} className="block text-sm">
            <span className="font-mono">{f.label}</span>
            {f.required ? <span className="text-red-700 dark:text-red-400"> (required)</span> : null}
            <textarea
              value={text[f.key]}
              required={f.required}
              rows={f.rows}
              spellCheck={false}
              aria-invalid={fieldErrors[f.key] !== undefined}
              aria-describedby={fieldErrors[f.key] !== undefined ? `analyze-error-${f.key}` : undefined}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setText((t) => ({ ...t, [f.key]: v }));
              }}
              className={`mt-1 w-full rounded border bg-white p-2 font-mono text-xs dark:bg-slate-900 ${fieldErrors[f.key] !== undefined ? 'border-red-600' : 'border-slate-300 dark:border-slate-700'}`}
            />
            {fieldErrors[f.key] !== undefined ? (
              <span id={`analyze-error-${f.key}`} data-field-error={f.key} className="mt-1 block whitespace-pre-line text-xs text-red-700 dark:text-red-300">
                {fieldErrors[f.key]}
              </span>
            ) : null}
          </label>
        ))}
        <div className="flex items-end">
          <button type="submit" disabled={busy} className="rounded bg-sky-700 px-4 py-2 text-white disabled:opacity-50">
            {busy ? 'Analyzing…' : 'Analyze'}
          </button>
        </div>
      </form>
      {error !== null ? (
        <p role="alert" className="mt-4 whitespace-pre-line rounded border border-red-500 p-3 text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
      {result !== null ? (
        <div className="mt-6 space-y-6" data-testid="analyze-result">
          <ViolationsTable violations={result.violations} now={result.at} caption="Violations in the paste" />
          <TopologyGrid snapshot={result} selected={cpu} onSelect={(c) => setCpu(cpu === c ? null : c)} />
          {result.vms.map((vm) => (
            <section key={`${vm.name}:${vm.pid}`} aria-label={vm.name}>
              <h2 className="mb-1 font-mono font-semibold break-all">
                <ShownName value={vm.name} />
              </h2>
              <VcpuTable vm={vm} intervalMs={null} waits={NO_WAITS} unobserved={result.unobserved ?? []} />
            </section>
          ))}
        </div>
      ) : null}
    </div>
  );
}
