'use client';
// The fleet's tiles, live: first those the server rendered the page with, then the `tiles`
// events of /api/v1/stream?view=tiles (deltas, lib/ui/fleet-model.ts). Staleness is judged on
// the server's clock: while connected, the browser's clock corrected by the server's offset;
// while disconnected, the time of the newest data the page has, so that a lost connection does
// not turn every host stale (the banner says the data is old instead).
import { startTransition, useCallback, useEffect, useState } from 'react';
import { fetchFleet, streamDecoders } from '@/lib/api/client';
import { applyTilesEvent, fleetModel, type FleetModel } from '@/lib/ui/fleet-model';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { useEventStream, type StreamStatus } from '../live/use-event-stream';

export const FLEET_STREAM_URL = '/api/v1/stream?view=tiles';

export interface FleetFeed {
  readonly model: FleetModel;
  readonly status: StreamStatus;
  /** The time to judge ages and staleness against (server clock, epoch ms), for a browser time. */
  readonly reference: (browserNow: number) => number;
}

/** After this long without the stream's first event, the page reads /api/v1/fleet once instead. */
const FALLBACK_MS = 8000;

/**
 * `initialTotal`: the number of hosts when `initialTiles` are only the first ones (the server
 * renders what fills the first screen; the stream's first event brings every tile).
 */
export function useFleetFeed(
  initialTiles: readonly FleetTile[],
  initialAt: number,
  initialTotal: number,
  options: { readonly watchdogMs?: number; readonly maxBackoffMs?: number } = {},
): FleetFeed {
  const [model, setModel] = useState(() => fleetModel(initialTiles, initialAt, initialTotal));
  const partial = model.partialOf !== null;
  useEffect(() => {
    if (!partial) return;
    const t = setTimeout(() => {
      fetchFleet()
        .then((tiles) => startTransition(() => setModel((m) => (m.partialOf === null ? m : fleetModel(tiles, m.at)))))
        .catch(() => {}); // the stream's reconnects say that the server is away
    }, FALLBACK_MS);
    return () => clearTimeout(t);
  }, [partial]);
  // Server minus browser clock (ms), from the newest event.
  const [offset, setOffset] = useState(0);
  const onTiles = useCallback((data: string) => {
    const arrived = Date.now();
    performance.mark('vcpumap:fleet-event');
    // Decoded (checked against the contract) in order, once the decoders are loaded.
    void streamDecoders()
      .then((d) => {
        const ev = d.tiles(data);
        const off = ev.at - arrived;
        // A transition: 2,000 tiles never hold up input, and React may split the work.
        startTransition(() => {
          setOffset(off);
          setModel((m) => applyTilesEvent(m, ev));
        });
      })
      .catch((err: unknown) => console.error(err instanceof Error ? err.message : err));
  }, []);
  useEffect(() => {
    // For bench:ui: from an event's arrival to the page showing it.
    if (performance.getEntriesByName('vcpumap:fleet-event', 'mark').length === 0) return;
    performance.measure('vcpumap:fleet-update', 'vcpumap:fleet-event');
    performance.clearMarks('vcpumap:fleet-event');
    // The wall runs for days: keep the timeline bounded.
    if (performance.getEntriesByName('vcpumap:fleet-update', 'measure').length > 600) performance.clearMeasures('vcpumap:fleet-update');
  }, [model]);
  const status = useEventStream(FLEET_STREAM_URL, { tiles: onTiles }, options);
  const connected = status === 'live';
  const reference = useCallback((browserNow: number) => (connected ? browserNow + offset : model.at), [connected, offset, model.at]);
  return { model, status, reference };
}
