'use client';
// The host view's legend and its controls: colour by VM or by state (in the URL), the state
// colours, and every VM with its colour, searchable. Choosing a VM (a click, or Enter in the
// search for the first match) highlights its cells on the grid, the timeline and the matrix and
// dims the rest; choosing it again, Clear or Escape clears it. Names are React text (untrusted).
import { memo, useState } from 'react';
import { STATE_LABELS, statePalette } from '@/lib/heatmap/cell-colors';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';
import type { ColorMode } from '@/lib/ui/url-state';
import { useTheme } from '../use-theme';

interface Props {
  /** VM names with their vCPU counts, in display order. */
  readonly vms: readonly { readonly name: string; readonly vcpus: number }[];
  readonly chosenVm: string | null;
  readonly colorMode: ColorMode;
  readonly onChoose: (vm: string | null) => void;
  readonly onColorMode: (mode: ColorMode) => void;
}

function Swatch({ color }: { readonly color: string | undefined }) {
  return <span aria-hidden className="inline-block h-3 w-3 shrink-0 rounded-sm border border-slate-400 dark:border-slate-500" style={{ backgroundColor: color }} />;
}

function HostLegendView({ vms, chosenVm, colorMode, onChoose, onColorMode }: Props) {
  const theme = useTheme();
  const vmColors = palette(theme);
  const states = statePalette(theme);
  const [query, setQuery] = useState('');
  const q = query.trim().toLowerCase();
  const matches = q === '' ? vms : vms.filter((v) => v.name.toLowerCase().includes(q));

  return (
    <div className="space-y-2 text-sm" data-testid="host-legend">
      <div className="flex flex-wrap items-center gap-4">
        <fieldset className="flex items-center gap-3">
          <legend className="float-left mr-2 font-semibold">Colour by</legend>
          {(
            [
              ['vm', 'VM'],
              ['state', 'state'],
            ] as const
          ).map(([mode, text]) => (
            <label key={mode} className="flex items-center gap-1">
              <input type="radio" name="color-mode" value={mode} checked={colorMode === mode} onChange={() => onColorMode(mode)} />
              {text}
            </label>
          ))}
        </fieldset>
        {colorMode === 'state' ? (
          <ul className="flex flex-wrap items-center gap-3" aria-label="State colours" data-testid="state-legend">
            {STATE_LABELS.map((label, i) => (
              <li key={label} className="flex items-center gap-1">
                <Swatch color={states[i]} />
                {label}
                {label === 'host load' ? <span className="text-slate-600 dark:text-slate-400">(topology grid)</span> : null}
              </li>
            ))}
            <li className="text-slate-600 dark:text-slate-400">off pin is also outlined</li>
          </ul>
        ) : null}
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-1">
          <span className="font-semibold">Find a VM</span>
          <input
            type="search"
            value={query}
            placeholder="name"
            className="w-44 rounded border border-slate-400 bg-white px-2 py-0.5 dark:border-slate-600 dark:bg-slate-900"
            onChange={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={(e) => {
              const first = matches[0];
              if (e.key === 'Enter' && first !== undefined) {
                e.preventDefault();
                onChoose(first.name);
              }
            }}
          />
        </label>
        <span role="status" className="text-slate-600 dark:text-slate-400">
          {q === '' ? `${vms.length} VMs` : `${matches.length} of ${vms.length} VMs match`}
        </span>
        {chosenVm !== null ? (
          <span className="flex items-center gap-2" data-testid="chosen-vm">
            <span>
              Showing <span className="font-mono font-semibold break-all">{chosenVm}</span>, the rest dimmed
            </span>
            <button type="button" className="rounded border border-slate-400 px-2 py-0.5 dark:border-slate-600" onClick={() => onChoose(null)}>
              Clear (Esc)
            </button>
          </span>
        ) : null}
      </div>
      <ul className="flex max-h-40 flex-wrap gap-1 overflow-y-auto" aria-label="VMs: choose one to highlight it">
        {matches.map((v) => (
          <li key={v.name}>
            <button
              type="button"
              data-vm={v.name}
              aria-pressed={chosenVm === v.name}
              className={`flex items-center gap-1 rounded border px-1.5 py-0.5 font-mono text-xs ${
                chosenVm === v.name ? 'border-slate-900 bg-slate-200 dark:border-white dark:bg-slate-700' : 'border-slate-300 dark:border-slate-700'
              }`}
              onClick={() => onChoose(chosenVm === v.name ? null : v.name)}
            >
              <Swatch color={vmColors[vmColorIndex(v.name)]} />
              <span className="break-all">{v.name}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Re-rendered when the VMs, the choice or the colouring change, not for every frame. */
export const HostLegend = memo(
  HostLegendView,
  (a, b) =>
    a.chosenVm === b.chosenVm &&
    a.colorMode === b.colorMode &&
    a.onChoose === b.onChoose &&
    a.onColorMode === b.onColorMode &&
    a.vms.length === b.vms.length &&
    a.vms.every((v, i) => v.name === b.vms[i]?.name && v.vcpus === b.vms[i]?.vcpus),
);
