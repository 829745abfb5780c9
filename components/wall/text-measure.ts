'use client';
// Text widths for the wall's layout, measured with the fonts the wall draws with (a canvas
// measures as the page renders). Widths scale with the font size, so each text is measured once
// at 100 px; the cache is bounded.
import type { Measure } from '@/lib/ui/wall-layout';

export const NAME_FONT = 'ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace';
export const DETAIL_FONT = 'ui-sans-serif, system-ui, sans-serif';

const MAX_ENTRIES = 20_000;

export function canvasMeasure(): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  const cache = new Map<string, number>();
  return (text, px, bold) => {
    const key = `${bold ? 'b' : 'r'}${text}`;
    let w = cache.get(key);
    if (w === undefined) {
      if (ctx === null) w = text.length * 62;
      else {
        ctx.font = bold ? `700 100px ${NAME_FONT}` : `400 100px ${DETAIL_FONT}`;
        w = ctx.measureText(text).width;
      }
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, w);
    }
    return (w * px) / 100;
  };
}
