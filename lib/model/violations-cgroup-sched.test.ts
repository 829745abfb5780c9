// What operators asked for next (issue 9): cgroup cpusets behind a mask, real-time policy against
// <vcpusched>, and vhost workers judged with the emulator.
import { describe, expect, it } from 'vitest';
import { cgroup, flatTopology, host, intent, lastTick, mainThread, ofKind, running, sample, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { CgroupCpuset, SchedIntent } from './types';

const topo = flatTopology(2);

/** VM "a", vCPU 0 (TID 101) pinned to pCPU 0 with kernel mask `mask`, in cgroup `cg`. */
function drift(mask: string, cg: CgroupCpuset, source: 'qemu' | 'libvirt' = 'libvirt') {
  return lastTick(2, (t) =>
    host(topo, [
      vm('a', 100, [mainThread(100, { affinity: '0-1' }), vcpuThread(0, 101, { affinity: mask, pcpu: 1, ...running(t) })], {
        source,
        intent: intent({ vcpupin: { 0: '0' }, emulatorpin: '0-1' }),
        threadCgroups: new Map([[101, cg]]),
      }),
    ]),
  );
}

describe('affinity-drift and off-pin with a cgroup cpuset', () => {
  const VCPU0 = '/machine/qemu-1-a.libvirt-qemu/vcpu0';

  it('says when the mask is the whole cpuset of the thread\'s cgroup (a cgroup change, not a taskset)', () => {
    // The thread was moved into a cgroup whose cpuset is 0-1 (or, before Linux 6.2, that cgroup's
    // cpuset.cpus was written: cgroup v1 then reset the mask of every task in it).
    const s = drift('0-1', cgroup(VCPU0, '0-1'));
    const d = ofKind(s, 'affinity-drift')[0];
    expect(d?.message).toBe(
      'VM "a" vCPU 0 (TID 101) may run on 0-1 but is pinned to 0; the mask is the cpuset of its cgroup ' +
        `(/sys/fs/cgroup/cpuset${VCPU0}/cpuset.cpus: 0-1), so a cgroup change or a move into that cgroup set it, not a taskset.`,
    );
    expect(d?.fix).toBe('virsh vcpupin a 0 0 --live'); // libvirt rewrites vcpu0/cpuset.cpus too
  });

  it('keeps the usual cause when a taskset narrowed the mask inside the cgroup', () => {
    // fixture violation-2: the cgroup was widened to 0-1, then taskset -pc 1.
    const d = ofKind(drift('1', cgroup(VCPU0, '0-1')), 'affinity-drift')[0];
    expect(d?.message).toMatch(/pinned to 0; usually a taskset, a cgroup cpuset change/);
    expect(d?.fix).toBe('virsh vcpupin a 0 0 --live');
  });

  it('names the cgroup file in the fix when the cgroup excludes the pin and holds only that thread', () => {
    const s = drift('1', cgroup('/vm-a/vcpu0', '1'), 'qemu');
    const d = ofKind(s, 'affinity-drift')[0];
    expect(d?.message).toMatch(/its cgroup's cpuset \(\/sys\/fs\/cgroup\/cpuset\/vm-a\/vcpu0\/cpuset\.cpus: 1\) excludes the pin, so no taskset can restore it\.$/);
    expect(d?.fix).toBe('echo 0 > /sys/fs/cgroup/cpuset/vm-a/vcpu0/cpuset.cpus && taskset -pc 0 101');
    // off-pin offers the same command: taskset alone would fail with EINVAL.
    expect(ofKind(s, 'off-pin')[0]?.fix).toBe('echo 0 > /sys/fs/cgroup/cpuset/vm-a/vcpu0/cpuset.cpus && taskset -pc 0 101');
  });

  it('lets virsh rewrite libvirt\'s own vCPU cgroup', () => {
    const d = ofKind(drift('1', cgroup(VCPU0, '1')), 'affinity-drift')[0];
    expect(d?.message).toMatch(/excludes the pin, so no taskset can restore it; virsh rewrites that cgroup\.$/);
    expect(d?.fix).toBe('virsh vcpupin a 0 0 --live');
  });

  it('offers no fix for a shared cgroup v1 cpuset (widening it resets every task in it), and widens a v2 one', () => {
    const v1 = ofKind(drift('1', cgroup('/vm-a', '1', { tasks: 4 }), 'qemu'), 'affinity-drift')[0];
    expect(v1?.message).toMatch(/excludes the pin, so no taskset can restore it, and widening it may reset the affinity of the 3 other tasks in it\.$/);
    expect(v1?.fix).toBeNull();
    const v2 = ofKind(drift('1', cgroup('/vm-a', '1', { tasks: 4, version: 2 }), 'qemu'), 'affinity-drift')[0];
    expect(v2?.message).toMatch(/\(\/sys\/fs\/cgroup\/vm-a\/cpuset\.cpus\.effective: 1\) excludes the pin/);
    expect(v2?.fix).toBe('echo 0-1 > /sys/fs/cgroup/vm-a/cpuset.cpus && taskset -pc 0 101');
  });

  it('quotes a cgroup path a shell would split', () => {
    const d = ofKind(drift('1', cgroup('/machine.slice/machine-qemu\\x2d1\\x2da.scope/libvirt/vcpu0', '1'), 'qemu'), 'affinity-drift')[0];
    expect(d?.fix).toBe("echo 0 > '/sys/fs/cgroup/cpuset/machine.slice/machine-qemu\\x2d1\\x2da.scope/libvirt/vcpu0/cpuset.cpus' && taskset -pc 0 101");
  });
});

describe('sched-policy-drift', () => {
  const FIFO1: SchedIntent = { policy: 'fifo', priority: 1 };
  /** vCPU 0 of VM "rt" at stat policy `policy` / rt_priority `prio`; vcpusched asks `want` of vCPU 0. */
  function rt(policy: number | null, prio: number, want: SchedIntent, source: 'pins-file' | 'libvirt' = 'pins-file') {
    return lastTick(1, () =>
      host(topo, [
        vm(
          'rt',
          100,
          [mainThread(100, { affinity: '0' }), vcpuThread(0, 101, { affinity: '1', pcpu: 1, policy, rtPriority: prio }), vcpuThread(1, 102, { affinity: '1', pcpu: 1 })],
          { source: 'qemu', intent: intent({ source, vcpupin: { 0: '1', 1: '1' }, emulatorpin: '0', vcpusched: { 0: want } }) },
        ),
      ]),
    );
  }

  it('reports a vCPU that lost its real-time policy, with the chrt that restores it', () => {
    const s = rt(0, 0, FIFO1);
    expect(s.violations.map((v) => [v.kind, v.severity, v.vcpu, v.tid, v.pcpus, v.fix])).toEqual([
      ['sched-policy-drift', 'warning', 0, 101, [], 'chrt -f -p 1 101'],
    ]);
    expect(s.violations[0]?.message).toMatch(/^VM "rt" vCPU 0 \(TID 101\) runs SCHED_OTHER but the pins file asks for SCHED_FIFO priority 1; usually/);
    expect(s.vms[0]?.threads.find((t) => t.tid === 101)).toMatchObject({ policy: 'other', priority: 0 });
  });

  it('compares the real-time priority, and only the policy for batch and idle', () => {
    expect(rt(1, 1, FIFO1).violations).toEqual([]);
    expect(rt(1, 2, FIFO1, 'libvirt').violations[0]?.message).toMatch(/runs SCHED_FIFO priority 2 but <vcpusched> asks for SCHED_FIFO priority 1/);
    expect(rt(2, 1, FIFO1).violations[0]?.fix).toBe('chrt -f -p 1 101');
    expect(rt(3, 0, { policy: 'batch', priority: 0 }).violations).toEqual([]);
    expect(rt(0, 0, { policy: 'idle', priority: 0 }).violations[0]?.fix).toBe('chrt -i -p 0 101');
    expect(rt(0, 0, { policy: 'rr', priority: 50 }).violations[0]?.fix).toBe('chrt -r -p 50 101');
  });

  it('judges neither vCPUs without a vcpusched entry nor threads whose policy was not read', () => {
    expect(rt(null, 0, FIFO1).violations).toEqual([]);
    const s = rt(0, 0, FIFO1);
    expect(s.violations.every((v) => v.vcpu === 0)).toBe(true); // vCPU 1 has no entry
  });
});

describe('vhost workers', () => {
  it('are judged against emulatorpin with the emulator threads', () => {
    const s = lastTick(1, () =>
      host(topo, [
        vm('a', 100, [mainThread(100, { affinity: '0' }), vcpuThread(0, 101, { affinity: '1' }), sample(300, 'vhost-100', { affinity: '0-1' })], {
          source: 'qemu',
          intent: intent({ vcpupin: { 0: '1' }, emulatorpin: '0' }),
        }),
      ]),
    );
    expect(s.vms[0]?.threads.find((t) => t.tid === 300)).toMatchObject({ role: 'vhost', pin: [0] });
    const d = ofKind(s, 'affinity-drift');
    expect(d.map((v) => [v.id, v.tids, v.fix])).toEqual([['affinity-drift:a:emulator', [300], 'taskset -pc 0 300']]);
    expect(d[0]?.message).toMatch(/^VM "a" emulator and vhost threads \(TID 300\) may run on 0-1 but emulatorpin is 0;/);
  });

  it('count as emulator work on a dedicated VM\'s pCPUs', () => {
    const s = lastTick(2, (t) =>
      host(flatTopology(4), [
        vm('a', 100, [mainThread(100, { affinity: '0' }), vcpuThread(0, 101, { affinity: '2', pcpu: 2, ...running(t) }), sample(300, 'vhost-100', { affinity: '0', pcpu: 2, ...running(t) })], {
          source: 'qemu',
          intent: intent({ vcpupin: { 0: '2' }, emulatorpin: '0', dedicated: true }),
        }),
      ]),
    );
    expect(ofKind(s, 'emulator-overlap').map((v) => [v.tids, v.pcpus, v.fix])).toEqual([[[300], [2], 'taskset -pc 0 300']]);
  });
});
