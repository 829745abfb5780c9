// sched-policy-drift: a vCPU thread's scheduling policy or real-time priority (stat fields 41 and
// 40) is not what libvirt's <vcpusched> or the pins file's vcpusched asks for. A real-time vCPU
// that lost SCHED_FIFO competes with every other thread of its pCPU; the cure is one chrt.
import { chrtCommand, schedLabel, schedMatches } from '../sched-policy';
import type { SnapshotThread } from '../snapshot';
import { sentence, violationId, vmLabel, type Finding, type Rule, type RuleContext } from './context';

export const schedPolicyDrift: Rule = { kind: 'sched-policy-drift', detect };

function detect(ctx: RuleContext): readonly Finding[] {
  const out: Finding[] = [];
  for (const { vm, intent } of ctx.vms) {
    if (intent === null || intent.vcpusched.size === 0) continue;
    const byTid = new Map<number, SnapshotThread>();
    for (const t of vm.threads) byTid.set(t.tid, t);
    const asker = intent.source === 'pins-file' ? 'the pins file asks for' : '<vcpusched> asks for';
    for (const v of vm.vcpus) {
      const want = intent.vcpusched.get(v.index);
      const th = byTid.get(v.tid);
      // A thread whose policy was not read (a pasted ps) is not judged.
      if (want === undefined || th?.policy === undefined) continue;
      const priority = th.priority ?? 0;
      if (schedMatches(want, th.policy, priority)) continue;
      out.push({
        id: violationId('sched-policy-drift', [vm.name], `vcpu${v.index}`),
        kind: 'sched-policy-drift',
        severity: 'warning',
        vm: vm.name,
        vms: [vm.name],
        vcpu: v.index,
        tid: v.tid,
        pcpus: [],
        message: sentence(
          `${vmLabel(vm.name)} vCPU ${v.index} (TID ${v.tid}) runs ${schedLabel(th.policy, priority)} but ${asker} ` +
            `${schedLabel(want.policy, want.priority)}; usually a vCPU hot-plugged or restarted without its policy, a chrt, ` +
            'or a tool that resets real-time threads.',
        ),
        fix: chrtCommand(want, v.tid),
      });
    }
  }
  return out;
}
