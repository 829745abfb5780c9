// The violation engine: runs every rule, carries `since` over from the previous snapshot and
// sorts the result. Rules live one per file; each returns findings without times.
import type { Severity, Violation, ViolationKind } from '../snapshot';
import { affinityDrift } from './affinity-drift';
import { byName, ruleContext, type Finding, type Rule, type ViolationInput } from './context';
import { emulatorOverlap } from './emulator-overlap';
import { intruder } from './intruder';
import { irqOnDedicated } from './irq-on-dedicated';
import { isolationMismatch } from './isolation-mismatch';
import { numaSplit } from './numa-split';
import { offPin } from './off-pin';
import { overcommit } from './overcommit';
import { schedPolicyDrift } from './sched-policy-drift';
import { sharedDedicated } from './shared-dedicated';
import { smtSiblingShared } from './smt-sibling-shared';
import { unpinnedVcpu } from './unpinned-vcpu';

export type { Finding, JudgedVm, Rule, ViolationInput } from './context';

/** Every rule, in the order the kinds are listed (and sorted) in. */
export const RULES: readonly Rule[] = [
  offPin,
  affinityDrift,
  unpinnedVcpu,
  sharedDedicated,
  emulatorOverlap,
  smtSiblingShared,
  numaSplit,
  isolationMismatch,
  overcommit,
  intruder,
  irqOnDedicated,
  schedPolicyDrift,
];

const SEVERITY_ORDER: readonly Severity[] = ['critical', 'warning', 'info'];
const KIND_ORDER: readonly ViolationKind[] = RULES.map((r) => r.kind);

// The findings of each rule behind a returned list, for reuse on the next tick.
const findingsBehind = new WeakMap<readonly Violation[], ReadonlyMap<ViolationKind, readonly Finding[]>>();

/**
 * All violations of one tick. `previous` is the last snapshot's list: a violation with the same
 * id keeps its `since`; one that went away and came back starts again. `vmsUnchanged` says that
 * every judged VM and the static topology are the very objects `previous` was computed from: the
 * findings of the rules that are not `perTick` are then reused instead of computed again.
 */
export function detectViolations(input: ViolationInput, previous: readonly Violation[], vmsUnchanged = false): readonly Violation[] {
  const ctx = ruleContext(input);
  const before = vmsUnchanged ? findingsBehind.get(previous) : undefined;
  const findings = new Map<ViolationKind, readonly Finding[]>();
  const sinceById = new Map(previous.map((v) => [v.id, v.since]));
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const rule of RULES) {
    const found = (rule.perTick ? undefined : before?.get(rule.kind)) ?? rule.detect(ctx);
    findings.set(rule.kind, found);
    for (const f of found) {
      // Two findings with one id (e.g. two VMs with the same name) would share a `since`; keep one.
      if (seen.has(f.id)) continue;
      seen.add(f.id);
      out.push({ ...f, since: sinceById.get(f.id) ?? input.at, lastSeen: input.at });
    }
  }
  const sorted = out.sort(compareViolations);
  findingsBehind.set(sorted, findings);
  return sorted;
}

/** Severity (critical first), then kind in rule order, then VM name, then vCPU. */
export function compareViolations(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    byName(a.vm, b.vm) ||
    (a.vcpu ?? -1) - (b.vcpu ?? -1) ||
    byName(a.id, b.id)
  );
}
