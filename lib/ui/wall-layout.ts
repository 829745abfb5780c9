// The wall's geometry (STYLE 5: geometry first, pixels second). Pure: the page measures text
// with the font it draws with and hands the measure in; tests hand in an estimate.
//
// Attention first. Hosts in violation (critical, then warning) and hosts with no fresh frame
// (unknown) get tiles with the name whole, what is wrong and the age; the largest type that fits
// them all wins, never smaller than MIN_NAME_PX x scale (18 px at 1920x1080, 36 px at 3840x2160).
// When even that cannot hold them all, the worst ones are shown and one more tile says how many
// are left out ("+K more in violation", with their counts): a name is never cut, nothing scrolls.
// Clean hosts take what is left: named tiles when they fit, else a dense band of one square per
// host, else a count.
import type { FleetTile } from './fleet-tiles';
import { isStale } from './format';

export type WallState = 'critical' | 'warning' | 'unknown' | 'clean';

/** Text width in px of `text` at `px` px (bold for names). */
export type Measure = (text: string, px: number, bold: boolean) => number;

/** Reference design: 1920 x 1080. Everything scales with min(width / 1920, height / 1080). */
export const REF_WIDTH = 1920;
export const REF_HEIGHT = 1080;
/** Smallest host name on an attention tile at scale 1 (px). */
export const MIN_NAME_PX = 18;
const MAX_NAME_PX = 44;
const CLEAN_MAX_PX = 26; // when some host needs attention: clean tiles stay quieter
const CLEAN_MIN_PX = 14;
const LINE = 1.2; // line height, x font size
const DETAIL = 0.7; // detail lines, x name size
const MINI = 2.2; // miniature topology height, x name size
const MIN_CELL = 3; // smallest square of the clean band at scale 1 (px)
const MAX_CELL = 28;

export function wallScale(width: number, height: number): number {
  if (!(width > 0 && height > 0)) return 1;
  return Math.min(width / REF_WIDTH, height / REF_HEIGHT);
}

export function wallState(t: FleetTile, now: number): WallState {
  if (isStale(t.lastSeen, now, t.intervalMs)) return 'unknown';
  if (t.critical > 0) return 'critical';
  if (t.violations > 0) return 'warning';
  return 'clean';
}

const STATE_RANK: Record<WallState, number> = { critical: 0, warning: 1, unknown: 2, clean: 3 };

export interface WallHost {
  readonly tile: FleetTile;
  readonly state: WallState;
}

const byName = (a: WallHost, b: WallHost): number => (a.tile.host < b.tile.host ? -1 : a.tile.host > b.tile.host ? 1 : 0);

/**
 * Every host with its state, most urgent first: critical (most critical first), warning, unknown,
 * clean; then by name. Runs every second on 2,000 hosts: only the few that need attention are
 * sorted by their counts; the clean ones keep the (usually already ascending) order given.
 */
export function wallOrder(tiles: readonly FleetTile[], now: number): WallHost[] {
  const buckets: WallHost[][] = [[], [], [], []];
  for (const tile of tiles) {
    const state = wallState(tile, now);
    buckets[STATE_RANK[state]]?.push({ tile, state });
  }
  const [critical = [], warning = [], unknown = [], clean = []] = buckets;
  const urgent = (a: WallHost, b: WallHost) =>
    b.tile.critical - a.tile.critical || b.tile.warnings - a.tile.warnings || b.tile.violations - a.tile.violations || byName(a, b);
  critical.sort(urgent);
  warning.sort(urgent);
  unknown.sort(urgent);
  let ascending = true;
  for (let i = 1; i < clean.length && ascending; i++) ascending = byName(clean[i - 1] as WallHost, clean[i] as WallHost) <= 0;
  if (!ascending) clean.sort(byName);
  return [...critical, ...warning, ...unknown, ...clean];
}

/** "1,812": toLocaleString costs microseconds a call, and the wall counts 2,000 hosts. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const plural = (n: number, one: string, many = `${one}s`): string => `${grouped(n)} ${n === 1 ? one : many}`;

/**
 * The status of an attention tile as parts that never break inside ("1 critical", "2 warnings",
 * "12 s ago"); the page shows them joined by " · " and may wrap between them. `age` as formatAgo
 * gives it.
 */
export function statusParts(t: FleetTile, state: WallState, age: string): string[] {
  if (state === 'unknown') return ['unknown,', `last seen ${age}`];
  const parts: string[] = [];
  if (t.critical > 0) parts.push(`${t.critical} critical`);
  if (t.warnings > 0) parts.push(plural(t.warnings, 'warning'));
  const other = t.violations - t.critical - t.warnings;
  if (other > 0) parts.push(plural(other, 'notice'));
  if (parts.length === 0) parts.push('ok');
  parts.push(age);
  return parts;
}

/** The status as one line of text. */
export function statusText(t: FleetTile, state: WallState, age: string): string {
  return joinParts(statusParts(t, state, age));
}

/** What goes before part i as the page shows parts: " · " between counts, a space after a comma or in a list of kinds. */
export function separator(parts: readonly string[], i: number, list: 'status' | 'kinds'): string {
  if (i === 0) return '';
  return list === 'kinds' || parts[i - 1]?.endsWith(',') ? ' ' : ' · ';
}

/** Parts as one line of text. */
export function joinParts(parts: readonly string[], list: 'status' | 'kinds' = 'status'): string {
  return parts.map((p, i) => `${separator(parts, i, list)}${p}`).join('');
}

/** What is wrong, one part per kind. An unknown host says what it last reported. */
export function kindParts(t: FleetTile, state: WallState): string[] {
  if (t.kinds.length === 0) return state === 'unknown' ? ['no violation', 'when last seen'] : [];
  const kinds = t.kinds.map((k, i) => (i < t.kinds.length - 1 ? `${k},` : k));
  return state === 'unknown' ? ['last seen with', ...kinds] : kinds;
}

/** Widest age text the layout reserves room for, so that a ticking clock never re-flows the wall. */
const AGE_TEMPLATE = '000 min ago';

export interface TileBox {
  readonly key: string; // host name, or MORE_KEY
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly nameLines: number;
  readonly kindLines: number;
}

export const MORE_KEY = '\u0000more';

export interface Typeset {
  readonly name: number; // px
  readonly detail: number; // px
  readonly mini: number; // px height of the miniature topology, 0 for none
  readonly padX: number;
  readonly padY: number;
  readonly border: number;
  readonly gap: number;
}

export interface MoreTile {
  readonly hidden: number;
  readonly critical: number;
  readonly warning: number;
  readonly unknown: number;
}

export type CleanLayout =
  | { readonly mode: 'none' }
  | { readonly mode: 'tiles'; readonly type: Typeset; readonly tiles: readonly TileBox[] }
  | { readonly mode: 'band'; readonly y: number; readonly labelPx: number; readonly cell: number; readonly cols: number; readonly rows: number; readonly count: number }
  | { readonly mode: 'count'; readonly y: number; readonly labelPx: number; readonly count: number };

export interface WallLayout {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly type: Typeset; // of the attention tiles
  readonly tiles: readonly TileBox[]; // attention tiles in order, the "+K more" tile last
  readonly shown: readonly WallHost[]; // the hosts of `tiles` (without the more tile)
  readonly more: MoreTile | null;
  readonly clean: CleanLayout;
}

function typeset(name: number, mini: boolean): Typeset {
  return {
    name,
    detail: Math.round(name * DETAIL * 10) / 10,
    mini: mini ? Math.round(name * MINI) : 0,
    padX: Math.round(name * 0.4),
    padY: Math.round(name * 0.25),
    border: Math.max(2, Math.round(name * 0.15)),
    gap: Math.max(2, Math.round(name * 0.3)),
  };
}

interface TileText {
  readonly key: string;
  readonly name: string;
  readonly status: readonly string[]; // parts, the age as its template
  readonly kinds: readonly string[]; // parts
}

/**
 * Lines that parts take at `width` px when the page wraps only between them (greedy, as the
 * browser does), each part measured with the separator before it.
 */
function wrapLines(parts: readonly string[], list: 'status' | 'kinds', px: number, width: number, measure: Measure): number {
  if (parts.length === 0) return 0;
  let lines = 1;
  let used = 0;
  for (const [i, p] of parts.entries()) {
    const w = measure(p, px, false) * 1.02 + 1;
    const sep = measure(separator(parts, i, list), px, false);
    if (used > 0 && used + sep + w > width) {
      lines++;
      used = w;
    } else used += (used > 0 ? sep : 0) + w;
  }
  return lines;
}

const widest = (parts: readonly string[], px: number, measure: Measure): number => parts.reduce((m, p) => Math.max(m, measure(p, px, false) * 1.02 + 1), 0);

interface Sized {
  readonly key: string;
  readonly w: number;
  readonly h: number;
  readonly nameLines: number;
  readonly kindLines: number;
}

/** A tile's size at a typeset, at most `maxW` wide: of a few widths, the one of least area. */
function sizeTile(t: TileText, ts: Typeset, maxW: number, measure: Measure): Sized {
  const frame = 2 * (ts.padX + ts.border);
  const nameW = measure(t.name, ts.name, true) * 1.02 + 1;
  // At least as wide as the name (5 em at the least) and its widest part: detail lines wrap between parts.
  const base = Math.min(maxW - frame, Math.max(nameW, ts.name * 5, widest(t.status, ts.detail, measure), widest(t.kinds, ts.detail, measure)));
  let best: Sized | null = null;
  let bestArea = Number.POSITIVE_INFINITY;
  for (const f of [1, 1.25, 1.5, 2]) {
    const inner = Math.min(maxW - frame, base * f);
    // A name wider than the screen wraps (anywhere), one character of slack per line.
    const nameLines = nameW <= inner ? 1 : Math.ceil((nameW + ts.name) / inner);
    const kindLines = wrapLines(t.kinds, 'kinds', ts.detail, inner, measure);
    const statusLines = wrapLines(t.status, 'status', ts.detail, inner, measure);
    const h = 2 * (ts.padY + ts.border) + LINE * ts.name * nameLines + LINE * ts.detail * (statusLines + kindLines) + (ts.mini > 0 ? ts.mini + ts.padY : 0);
    const size = { key: t.key, w: Math.ceil(inner + frame), h: Math.ceil(h), nameLines, kindLines };
    const area = (size.w + ts.gap) * (size.h + ts.gap);
    if (area < bestArea - 1) {
      best = size;
      bestArea = area;
    }
    if (inner >= maxW - frame) break;
  }
  return best ?? { key: t.key, w: maxW, h: 0, nameLines: 1, kindLines: 0 };
}

/**
 * Tiles packed in rows, left to right, each row as tall as its tallest tile; every full row is
 * stretched to the width. Null when they do not fit in `height`.
 */
function flow(sized: readonly Sized[], width: number, height: number, gap: number, top: number): TileBox[] | null {
  const out: TileBox[] = [];
  let y = top;
  let i = 0;
  while (i < sized.length) {
    let j = i;
    let used = 0;
    let rowH = 0;
    while (j < sized.length) {
      const s = sized[j];
      if (s === undefined) break;
      const need = used + (j > i ? gap : 0) + s.w;
      if (j > i && need > width) break;
      used = need;
      rowH = Math.max(rowH, s.h);
      j++;
    }
    if (y + rowH > top + height) return null;
    const full = j < sized.length;
    const extra = full ? (width - used) / (j - i) : 0;
    let x = 0;
    for (let k = i; k < j; k++) {
      const s = sized[k];
      if (s === undefined) continue;
      const w = Math.floor(s.w + extra);
      out.push({ key: s.key, x: Math.round(x), y, w, h: rowH, nameLines: s.nameLines, kindLines: s.kindLines });
      x += s.w + extra + gap;
    }
    y += rowH + gap;
    i = j;
  }
  return out;
}

/** True when n tiles cannot fit even at their smallest (a quick no before sizing them all). */
function tooMany(n: number, ts: Typeset, width: number, height: number): boolean {
  const w = ts.name * 4 + 2 * (ts.padX + ts.border) + ts.gap;
  const h = 2 * (ts.padY + ts.border) + LINE * (ts.name + ts.detail) + (ts.mini > 0 ? ts.mini + ts.padY : 0) + ts.gap;
  return n * w * h > (width + ts.gap) * (height + ts.gap);
}

const bottom = (tiles: readonly TileBox[]): number => tiles.reduce((m, t) => Math.max(m, t.y + t.h), 0);

/** Font sizes from `max` down to `min`, about 8% apart, ending exactly at `min`. */
function sizes(max: number, min: number): number[] {
  const out: number[] = [];
  for (let f = max; f > min; f = Math.floor(f * 0.92 * 10) / 10) out.push(f);
  out.push(min);
  return out;
}

/**
 * The largest font of `px` (descending) at which the tiles fit, with a miniature when it fits at
 * that size too; null when none does. Fitting is monotone in the size, so a bisection: a handful
 * of flows instead of one per size.
 */
function largestFit(n: number, px: readonly number[], width: number, height: number, top: number, size: (ts: Typeset) => Sized[]): { type: Typeset; tiles: TileBox[] } | null {
  const at = (i: number, mini: boolean): { type: Typeset; tiles: TileBox[] } | null => {
    const f = px[i];
    if (f === undefined) return null;
    const ts = typeset(f, mini);
    if (tooMany(n, ts, width, height)) return null;
    const tiles = flow(size(ts), width, height, ts.gap, top);
    return tiles === null ? null : { type: ts, tiles };
  };
  let lo = 0;
  let hi = px.length - 1;
  let best = at(hi, false);
  if (best === null) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = at(mid, false);
    if (r !== null) {
      best = r;
      hi = mid;
    } else lo = mid + 1;
  }
  return at(hi, true) ?? best;
}

function attentionText(h: WallHost): TileText {
  return { key: h.tile.host, name: h.tile.host, status: statusParts(h.tile, h.state, AGE_TEMPLATE), kinds: kindParts(h.tile, h.state) };
}

export function moreText(m: MoreTile): { name: string; detail: string[] } {
  const inViolation = m.critical + m.warning;
  const name = m.unknown === 0 ? `+${grouped(m.hidden)} more in violation` : inViolation === 0 ? `+${grouped(m.hidden)} more unknown` : `+${grouped(m.hidden)} more`;
  const parts: string[] = [];
  if (m.critical > 0) parts.push(`${grouped(m.critical)} critical`);
  if (m.warning > 0) parts.push(plural(m.warning, 'warning'));
  if (m.unknown > 0) parts.push(`${grouped(m.unknown)} unknown`);
  return { name, detail: parts };
}

function moreTile(hidden: readonly WallHost[]): MoreTile {
  return {
    hidden: hidden.length,
    critical: hidden.filter((h) => h.state === 'critical').length,
    warning: hidden.filter((h) => h.state === 'warning').length,
    unknown: hidden.filter((h) => h.state === 'unknown').length,
  };
}

function moreTileText(m: MoreTile): TileText {
  const t = moreText(m);
  return { key: MORE_KEY, name: t.name, status: t.detail, kinds: [] };
}

export function cleanParts(t: FleetTile, age: string): string[] {
  return ['ok', plural(t.vms.length, 'VM'), age];
}

function cleanText(h: WallHost): TileText {
  return { key: h.tile.host, name: h.tile.host, status: cleanParts(h.tile, AGE_TEMPLATE), kinds: [] };
}

export function bandLabel(count: number, all: boolean): string {
  return all ? `all ${plural(count, 'host')} clean` : `${plural(count, 'clean host')}`;
}

/** The clean hosts in `height` px below `top`: named tiles, a band of squares, or a count. */
function layoutClean(clean: readonly WallHost[], unseen: number, width: number, top: number, height: number, scale: number, all: boolean, measure: Measure): CleanLayout {
  const n = clean.length + unseen;
  if (n === 0) return { mode: 'none' };
  // A small, all-clean fleet fills the screen like one in trouble would.
  const px = sizes((all ? MAX_NAME_PX : CLEAN_MAX_PX) * scale, CLEAN_MIN_PX * scale);
  const smallest = px[px.length - 1] ?? CLEAN_MIN_PX * scale;
  if (unseen === 0 && !tooMany(n, typeset(smallest, false), width, height)) {
    const texts = clean.map(cleanText);
    const fit = largestFit(n, px, width, height, top, (ts) => texts.map((t) => sizeTile(t, ts, width, measure)));
    if (fit !== null) return { mode: 'tiles', type: fit.type, tiles: fit.tiles };
  }
  const labelPx = Math.round(CLEAN_MIN_PX * 1.3 * scale);
  const labelH = Math.ceil(labelPx * LINE) + Math.round(4 * scale);
  const room = height - labelH;
  for (let cell = Math.floor(MAX_CELL * scale); cell >= Math.max(2, Math.floor(MIN_CELL * scale)); cell--) {
    const cols = Math.floor((width + 1) / (cell + 1));
    const rows = Math.ceil(n / Math.max(1, cols));
    if (cols > 0 && rows * (cell + 1) <= room) return { mode: 'band', y: top, labelPx, cell, cols, rows, count: n };
  }
  return { mode: 'count', y: top, labelPx: all ? labelPx * 2 : labelPx, count: n };
}

/**
 * The wall's layout in a `width` x `height` px body (below its header). `hosts` in wallOrder;
 * `unseenClean` clean hosts more whose tiles the page does not have yet (counted, not named).
 */
export function wallLayout(hosts: readonly WallHost[], width: number, height: number, scale: number, measure: Measure, unseenClean = 0): WallLayout {
  const attention = hosts.filter((h) => h.state !== 'clean');
  const clean = hosts.filter((h) => h.state === 'clean');
  const minName = MIN_NAME_PX * scale;
  // Room the clean hosts keep below the attention tiles at the least: their count.
  const cleanReserve = clean.length + unseenClean === 0 ? 0 : Math.ceil(CLEAN_MIN_PX * 1.3 * scale * LINE) + Math.round(12 * scale);
  const attH = height - cleanReserve;
  const texts = attention.map(attentionText);

  let type = typeset(minName, false);
  let tiles: TileBox[] = [];
  let shown = attention;
  let more: MoreTile | null = null;
  if (attention.length > 0) {
    const fit = largestFit(texts.length, sizes(MAX_NAME_PX * scale, minName), width, attH, 0, (ts) => texts.map((t) => sizeTile(t, ts, width, measure)));
    if (fit !== null) {
      type = fit.type;
      tiles = fit.tiles;
    } else {
      // The worst n that fit with the "+K more" tile after them (n found by bisection).
      const sizedAll = texts.map((t) => sizeTile(t, type, width, measure));
      const attempt = (n: number): TileBox[] | null => {
        const m = moreTile(attention.slice(n));
        return flow([...sizedAll.slice(0, n), sizeTile(moreTileText(m), type, width, measure)], width, attH, type.gap, 0);
      };
      let lo = 0;
      let hi = attention.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (attempt(mid) !== null) lo = mid;
        else hi = mid - 1;
      }
      tiles = attempt(lo) ?? [];
      shown = attention.slice(0, lo);
      more = moreTile(attention.slice(lo));
    }
  }
  const used = tiles.length === 0 ? 0 : bottom(tiles) + type.gap;
  return {
    width,
    height,
    scale,
    type,
    tiles,
    shown,
    more,
    clean: layoutClean(clean, unseenClean, width, used, height - used, scale, attention.length === 0, measure),
  };
}

/** An estimate of text width for tests and for the server: monospace names, proportional details. */
export const estimateMeasure: Measure = (text, px, bold) => {
  let em = 0;
  for (const ch of text) em += ch.charCodeAt(0) > 0x2e80 ? 1.1 : bold ? 0.62 : 0.6;
  return em * px;
};
