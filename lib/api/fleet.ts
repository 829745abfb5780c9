// The fleet's tiles (docs/api.md, Fleet and Stream): GET /api/v1/fleet answers them, the stream's
// `tiles` events carry them as deltas; lib/ui/fleet-tiles.ts builds one from a host's snapshot.
import type { Severity, ViolationKind } from '../model/snapshot';

/** One host in miniature: its topology coloured by the VM on each pCPU now, and its counts. */
export interface FleetTile {
  readonly host: string;
  readonly lastSeen: number; // epoch ms of the newest frame
  readonly intervalMs: number | null;
  readonly vms: readonly string[]; // names, ascending
  readonly vcpus: number;
  readonly violations: number;
  readonly critical: number; // violations of severity critical
  readonly warnings: number; // violations of severity warning
  readonly worst: Severity | null;
  readonly kinds: readonly ViolationKind[]; // distinct, ascending
  /** Miniature rows (one per socket and NUMA node): the number of pCPUs in each, in topology order. */
  readonly rows: readonly number[];
  /** Per pCPU in topology order: index into `vms` of the VM whose vCPU is on it now, or -1. */
  readonly cells: readonly number[];
  /** Per pCPU in topology order: 1 when a violation names that pCPU. */
  readonly marks: readonly (0 | 1)[];
  readonly cpuIds: readonly number[]; // pCPU id of each cell
}

/** One `tiles` event of GET /api/v1/stream?view=tiles. */
export interface TilesEvent {
  /** The server's clock when the event was made, epoch ms (viewers judge staleness against it). */
  readonly at: number;
  /** True: `tiles` is the whole fleet, forget every tile held before. */
  readonly reset: boolean;
  /** Tiles that are new or show something new since the viewer's previous event. */
  readonly tiles: readonly FleetTile[];
  /** Hosts that are no longer in the store. */
  readonly gone: readonly string[];
  /** The hosts `seen` is about, ascending; sent on reset and whenever hosts come or go. */
  readonly order?: readonly string[];
  /** Per host of the current order: `at` minus its newest frame's time, ms. */
  readonly seen: readonly number[];
}
