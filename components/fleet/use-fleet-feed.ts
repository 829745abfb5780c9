'use client';
// The fleet's tiles, live: first those the server rendered the page with, then the `tiles`
// events of /api/v1/stream?view=tiles (deltas, lib/ui/fleet-model.ts). Staleness is judged on
// the server's clock: while connected, the browser's clock corrected by the server's offset;
// while disconnected, the time of the newest data the page has, so that a lost connection does
// not turn every host stale (the banner says the data is old instead).
import { startTransition, useCallback, useState } from 'react';
import { applyTilesEvent, fleetModel, type FleetModel, type TilesEvent } from '@/lib/ui/fleet-model';
import type { FleetTile } from '@/lib/ui/fleet-tiles';
import { useEventStream, type StreamStatus } from '../live/use-event-stream';

export const FLEET_STREAM_URL = '/api/v1/stream?view=tiles';

export interface FleetFeed {
  readonly model: FleetModel;
  readonly status: StreamStatus;
  /** The time to judge ages and staleness against (server clock, epoch ms), for a browser time. */
  readonly reference: (browserNow: number) => number;
}

export function useFleetFeed(initialTiles: readonly FleetTile[], initialAt: number, options: { readonly watchdogMs?: number; readonly maxBackoffMs?: number } = {}): FleetFeed {
  const [model, setModel] = useState(() => fleetModel(initialTiles, initialAt));
  // Server minus browser clock (ms), from the newest event.
  const [offset, setOffset] = useState(0);
  const onTiles = useCallback((data: string) => {
    const ev: TilesEvent = JSON.parse(data);
    const off = ev.at - Date.now();
    performance.mark('vcpumap:fleet-event');
    // A transition: 2,000 tiles never hold up input, and React may split the work.
    startTransition(() => {
      setOffset(off);
      setModel((m) => applyTilesEvent(m, ev));
    });
  }, []);
  const status = useEventStream(FLEET_STREAM_URL, { tiles: onTiles }, options);
  const connected = status === 'live';
  const reference = useCallback((browserNow: number) => (connected ? browserNow + offset : model.at), [connected, offset, model.at]);
  return { model, status, reference };
}
