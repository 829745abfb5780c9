// The agent against real libvirt 9 domains: identity from the status XML (libvirt holds the QMP
// monitor), pins from <cputune>, hot-plug through virsh setvcpus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueryCpusFast } from '../../lib/qmp/replies';
import { parseCpuset } from '../../lib/cpuset';
import { requireLibvirt } from './helpers/preconditions';
import { guestName } from './helpers/guests';
import { tasksetList, virsh } from './helpers/commands';
import { createDomain, type Domain } from './helpers/libvirt';
import { startTestAgent, violationsOf, vmNamed } from './helpers/agent';

const domains: Domain[] = [];

beforeAll(() => requireLibvirt());
afterAll(() => {
  for (const d of domains) d.destroy();
});

/** query-cpus-fast through libvirt's own monitor connection. */
function libvirtQueryCpusFast(name: string): ReturnType<typeof parseQueryCpusFast> {
  const out = JSON.parse(virsh('qemu-monitor-command', name, '{"execute":"query-cpus-fast"}')) as { return: unknown };
  return parseQueryCpusFast(out.return);
}

describe('agent on libvirt domains', () => {
  it('finds a domain, its vCPU threads from the status XML, its pins, and no violation', async () => {
    const d = createDomain({ name: guestName('lv'), maxVcpus: 4, currentVcpus: 2, vcpupin: { 0: '0', 1: '1' }, emulatorpin: '0-1' });
    domains.push(d);
    const t = await startTestAgent();
    const snap = await t.sampleTwice();
    const vm = vmNamed(snap, d.name);
    const status = d.status();
    expect(vm.source).toBe('libvirt');
    expect(vm.intent).toBe('libvirt');
    expect(vm.pid).toBe(status.pid);
    expect(vm.uuid).toBe(status.domain.uuid);
    expect(vm.maxVcpus).toBe(4);
    expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual(status.vcpuPids.map((v) => [v.index, v.tid]));
    expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual(libvirtQueryCpusFast(d.name).map((v) => [v.index, v.tid]));
    expect(vm.vcpus.map((v) => v.pin)).toEqual([[0], [1]]);
    for (const th of vm.threads) expect(th.affinity).toEqual(parseCpuset(tasksetList(th.tid)));
    expect(violationsOf(snap, d.name)).toEqual([]);
    t.agent.close();
  });

  it('shows a vCPU hot-plugged with virsh setvcpus as unpinned-vcpu', async () => {
    const d = createDomain({ name: guestName('lvhp'), maxVcpus: 4, currentVcpus: 2, vcpupin: { 0: '0', 1: '1' }, emulatorpin: '0-1' });
    domains.push(d);
    const t = await startTestAgent();
    expect(vmNamed(await t.sampleTwice(), d.name).vcpus).toHaveLength(2);
    virsh('setvcpus', d.name, '3', '--live');
    let snap = await t.sampleTwice();
    for (let i = 0; i < 10 && vmNamed(snap, d.name).vcpus.length < 3; i++) snap = await t.sampleTwice();
    const vm = vmNamed(snap, d.name);
    expect(vm.vcpus.map((v) => [v.index, v.tid])).toEqual(libvirtQueryCpusFast(d.name).map((v) => [v.index, v.tid]));
    const v2 = vm.vcpus.find((v) => v.index === 2);
    expect(v2?.pin).toBeNull();
    const unpinned = violationsOf(snap, d.name).filter((v) => v.kind === 'unpinned-vcpu');
    expect(unpinned.map((v) => v.vcpu)).toEqual([2]);
    // No intent exists for the new vCPU, so there is no command that restores one.
    expect(unpinned[0]?.fix).toBeNull();
    t.agent.close();
  });
});
