// JSON of a snapshot, byte for byte what JSON.stringify gives, with each VM's part cached: a VM
// that buildSnapshot reused from the previous tick (an idle VM) is not serialised again.
import type { Snapshot, SnapshotVm } from './snapshot';

const vmJson = new WeakMap<SnapshotVm, string>();
const vmBytes = new WeakMap<SnapshotVm, Buffer>();
const COMMA = Buffer.from(',');

export function snapshotJson(s: Snapshot): string {
  const vms = s.vms.map(cachedVmJson);
  return `${headJson(s)}${vms.join(',')}${tailJson(s)}`;
}

/**
 * snapshotJson(s) + '\n' as UTF-8, in parts to write one after the other, for --print. Each
 * VM's bytes are cached, and so is the run of all VMs while the list holds the same (idle) VM
 * objects: a tick encodes only the head and the violations, and copies nothing else.
 */
export function snapshotJsonLine(s: Snapshot): readonly Buffer[] {
  return [Buffer.from(headJson(s)), vmsBytes(s.vms), Buffer.from(`${tailJson(s)}\n`)];
}

let lastVms: readonly SnapshotVm[] = [];
let lastVmsBytes = Buffer.alloc(0);

function vmsBytes(vms: readonly SnapshotVm[]): Buffer {
  if (vms.length === lastVms.length && vms.every((vm, i) => vm === lastVms[i])) return lastVmsBytes;
  const parts: Buffer[] = [];
  vms.forEach((vm, i) => {
    if (i > 0) parts.push(COMMA);
    let bytes = vmBytes.get(vm);
    if (bytes === undefined) {
      bytes = Buffer.from(cachedVmJson(vm));
      vmBytes.set(vm, bytes);
    }
    parts.push(bytes);
  });
  lastVms = vms;
  lastVmsBytes = Buffer.concat(parts);
  return lastVmsBytes;
}

function cachedVmJson(vm: SnapshotVm): string {
  let json = vmJson.get(vm);
  if (json === undefined) {
    json = JSON.stringify(vm);
    vmJson.set(vm, json);
  }
  return json;
}

// Same key order as the Snapshot literal built by buildSnapshot.
function headJson(s: Snapshot): string {
  const head = JSON.stringify({ version: s.version, host: s.host, at: s.at, intervalMs: s.intervalMs, mode: s.mode, trace: s.trace, topology: s.topology });
  return `${head.slice(0, -1)},"vms":[`;
}

function tailJson(s: Snapshot): string {
  return `],"violations":${JSON.stringify(s.violations)}}`;
}
