// A tooltip at a point inside a positioned container. Lines are plain text: names are untrusted,
// so hidden characters in them are shown (lib/ui/shown-text.ts).
import { shownText } from '@/lib/ui/shown-text';

export function Tooltip({ x, y, lines }: { readonly x: number; readonly y: number; readonly lines: readonly string[] }) {
  return (
    <div
      role="tooltip"
      data-testid="heat-tooltip"
      className="pointer-events-none absolute z-20 max-w-xs rounded bg-slate-900/95 px-2 py-1 text-xs text-white shadow-lg"
      style={{ left: x + 12, top: y + 12 }}
    >
      {lines.map((l, i) => (
        <div key={i} className={i === 0 ? 'font-semibold break-all' : 'break-all'}>
          {shownText(l)}
        </div>
      ))}
    </div>
  );
}
