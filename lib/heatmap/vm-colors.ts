// Stable, colour-blind-safe VM colours. A VM's colour is chosen by a hash of its name, so the same
// VM has the same colour on every page, every host view and after a reload; no server state.
//
// Palette (12 colours, all distinguishable under deuteranopia/protanopia as far as a categorical
// palette of this size allows):
//  - the 7 chromatic colours of Okabe & Ito, "Color Universal Design" (2008),
//    https://jfly.uni-koeln.de/color/ (their 8th colour, black, is left out: it reads as "empty");
//  - 5 colours of Paul Tol's "muted" qualitative scheme, https://personal.sron.nl/~pault/
//    (rose, teal, olive, wine, indigo) for more VMs than 7.
// Two VMs can still share a colour (hash collision or more than 12 VMs): the colour is a visual
// aid, tooltips and legends name the VM.
import { hsl } from 'd3-color';

export type Theme = 'dark' | 'light';

/** The light-theme (canonical) colours. Index i means the same hue in both themes. */
const BASE: readonly string[] = [
  '#E69F00', // Okabe-Ito orange
  '#56B4E9', // Okabe-Ito sky blue
  '#009E73', // Okabe-Ito bluish green
  '#F0E442', // Okabe-Ito yellow
  '#0072B2', // Okabe-Ito blue
  '#D55E00', // Okabe-Ito vermillion
  '#CC79A7', // Okabe-Ito reddish purple
  '#CC6677', // Tol muted rose
  '#44AA99', // Tol muted teal
  '#999933', // Tol muted olive
  '#882255', // Tol muted wine
  '#332288', // Tol muted indigo
];

export const PALETTE_SIZE = BASE.length;

/** On a dark background, lift the darkest colours (blue, wine, indigo) so they stay visible. */
const MIN_DARK_LIGHTNESS = 0.45;

function forDark(hex: string): string {
  const c = hsl(hex);
  if (c.l >= MIN_DARK_LIGHTNESS) return hex;
  c.l = MIN_DARK_LIGHTNESS;
  return c.formatHex();
}

const PALETTES: Readonly<Record<Theme, readonly string[]>> = {
  light: BASE,
  dark: BASE.map(forDark),
};

/** The categorical colours for a theme, as CSS hex strings; always PALETTE_SIZE entries. */
export function palette(theme: Theme): readonly string[] {
  return PALETTES[theme];
}

const encoder = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of `text` (unsigned). Any string, including lone surrogates. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const indexCache = new Map<string, number>();

/** The palette index of a VM: stable across pages, reloads and themes. */
export function vmColorIndex(name: string): number {
  let i = indexCache.get(name);
  if (i === undefined) {
    i = fnv1a32(name) % PALETTE_SIZE;
    // A dashboard sees a bounded set of VM names; the bound only guards against a flood.
    if (indexCache.size > 100_000) indexCache.clear();
    indexCache.set(name, i);
  }
  return i;
}
