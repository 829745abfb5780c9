// The agent against real QEMU processes (TCG, no libvirt), compared with what QMP, ps and taskset
// report for the same threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { parseQueryCpusFast } from '../../lib/qmp/replies';
import { parsePs } from '../../lib/parsers/ps';
import { parseCpuset } from '../../lib/cpuset';
import { requireQemu } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { qmpOnce, TestQmp } from './helpers/test-qmp';
import { run, taskset, tasksetList } from './helpers/commands';
import { startTestAgent, violationsOf, vmNamed } from './helpers/agent';

const guests: Guest[] = [];
async function guest(...args: Parameters<typeof startGuest>): Promise<Guest> {
  const g = await startGuest(...args);
  guests.push(g);
  return g;
}

beforeAll(() => {
  requireQemu();
  if (availableParallelism() < 2) throw new Error('these tests re-pin threads between CPUs 0 and 1: the host needs 2 CPUs');
});

afterAll(async () => {
  await Promise.all(guests.map((g) => g.stop()));
});

describe('agent on plain QEMU guests', () => {
  it('finds the guests and ties vCPUs to the thread ids of query-cpus-fast', async () => {
    const a = await guest({ name: guestName('paused'), paused: true, smp: 2 });
    const b = await guest({ name: guestName('plain'), smp: 3, plainName: true, qmpSockets: 1 });
    const t = await startTestAgent();
    const snap = await t.sampleTwice();

    for (const g of [a, b]) {
      const vm = vmNamed(snap, g.name);
      expect(vm.source).toBe('qemu');
      expect(vm.pid).toBe(g.pid);
      const qmp = parseQueryCpusFast(await qmpOnce(g.testQmp, 'query-cpus-fast'));
      expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual(qmp.map((v) => [v.index, v.tid]));
      expect(vm.vcpus.every((v) => v.identity === 'qmp')).toBe(true);
      // Every thread of the process is tracked, vCPUs as vCPUs, the rest not.
      expect(new Set(vm.threads.map((th) => th.tid))).toEqual(new Set(g.threads().keys()));
      const vcpuTids = new Set(qmp.map((v) => v.tid));
      for (const th of vm.threads) expect(th.role === 'vcpu').toBe(vcpuTids.has(th.tid));
    }
    t.agent.close();
  });

  it('reports the pCPU that ps -eLo psr prints and the affinity that taskset prints', async () => {
    const g = await guest({ name: guestName('ps'), paused: true, smp: 2 });
    const t = await startTestAgent();
    const snap = await t.sampleTwice();
    const ps = parsePs(run('ps', ['-eLo', 'pid,lwp,psr,comm']));
    const vm = vmNamed(snap, g.name);
    // Paused vCPU threads never run, so they cannot move between the two reads.
    for (const v of vm.vcpus) {
      const row = ps.find((r) => r.lwp === v.tid);
      expect(row?.pid).toBe(g.pid);
      expect(v.pcpu).toBe(row?.psr);
      expect(v.ran).toBe(false);
    }
    for (const th of vm.threads) {
      expect(th.affinity).toEqual(parseCpuset(tasksetList(th.tid)));
    }
    t.agent.close();
  });

  it('shows a taskset re-pin as affinity-drift, and on a spinning vCPU also as off-pin', async () => {
    const g = await guest({ name: guestName('spin'), smp: 2, workload: 'spin' });
    const pins = { vms: { [g.name]: { vcpupin: { '0': '0', '1': '1' }, emulatorpin: '0-1' } } };
    taskset('0', g.vcpuTid(0));
    taskset('1', g.vcpuTid(1));
    const t = await startTestAgent({ pins });
    const before = await t.sampleTwice();
    expect(violationsOf(before, g.name)).toEqual([]);
    expect(vmNamed(before, g.name).vcpus.find((v) => v.index === 0)?.ran).toBe(true);

    taskset('1', g.vcpuTid(0)); // the re-pin an operator did not intend
    const after = await t.sampleTwice(400);
    const found = violationsOf(after, g.name);
    const drift = found.find((v) => v.kind === 'affinity-drift' && v.vcpu === 0);
    const off = found.find((v) => v.kind === 'off-pin' && v.vcpu === 0);
    expect(drift, JSON.stringify(found)).toBeDefined();
    expect(off, JSON.stringify(found)).toBeDefined();
    expect(off?.pcpus).toEqual([1]);
    expect(off?.fix).toBe(`taskset -pc 0 ${g.vcpuTid(0)}`);
    // vCPU 1 stayed where it was pinned.
    expect(found.filter((v) => v.vcpu === 1)).toEqual([]);
    await g.stop();
    t.agent.close();
  });

  it('reports no violation for halted guests re-pinned to match their pins', async () => {
    const g1 = await guest({ name: guestName('clean1'), smp: 2 });
    const g2 = await guest({ name: guestName('clean2'), smp: 1 });
    // g2's vCPU may run on either pCPU: pinned to pCPU 1 beside g1's vCPU 1, the two would be an
    // overcommit as soon as other load on the machine makes one wait there.
    const pins = {
      vms: {
        [g1.name]: { vcpupin: { '0': '0', '1': '1' }, emulatorpin: '0-1' },
        [g2.name]: { vcpupin: { '0': '0-1' }, emulatorpin: '0' },
      },
    };
    for (const [tid, name] of g1.threads()) taskset(name === 'CPU 0/TCG' ? '0' : name === 'CPU 1/TCG' ? '1' : '0-1', tid);
    for (const [tid, name] of g2.threads()) taskset(name === 'CPU 0/TCG' ? '0-1' : '0', tid);
    const t = await startTestAgent({ pins });
    const snap = await t.sampleTwice(500);
    expect([...violationsOf(snap, g1.name), ...violationsOf(snap, g2.name)]).toEqual([]);
    const vm = vmNamed(snap, g1.name);
    expect(vm.intent).toBe('pins-file');
    expect(vm.vcpus.map((v) => v.pin)).toEqual([[0], [1]]);
    t.agent.close();
  });

  it('shows a hot-plugged vCPU, as unpinned-vcpu in a pinned VM', async () => {
    const g = await guest({ name: guestName('hotplug'), smp: 2, maxcpus: 4, paused: true });
    const pins = { vms: { [g.name]: { vcpupin: { '0': '0', '1': '1' } } } };
    const t = await startTestAgent({ pins });
    expect(vmNamed(await t.sampleTwice(), g.name).vcpus).toHaveLength(2);

    const qmp = await TestQmp.connect(g.testQmp);
    const slots = (await qmp.run('query-hotpluggable-cpus')) as { type: string; props: Record<string, number>; 'qom-path'?: string }[];
    const free = slots.filter((s) => s['qom-path'] === undefined).at(-1);
    if (!free) throw new Error('no free hot-plug slot');
    await qmp.run('device_add', { driver: free.type, id: 'hotplugged', ...free.props });
    const expected = parseQueryCpusFast(await qmp.run('query-cpus-fast'));
    qmp.close();
    const added = expected.find((v) => v.index === 2);
    expect(added).toBeDefined();

    // The new thread changes the thread set; the agent asks QMP again.
    let snap = await t.sampleTwice();
    for (let i = 0; i < 10 && vmNamed(snap, g.name).vcpus.length < 3; i++) snap = await t.sampleTwice();
    const vm = vmNamed(snap, g.name);
    expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual(expected.map((v) => [v.index, v.tid]));
    expect(vm.vcpus.find((v) => v.index === 2)?.identity).toBe('qmp');
    const unpinned = violationsOf(snap, g.name).filter((v) => v.kind === 'unpinned-vcpu');
    expect(unpinned.map((v) => v.vcpu)).toEqual([2]);
    t.agent.close();
  });

  it('keeps running with a clear log line when a VM is killed between two ticks', async () => {
    const g = await guest({ name: guestName('killed'), paused: true });
    const t = await startTestAgent();
    t.agent.sample();
    await g.stop(); // SIGKILL
    const snap = await t.sampleTwice();
    expect(snap.vms.some((v) => v.name === g.name)).toBe(false);
    expect(t.logs.some((l) => l.includes(g.name) && /exited/.test(l)), t.logs.join('\n')).toBe(true);
    expect(t.logs.filter((l) => l.startsWith('error'))).toEqual([]);
    t.agent.close();
  });

  it('falls back to thread names with a clear log line when another client holds the QMP socket', async () => {
    const g = await guest({ name: guestName('busy'), smp: 2, qmpSockets: 1, paused: true });
    const holder = await TestQmp.connect(g.testQmp); // QEMU serves one client at a time
    try {
      const t = await startTestAgent();
      const vm = vmNamed(await t.sampleTwice(), g.name);
      expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual([[0, g.vcpuTid(0)], [1, g.vcpuTid(1)]]);
      expect(vm.vcpus.every((v) => v.identity === 'thread-name')).toBe(true);
      expect(t.logs.some((l) => l.includes(g.name) && /busy/i.test(l)), t.logs.join('\n')).toBe(true);
      t.agent.close();
    } finally {
      holder.close();
    }
  });
});
