// What the store's parts share (frame-store.ts coordinates them): the database, the live window,
// the id caches, which minutes are due for compaction, and the retention cutoffs.
import type { Backend } from './backend';
import { ByteWriter } from './byte-codec';
import { Catalog } from './catalog';
import { LiveWindow } from './live-window';
import { MinuteCloser } from './minute-closer';
import type { Structure } from './structure';
import { decodePlacement, newPlacement, recordPlacement, type Placement, type TickRecord, type TickViolation } from './tick-codec';

export interface StoreSettings {
  readonly retainFullMs: number;
  readonly retainMinutesMs: number;
  readonly liveWindowMs: number;
  readonly onError: (err: Error) => void;
}

export const META_FULL_CUTOFF = 'full_cutoff'; // epoch ms: full-resolution ticks before it are pruned
export const META_MINUTE_CUTOFF = 'minute_cutoff'; // epoch ms: residency before it is pruned

export class StoreState {
  readonly window: LiveWindow;
  readonly catalog = new Catalog();
  readonly closer = new MinuteCloser();
  /** Per host, the newest stored frame known here (epoch ms): minutes before its minute are closed. */
  readonly newestKnown = new Map<string, number>();
  /** Encodes rows; reused (each row is copied out). */
  readonly writer = new ByteWriter(8192);
  fullCutoff = Number.NEGATIVE_INFINITY;
  minuteCutoff = Number.NEGATIVE_INFINITY;
  closed = false;

  constructor(
    readonly backend: Backend,
    readonly settings: StoreSettings,
  ) {
    this.window = new LiveWindow(settings.liveWindowMs);
  }

  noteNewest(host: string, at: number): void {
    if (Number.isFinite(at)) this.newestKnown.set(host, Math.max(this.newestKnown.get(host) ?? at, at));
  }
}

/** Reusable scratch for the placement (history column) of rows or records of any structure. */
export class PlacementScratch {
  private placement: Placement = newPlacement(0);

  private sized(st: Structure): Placement {
    if (this.placement.pcpu.length < st.placedCount) this.placement = newPlacement(st.placedCount);
    return this.placement;
  }

  decode(st: Structure, row: Uint8Array, at: number): { placement: Placement; violations: TickViolation[] } {
    const placement = this.sized(st);
    const violations: TickViolation[] = [];
    decodePlacement(st, row, at, placement, violations);
    return { placement, violations };
  }

  ofRecord(st: Structure, rec: TickRecord): { placement: Placement; violations: readonly TickViolation[] } {
    const placement = this.sized(st);
    recordPlacement(st, rec, placement);
    return { placement, violations: rec.violations };
  }
}

export function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`store: ${what} is missing (inconsistent database or live window)`);
  return v;
}

export function metaNumber(v: string | null): number {
  if (v === null) return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`store: meta value ${JSON.stringify(v)} is not a number (database edited by hand?)`);
  return n;
}

export function wrap(err: unknown, context: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${context}: ${message}`, { cause: err });
}
