// What operators asked for next (issue 9, items 3 and 5) on real guests: overcommit judged on the
// pCPUs where the wait happened, the real-time policy against vcpusched (chrt), and cpuset
// cgroups behind a mask (libvirt's own per-vCPU cgroup, and one an operator made).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTaskCgroup } from '../../lib/procfs/task-cgroup';
import { requireLibvirt } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { run, taskset } from './helpers/commands';
import { createDomain, type Domain } from './helpers/libvirt';
import { startTestAgent, violationsOf, vmNamed } from './helpers/agent';

const CPUSET = '/sys/fs/cgroup/cpuset';
const guests: Guest[] = [];
const domains: Domain[] = [];

beforeAll(() => {
  requireLibvirt();
  if (availableParallelism() < 2) throw new Error('these tests pin threads to CPUs 0 and 1: the host needs 2 CPUs');
});

afterAll(async () => {
  for (const d of domains) d.destroy();
  await Promise.all(guests.map((g) => g.stop()));
});

async function guest(...args: Parameters<typeof startGuest>): Promise<Guest> {
  const g = await startGuest(...args);
  guests.push(g);
  return g;
}

/** Runs a fix exactly as shown to the operator. */
function runFix(fix: string | null | undefined): void {
  if (typeof fix !== 'string') throw new Error(`no fix to run: ${String(fix)}`);
  execFileSync('sh', ['-c', fix], { stdio: 'pipe', timeout: 30_000 });
}

function requireCpusetV1(): void {
  if (!existsSync(`${CPUSET}/cpuset.cpus`)) {
    throw new Error(`THIS TEST CANNOT RUN: it needs the cgroup v1 cpuset hierarchy at ${CPUSET} (libvirt's cgroups on this kind of host)`);
  }
}

describe('overcommit', () => {
  it('does not count run-queue wait a vCPU spent on a pCPU outside the pin set', async () => {
    // Issue 9: two vCPUs pinned to pCPU 1; vCPU 0 moved by taskset to pCPU 0, where it spins and
    // waits behind a busy process. Nothing contends on pCPU 1.
    const g = await guest({ name: guestName('ovc'), smp: 2, workload: 'spin', qmpSockets: 1 });
    const pins = { vms: { [g.name]: { vcpupin: { '0': '1', '1': '1' }, emulatorpin: '0-1' } } };
    for (const [tid, name] of g.threads()) taskset(name === 'CPU 0/TCG' ? '0' : name === 'CPU 1/TCG' ? '1' : '0-1', tid);
    const busy: ChildProcess = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      const t = await startTestAgent({ pins });
      const elsewhere = await t.sampleTwice(1000);
      const v0 = vmNamed(elsewhere, g.name).vcpus.find((v) => v.index === 0);
      expect(v0?.pcpu).toBe(0);
      expect(v0?.waitNs ?? 0).toBeGreaterThan(0.05 * (elsewhere.intervalMs ?? 1000) * 1e6); // it did wait, on pCPU 0
      expect(violationsOf(elsewhere, g.name).filter((v) => v.kind === 'overcommit')).toEqual([]);
      // The control: the same wait on pCPU 1 is contention on the set.
      taskset('1', g.vcpuTid(0));
      if (busy.pid !== undefined) taskset('1', busy.pid);
      const contended = await t.sampleTwice(1000);
      const over = violationsOf(contended, g.name).filter((v) => v.kind === 'overcommit');
      expect(over.map((v) => v.pcpus), JSON.stringify(vmNamed(contended, g.name).vcpus)).toEqual([[1]]);
      t.agent.close();
    } finally {
      busy.kill('SIGKILL');
      await g.stop();
    }
  });
});

describe('sched-policy-drift', () => {
  it('reports a vCPU not running the vcpusched policy, and its chrt fix restores it', async () => {
    const g = await guest({ name: guestName('rt'), smp: 2, paused: true, qmpSockets: 1 });
    const pins = {
      vms: { [g.name]: { vcpupin: { '0': '0', '1': '1' }, emulatorpin: '0-1', vcpusched: [{ vcpus: '0', scheduler: 'fifo', priority: 1 }] } },
    };
    for (const [tid, name] of g.threads()) taskset(name === 'CPU 0/TCG' ? '0' : name === 'CPU 1/TCG' ? '1' : '0-1', tid);
    const tid = g.vcpuTid(0);
    const t = await startTestAgent({ pins, fullEveryMs: 0 });
    const before = await t.sampleTwice();
    const drift = violationsOf(before, g.name).filter((v) => v.kind === 'sched-policy-drift');
    expect(drift.map((v) => [v.vcpu, v.tid, v.fix])).toEqual([[0, tid, `chrt -f -p 1 ${tid}`]]);
    expect(vmNamed(before, g.name).threads.find((th) => th.tid === tid)).toMatchObject({ policy: 'other', priority: 0 });
    runFix(drift[0]?.fix);
    expect(run('chrt', ['-p', String(tid)])).toMatch(/SCHED_FIFO[\s\S]*priority: 1/);
    const after = await t.sampleTwice();
    expect(vmNamed(after, g.name).threads.find((th) => th.tid === tid)).toMatchObject({ policy: 'fifo', priority: 1 });
    expect(violationsOf(after, g.name)).toEqual([]);
    t.agent.close();
  });
});

describe('cpuset cgroups', () => {
  it('shows a libvirt domain\'s cgroup, and names the vCPU\'s cgroup when its cpuset set the mask', async () => {
    requireCpusetV1();
    const d = createDomain({ name: guestName('cg'), maxVcpus: 2, currentVcpus: 2, vcpupin: { 0: '0', 1: '1' }, emulatorpin: '0-1' });
    domains.push(d);
    const status = d.status();
    const vcpu0 = status.vcpuPids.find((v) => v.index === 0)?.tid ?? -1;
    const own = parseTaskCgroup(readFileSync(`/proc/${status.pid}/task/${vcpu0}/cgroup`, 'utf8'));
    if (own?.version !== 1) throw new Error(`libvirt put vCPU 0 of ${d.name} in no cgroup v1 cpuset: ${JSON.stringify(own)}`);
    const domainCgroup = own.path.slice(0, own.path.lastIndexOf('/'));
    const t = await startTestAgent();
    const clean = await t.sampleTwice();
    expect(vmNamed(clean, d.name).cgroup).toEqual({ path: domainCgroup, file: `${CPUSET}${domainCgroup}/cpuset.cpus`, cpus: [0, 1] });
    expect(violationsOf(clean, d.name)).toEqual([]);
    // An operator narrows the vCPU's cgroup: the kernel moves the thread's mask with it.
    const file = `${CPUSET}${own.path}/cpuset.cpus`;
    writeFileSync(file, '1');
    const narrowed = await t.sampleTwice();
    const drift = violationsOf(narrowed, d.name).find((v) => v.kind === 'affinity-drift' && v.vcpu === 0);
    expect(drift?.message).toContain(`its cgroup's cpuset (${file}: 1) excludes the pin, so no taskset can restore it; virsh rewrites that cgroup`);
    expect(drift?.fix).toBe(`virsh vcpupin ${d.name} 0 0 --live`);
    runFix(drift?.fix);
    expect(readFileSync(file, 'utf8').trim()).toBe('0');
    expect(violationsOf(await t.sampleTwice(), d.name)).toEqual([]);
    t.agent.close();
  });

  it('names the cgroup file in the fix when a plain QEMU thread sits in a cgroup that excludes its pin', async () => {
    requireCpusetV1();
    const g = await guest({ name: guestName('cgq'), smp: 2, paused: true, qmpSockets: 1 });
    const pins = { vms: { [g.name]: { vcpupin: { '0': '0', '1': '1' }, emulatorpin: '0-1' } } };
    for (const [tid, name] of g.threads()) taskset(name === 'CPU 0/TCG' ? '0' : name === 'CPU 1/TCG' ? '1' : '0-1', tid);
    const tid = g.vcpuTid(0);
    const cg = `${CPUSET}/vcpumap-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    mkdirSync(cg);
    try {
      writeFileSync(`${cg}/cpuset.cpus`, '1');
      writeFileSync(`${cg}/cpuset.mems`, readFileSync(`${CPUSET}/cpuset.mems`, 'utf8').trim());
      writeFileSync(`${cg}/tasks`, String(tid)); // its mask follows the cgroup: 1
      const t = await startTestAgent({ pins });
      const moved = await t.sampleTwice();
      const drift = violationsOf(moved, g.name).find((v) => v.kind === 'affinity-drift' && v.vcpu === 0);
      expect(drift?.message).toContain(`its cgroup's cpuset (${cg}/cpuset.cpus: 1) excludes the pin, so no taskset can restore it`);
      expect(drift?.fix).toBe(`echo 0 > ${cg}/cpuset.cpus && taskset -pc 0 ${tid}`);
      runFix(drift?.fix);
      expect(violationsOf(await t.sampleTwice(), g.name)).toEqual([]);
      t.agent.close();
    } finally {
      writeFileSync(`${CPUSET}/tasks`, String(tid));
      rmdirSync(cg);
    }
  });
});
