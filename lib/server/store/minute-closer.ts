// Which minutes have closed and still need their residency written. A host's minute closes when
// a frame of a later minute is stored; a backlog frame re-opens the (closed) minute it lands in.
// Every host closes a minute in the same wall-clock second, so the writes are queued and drained
// a few per transaction instead of all inside one ingest call. Pure bookkeeping, no I/O.
import { minuteOf } from './residency';

export interface DueMinute {
  readonly host: string;
  readonly hostId: number;
  readonly minute: number; // epoch ms, minute-aligned
}

export class MinuteCloser {
  private readonly due = new Map<string, DueMinute>(); // oldest first
  /** Taken, not yet written: still pending for readers until done() or requeue(). */
  private readonly inFlight = new Map<string, DueMinute>();

  get size(): number {
    return this.due.size;
  }

  /**
   * Queues the minutes that closed when frames at `ats` were stored for a host whose newest frame
   * was at `prevNewest` (epoch ms; -Infinity when none). Returns the host's new newest time.
   */
  stored(host: string, hostId: number, prevNewest: number, ats: readonly number[]): number {
    let newest = prevNewest;
    for (const at of ats) if (at > newest) newest = at;
    if (ats.length === 0) return newest;
    const current = minuteOf(newest);
    for (const at of ats) if (minuteOf(at) < current) this.add({ host, hostId, minute: minuteOf(at) });
    if (Number.isFinite(prevNewest) && minuteOf(prevNewest) < current) this.add({ host, hostId, minute: minuteOf(prevNewest) });
    return newest;
  }

  add(d: DueMinute): void {
    const key = `${d.hostId}:${d.minute}`;
    if (!this.due.has(key)) this.due.set(key, d);
  }

  /** Removes and returns up to `n` of the oldest queued minutes; they stay pending until done(). */
  take(n: number): DueMinute[] {
    const out: DueMinute[] = [];
    for (const [key, d] of this.due) {
      if (out.length >= n) break;
      out.push(d);
      this.due.delete(key);
      this.inFlight.set(key, d);
    }
    return out;
  }

  /** The minutes were written (their transaction committed). */
  done(items: readonly DueMinute[]): void {
    for (const d of items) this.inFlight.delete(`${d.hostId}:${d.minute}`);
  }

  /** Puts back minutes whose write failed (the transaction rolled back). */
  requeue(items: readonly DueMinute[]): void {
    for (const d of items) {
      this.inFlight.delete(`${d.hostId}:${d.minute}`);
      this.add(d);
    }
  }

  /** Queued or in-flight minutes of one host: their stored residency is missing or stale. */
  pending(hostId: number): Set<number> {
    const out = new Set<number>();
    for (const m of [this.due, this.inFlight]) for (const d of m.values()) if (d.hostId === hostId) out.add(d.minute);
    return out;
  }

  forget(hostId: number): void {
    for (const m of [this.due, this.inFlight]) for (const [key, d] of m) if (d.hostId === hostId) m.delete(key);
  }
}
