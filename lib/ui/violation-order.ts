// Violations sorted for an operator: most severe first, then the oldest (the longest-standing
// problem), then by kind and VM so that the order is stable across live updates.
import type { Severity, Violation } from '../model/snapshot';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

/** The violations table's order (not the contract's, lib/model/violations): most severe, then longest-standing. */
function tableOrder(a: Violation, b: Violation): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    a.since - b.since ||
    (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export function sortViolations<V extends Violation>(list: readonly V[]): V[] {
  return [...list].sort(tableOrder);
}

/** The worst severity of a list, or null when it is empty. */
export function worstSeverity(list: readonly Violation[]): Severity | null {
  let worst: Severity | null = null;
  for (const v of list) if (worst === null || SEVERITY_RANK[v.severity] < SEVERITY_RANK[worst]) worst = v.severity;
  return worst;
}

/** Who a violation is about, as an operator reads it: "vCPU 2 (tid 7474)", "tid 7480", or "VM". */
export function violationSubject(v: Violation): string {
  if (v.vcpu !== undefined) return v.tid !== undefined ? `vCPU ${v.vcpu} (tid ${v.tid})` : `vCPU ${v.vcpu}`;
  if (v.tid !== undefined) return `tid ${v.tid}`;
  if (v.tids !== undefined && v.tids.length > 0) return `tids ${v.tids.join(', ')}`;
  return 'VM';
}
