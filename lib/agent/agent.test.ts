// The whole agent on a captured host: a /proc tree rebuilt from probe1's captured task files,
// libvirt's real status XML for probe1, and a 2-CPU sysfs tree.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { Agent } from './agent';
import { buildProc, DOMAIN_CG, type Tree } from '../../test/support/proc-tree';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kinds = (s: Snapshot): string[] => s.violations.map((v) => `${v.kind} ${v.vcpu ?? ''}`.trim());

async function agentOn(tree: Tree, logs: string[] = [], o: { pinsFile?: string; graceMs?: number; slow?: boolean } = {}): Promise<Agent> {
  const agent = await Agent.create({
    host: 'probe-host',
    intervalMs: 100,
    procRoot: tree.root,
    sysRoot: tree.sys,
    libvirtDir: tree.libvirt,
    pinsFile: o.pinsFile ?? null,
    // slow: the production cadences (discovery every 1 s, masks every 5 s), to see what the
    // watches and the re-reads on a change do without them.
    discoverEveryMs: o.slow === true ? 60_000 : 0,
    affinityEveryMs: o.slow === true ? 60_000 : 0,
    intentGraceMs: o.graceMs ?? 200,
    log: (l, m) => logs.push(`${l}: ${m}`),
  });
  await agent.prepare();
  return agent;
}

describe('Agent on a captured libvirt host', () => {
  it('builds probe1 from /proc, the status XML and the pins in <cputune>, with no violation', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree);
    agent.sample();
    const snap = agent.sample();
    expect(snap.host).toBe('probe-host');
    expect(snap.vms.map((v) => v.name)).toEqual(['probe1']);
    const vm = snap.vms[0];
    expect(vm?.source).toBe('libvirt');
    expect(vm?.uuid).toBe('2e3e9521-1ce8-4f73-aefa-04f25acf84ec');
    expect(vm?.vcpus.map((v) => [v.index, v.tid, v.pcpu, v.affinity, v.pin, v.identity])).toEqual([
      [0, 7474, 0, [0], [0], 'libvirt'],
      [1, 7475, 1, [1], [1], 'libvirt'],
    ]);
    expect(vm?.threads.find((t) => t.tid === 7477)?.role).toBe('other'); // kvm-nx-lpage-re
    expect(vm?.threads.find((t) => t.tid === 7473)?.role).toBe('emulator'); // IO mon_iothread
    expect(snap.violations).toEqual([]);
    agent.close();
  });

  it('sees the captured re-pin of violation-2 (taskset -pc 1 on vCPU 0) as drift, and off-pin once it runs', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree);
    agent.sample();
    // violation-2-widen-cgroup-then-taskset.txt: affinity 1, psr still 0, thread asleep.
    tree.setTask(7474, { allowed: '1' });
    const asleep = agent.sample();
    expect(asleep.violations.map((v) => [v.kind, v.vcpu])).toEqual([['affinity-drift', 0]]);
    expect(asleep.violations[0]?.fix).toBe('virsh vcpupin probe1 0 0 --live');
    // Then it runs on CPU 1.
    tree.setTask(7474, { processor: 1, runNs: 5_000_000 });
    const ran = agent.sample();
    expect(ran.violations.map((v) => [v.kind, v.vcpu, v.pcpus])).toEqual([
      ['off-pin', 0, [1]],
      ['affinity-drift', 0, [0, 1]], // the CPUs where affinity and pin disagree
    ]);
    agent.close();
  });

  it('reads the cpuset cgroups: the VM\'s, and a thread\'s when its mask comes from one', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree);
    agent.sample();
    const snap = agent.sample();
    expect(snap.vms[0]?.cgroup).toEqual({ path: DOMAIN_CG, file: `${tree.sys}/fs/cgroup/cpuset${DOMAIN_CG}/cpuset.cpus`, cpus: [0, 1] });
    // echo 0-1 > vcpu0/cpuset.cpus on a kernel before 6.2: cgroup v1 resets the masks of its tasks.
    tree.setCgroup(`${DOMAIN_CG}/vcpu0`, '0-1', [7474, 7477]);
    tree.setTask(7474, { allowed: '0-1' });
    const widened = agent.sample();
    const d = widened.violations.find((v) => v.kind === 'affinity-drift' && v.vcpu === 0);
    expect(d?.message).toContain(`the mask is the cpuset of its cgroup (${tree.sys}/fs/cgroup/cpuset${DOMAIN_CG}/vcpu0/cpuset.cpus: 0-1)`);
    expect(d?.fix).toBe('virsh vcpupin probe1 0 0 --live');
    agent.close();
  });

  it('takes a vhost kernel thread (vhost-<qemu pid>) into its VM, judged against emulatorpin', async () => {
    const tree = buildProc();
    tree.vhostKthread(7600, '0-1');
    const agent = await agentOn(tree);
    agent.sample();
    const snap = agent.sample();
    expect(snap.vms.map((v) => v.name)).toEqual(['probe1']); // not a VM of its own
    expect(snap.vms[0]?.threads.find((t) => t.tid === 7600)).toMatchObject({ role: 'vhost', name: 'vhost-7468', pin: [0, 1], pcpu: 1 });
    expect(snap.violations).toEqual([]);
    tree.setTask(7600, { allowed: '1' });
    const drifted = agent.sample();
    expect(drifted.violations.map((v) => [v.kind, v.tids, v.fix])).toEqual([['affinity-drift', [7600], 'virsh emulatorpin probe1 0-1 --live']]);
    agent.close();
  });

  it('shows a live re-pin (the mask first, the status XML ms later) without a transient violation, and follows it', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree);
    agent.sample();
    // virsh vcpupin probe1 0 1 --live: the kernel mask, then (20 ms later) the status XML.
    tree.setTask(7474, { allowed: '1', processor: 1, runNs: 5_000_000 });
    setTimeout(() => tree.repin('1'), 20);
    const t0 = Date.now();
    const snap = await agent.next();
    expect(snap.violations).toEqual([]);
    expect(snap.vms[0]?.vcpus[0]).toMatchObject({ pin: [1], affinity: [1], pcpu: 1 });
    expect(Date.now() - t0).toBeLessThan(200); // settled as soon as the XML said so, not after the grace
    agent.close();
  });

  it('still reports a real drift, one grace late at most', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree, [], { graceMs: 120 });
    agent.sample();
    tree.setTask(7474, { allowed: '1', processor: 1, runNs: 5_000_000 }); // a taskset nobody intended
    const t0 = Date.now();
    const snap = await agent.next();
    const waited = Date.now() - t0;
    expect(kinds(snap)).toEqual(['off-pin 0', 'affinity-drift 0']);
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1000);
    // Known now: the next tick does not wait again.
    tree.setTask(7474, { runNs: 6_000_000 });
    const t1 = Date.now();
    expect(kinds(await agent.next())).toEqual(['off-pin 0', 'affinity-drift 0']);
    expect(Date.now() - t1).toBeLessThan(50);
    agent.close();
  });

  it('sees a status XML change through inotify and re-reads the masks of that VM at once', async () => {
    const tree = buildProc();
    const agent = await agentOn(tree, [], { slow: true });
    agent.sample();
    // An idle vCPU re-pinned: its mask is not re-read for 60 s here, its stat does not move.
    tree.setTask(7474, { allowed: '1' });
    tree.repin('1');
    // The watch event comes within ms (later on a loaded machine); discovery would take 60 s here.
    let snap = agent.sample();
    for (const until = Date.now() + 5000; snap.vms[0]?.vcpus[0]?.pin?.[0] !== 1 && Date.now() < until; snap = agent.sample()) {
      expect(snap.violations).toEqual([]);
      await tick(20);
    }
    expect(snap.vms[0]?.vcpus[0]).toMatchObject({ pin: [1], affinity: [1] });
    expect(snap.violations).toEqual([]);
    agent.close();
  });

  it('follows a pins-file edit made before the taskset, without a transient violation', async () => {
    const tree = buildProc();
    const pinsFile = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.yaml');
    const pins = (cpu: number): string => `vms:\n  probe1:\n    vcpupin: { "0": "${cpu}", "1": "1" }\n    emulatorpin: "0-1"\n`;
    writeFileSync(pinsFile, pins(0));
    const agent = await agentOn(tree, [], { pinsFile, slow: true });
    agent.sample();
    expect(agent.sample().vms[0]?.intent).toBe('pins-file');
    writeFileSync(pinsFile, pins(1));
    setTimeout(() => tree.setTask(7474, { allowed: '1' }), 20); // the taskset comes after
    // The tick that sees the edit (through the watch, within ms) waits for the taskset.
    let snap = await agent.next();
    for (const until = Date.now() + 5000; snap.vms[0]?.vcpus[0]?.pin?.[0] !== 1 && Date.now() < until; snap = await agent.next()) {
      expect(snap.violations).toEqual([]);
      await tick(20);
    }
    expect(snap.violations).toEqual([]);
    expect(snap.vms[0]?.vcpus[0]).toMatchObject({ pin: [1], affinity: [1] });
    agent.close();
  });

  it('judges the scheduling policy against the pins file\'s vcpusched', async () => {
    const tree = buildProc();
    const pinsFile = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.yaml');
    writeFileSync(pinsFile, 'vms:\n  probe1:\n    vcpupin: { "0": 0, "1": 1 }\n    emulatorpin: "0-1"\n    vcpusched: [{ vcpus: "0", scheduler: fifo, priority: 1 }]\n');
    const agent = await agentOn(tree, [], { pinsFile });
    agent.sample();
    const other = agent.sample();
    expect(other.violations.map((v) => [v.kind, v.vcpu, v.fix])).toEqual([['sched-policy-drift', 0, 'chrt -f -p 1 7474']]);
    tree.setTask(7474, { policy: [1, 1], runNs: 2000 }); // chrt -f -p 1 7474
    const fifo = agent.sample();
    expect(fifo.violations).toEqual([]);
    expect(fifo.vms[0]?.threads.find((t) => t.tid === 7474)).toMatchObject({ policy: 'fifo', priority: 1 });
    agent.close();
  });

  it('shows a QEMU without debug-threads, QMP or libvirt as identity "unknown", logs the remedy once and judges nothing', async () => {
    const tree = buildProc({ plain: true });
    const pinsFile = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.yaml');
    // Pinned as the pins file says (vCPUs on 1, the rest on 0) but for TID 7474 on 0.
    writeFileSync(pinsFile, 'vms:\n  probe1:\n    vcpupin: { "0": 1, "1": 1 }\n    emulatorpin: "0"\n');
    const logs: string[] = [];
    const agent = await agentOn(tree, logs, { pinsFile });
    agent.sample();
    agent.sample();
    const snap = agent.sample();
    const vm = snap.vms[0];
    expect(vm).toMatchObject({ name: 'probe1', source: 'qemu', identity: 'unknown', vcpus: [], maxVcpus: 4 });
    expect(vm?.threads.filter((t) => t.role !== 'unknown').map((t) => [t.tid, t.role])).toEqual([[7477, 'other']]);
    expect(snap.violations).toEqual([]);
    const lines = logs.filter((l) => l.includes('cannot be identified'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warn: VM "probe1" \(pid 7468\): its vCPU threads cannot be identified: it has no QMP socket, .*debug-threads=on.*-qmp unix:PATH,server=on,wait=off/);
    agent.close();
  });
});
