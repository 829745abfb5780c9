// A violation rebuilt with its contract keys only, in contract order (docs/api.md): what the
// server streams and stores never carries a key a sender added.
import type { Violation } from '../model/snapshot';

/** The violation with its contract keys only, in contract order. */
export function pickViolation(v: Violation): Violation {
  return {
    id: v.id,
    kind: v.kind,
    severity: v.severity,
    vm: v.vm,
    vms: v.vms,
    ...(v.vcpu !== undefined ? { vcpu: v.vcpu } : {}),
    ...(v.tid !== undefined ? { tid: v.tid } : {}),
    ...(v.tids !== undefined ? { tids: v.tids } : {}),
    pcpus: v.pcpus,
    message: v.message,
    fix: v.fix,
    since: v.since,
    lastSeen: v.lastSeen,
  };
}
