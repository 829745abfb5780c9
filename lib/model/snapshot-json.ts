// JSON of a snapshot, byte for byte what JSON.stringify gives, with each VM's part cached: a VM
// that buildSnapshot reused from the previous tick (an idle VM) is not serialised again.
import type { Snapshot, SnapshotVm } from './snapshot';

const vmJson = new WeakMap<SnapshotVm, string>();

export function snapshotJson(s: Snapshot): string {
  const vms = s.vms.map((vm) => {
    let json = vmJson.get(vm);
    if (json === undefined) {
      json = JSON.stringify(vm);
      vmJson.set(vm, json);
    }
    return json;
  });
  // Same key order as the Snapshot literal built by buildSnapshot.
  const head = JSON.stringify({ version: s.version, host: s.host, at: s.at, intervalMs: s.intervalMs, topology: s.topology });
  return `${head.slice(0, -1)},"vms":[${vms.join(',')}],"violations":${JSON.stringify(s.violations)}}`;
}
