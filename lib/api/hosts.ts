// The read API's answers about hosts (docs/api.md, Read API): GET /api/v1/hosts, /violations and
// /hosts/{host}/vms/{vm}.
import type { SnapshotVm, Violation } from '../model/snapshot';

export interface HostSummary {
  host: string;
  lastSeen: number; // epoch ms of its newest frame
  vms: number;
  vcpus: number;
  violations: number; // in its newest frame
}

export type HostViolation = Violation & { host: string };

/** GET /api/v1/hosts/{host}/vms/{vm}: one VM of the latest (or nearest) snapshot. */
export interface VmReply {
  host: string;
  at: number;
  vm: SnapshotVm;
  violations: Violation[];
}

/** Every error answer of the API; the analyze route adds `fields` (field -> why it could not be read). */
export interface ErrorBody {
  error: string;
  fields?: Record<string, string>;
}
