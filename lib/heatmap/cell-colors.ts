// Colours beyond "one per VM", for hosts with more VMs than a categorical palette has colours:
// the "by state" colouring (on pin, off pin, unpinned, stale, host load), the dimmed half of a
// palette for everything but the chosen VM, and text that stays readable on any cell colour
// (WCAG 2 contrast). Pure.
import { hsl, rgb } from 'd3-color';
import type { Theme } from './vm-colors';

/** Cell states of the "by state" colouring; the values index STATE_COLORS. */
export const CellState = {
  ON_PIN: 0, // ran on a pCPU of its pin
  OFF_PIN: 1, // ran outside its pin (or in an off-pin violation)
  UNPINNED: 2, // its VM has no pin for it
  STALE: 3, // did not run that tick: the pCPU is its last one
  HOST_LOAD: 4, // no vCPU on it, but busy (topology grid: host work)
} as const;
export type CellStateValue = (typeof CellState)[keyof typeof CellState];

export const STATE_LABELS: readonly string[] = ['on pin', 'off pin', 'unpinned', 'stale', 'host load'];

/**
 * Okabe & Ito colours (bluish green, vermillion, sky blue), a neutral grey and reddish purple:
 * apart under deuteranopia and protanopia; off-pin cells are also outlined (shape, not only colour).
 */
const STATE_BASE: readonly string[] = ['#009E73', '#D55E00', '#56B4E9', '#8C96A5', '#CC79A7'];

const STATE_PALETTES: Readonly<Record<Theme, readonly string[]>> = {
  light: STATE_BASE,
  dark: STATE_BASE.map((c) => {
    const h = hsl(c);
    if (h.l < 0.45) h.l = 0.45;
    return h.formatHex();
  }),
};

export function statePalette(theme: Theme): readonly string[] {
  return STATE_PALETTES[theme];
}

/** A vCPU cell's state from what the history and the snapshot say (stale beats everything: an old observation is not judged). */
export function cellState(ran: boolean, pin: readonly number[] | null, pcpu: number, violation: boolean): CellStateValue {
  if (!ran) return CellState.STALE;
  if (violation || (pin !== null && !pin.includes(pcpu))) return CellState.OFF_PIN;
  if (pin === null) return CellState.UNPINNED;
  return CellState.ON_PIN;
}

/**
 * The colour index of a vCPU x pCPU matrix cell: its VM's colour, or by state on pin (a pinned
 * cell), off pin (a pinned vCPU elsewhere) or unpinned; + dimOffset when its VM is not the chosen one.
 */
export function matrixCellColor(byState: boolean, rowPinned: boolean, cellPinned: boolean, vmColor: number, dimOffset: number): number {
  const base = byState ? (!rowPinned ? CellState.UNPINNED : cellPinned ? CellState.ON_PIN : CellState.OFF_PIN) : vmColor;
  return base + dimOffset;
}

/** The share of the colour left in a dimmed one (the rest is the background). */
export const DIM_KEEP = 0.28;

/** `color` mixed into `background`, keeping `keep` of it (0..1), as hex. */
export function mix(color: string, background: string, keep: number): string {
  const a = rgb(color);
  const b = rgb(background);
  if (!a.displayable() || !b.displayable()) throw new Error(`cell-colors: cannot mix ${JSON.stringify(color)} into ${JSON.stringify(background)}`);
  const m = (x: number, y: number) => Math.round(x * keep + y * (1 - keep));
  return rgb(m(a.r, b.r), m(a.g, b.g), m(a.b, b.b)).formatHex();
}

/** The palette followed by its dimmed copy: colour i dimmed is index palette.length + i. */
export function withDimmed(palette: readonly string[], background: string): readonly string[] {
  return [...palette, ...palette.map((c) => mix(c, background, DIM_KEEP))];
}

/** WCAG 2 relative luminance of a CSS colour. */
export function luminance(color: string): number {
  const c = rgb(color);
  if (!c.displayable()) throw new Error(`cell-colors: ${JSON.stringify(color)} is not a colour`);
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const textCache = new Map<string, '#000000' | '#ffffff'>();

/** Black or white, whichever reads better on `background` (black on indigo is 1.7:1; white is 12:1). */
export function textOn(background: string): '#000000' | '#ffffff' {
  let t = textCache.get(background);
  if (t === undefined) {
    t = contrast('#000000', background) >= contrast('#ffffff', background) ? '#000000' : '#ffffff';
    // A view uses a few dozen colours; the bound only guards against a flood.
    if (textCache.size > 4096) textCache.clear();
    textCache.set(background, t);
  }
  return t;
}
