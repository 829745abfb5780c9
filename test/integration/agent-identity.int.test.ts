// Which processes are VMs, and what is known of their vCPUs (issue 9, items 1 and 4): a QEMU
// started by hand with only a human monitor, and guests started with -daemonize.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { requireQemu } from './helpers/preconditions';
import { guestName, startDaemonizedGuest, startGuest, type DaemonizedGuest, type Guest } from './helpers/guests';
import { hmpOnce, parseInfoCpus } from './helpers/test-hmp';
import { taskset } from './helpers/commands';
import { startTestAgent, violationsOf, vmNamed } from './helpers/agent';
import { startAgentProcess, waitFor } from './helpers/agent-process';

const guests: Guest[] = [];

beforeAll(() => {
  requireQemu();
  if (availableParallelism() < 2) throw new Error('these tests pin threads to CPUs 0 and 1: the host needs 2 CPUs');
});

afterAll(async () => {
  await Promise.all(guests.map((g) => g.stop()));
});

describe('a QEMU whose vCPU threads cannot be identified', () => {
  it('is shown with identity "unknown", logged once with the remedy, and none of its threads is judged', async () => {
    // -monitor unix:... only: no debug-threads=on, no QMP socket, no libvirt.
    const g = await startGuest({ name: guestName('hmp'), smp: 2, monitorOnly: true });
    guests.push(g);
    if (g.hmp === null) throw new Error('no monitor socket');
    // The truth, from QEMU itself: HMP `info cpus` (read-only) names the vCPU threads.
    const vcpus = parseInfoCpus(await hmpOnce(g.hmp, 'info cpus'));
    expect(vcpus.map((v) => v.index)).toEqual([0, 1]);
    const vcpuTids = new Set(vcpus.map((v) => v.tid));
    // Pinned exactly as its pins file says: vCPUs on 1, the rest on 0.
    for (const tid of g.threads().keys()) taskset(vcpuTids.has(tid) ? '1' : '0', tid);
    const pins = { vms: { [g.name]: { vcpupin: { '0': '1', '1': '1' }, emulatorpin: '0' } } };
    const t = await startTestAgent({ pins });
    await t.sampleTwice();
    const snap = await t.sampleTwice();
    const vm = vmNamed(snap, g.name);
    expect(vm.identity).toBe('unknown');
    expect(vm.vcpus).toEqual([]);
    expect(vm.maxVcpus).toBe(2);
    // The real vCPU threads are there, not taken for emulator threads.
    for (const tid of vcpuTids) expect(vm.threads.find((th) => th.tid === tid)?.role).toBe('unknown');
    expect(vm.threads.filter((th) => th.role === 'emulator' || th.role === 'vcpu')).toEqual([]);
    // Before: an affinity-drift of "emulator threads" (the two vCPUs) with `taskset -pc 0 ...`.
    expect(violationsOf(snap, g.name)).toEqual([]);
    const lines = t.logs.filter((l) => l.includes(g.name) && l.includes('cannot be identified'));
    expect(lines, t.logs.join('\n')).toHaveLength(1);
    expect(lines[0]).toMatch(/debug-threads=on/);
    expect(lines[0]).toMatch(/-qmp unix:PATH,server=on,wait=off/);
    t.agent.close();
  });
});

describe('guests started with -daemonize', () => {
  it('never appear twice in a snapshot while their parent waits for them (agent printing at 100 ms)', async () => {
    const names = [0, 1, 2, 3].map((i) => guestName(`dz${i}`));
    const agent = startAgentProcess(['--print', '--interval', '100ms']);
    const started: DaemonizedGuest[] = [];
    const parents: number[] = [];
    try {
      await waitFor('the agent printing', () => (agent.printed.length > 0 ? true : null));
      for (const name of names) {
        const held = await startDaemonizedGuest(name);
        parents.push(held.parentPid);
        // The parent and the VM both exist, the VM without vCPU threads yet: hold that for more
        // than one discovery (1 s) of the agent.
        await new Promise((r) => setTimeout(r, 1300));
        const g = await held.release();
        started.push(g);
        const vm = await waitFor(`${name} with its vCPUs`, () => {
          const last = agent.printed.at(-1);
          const found = last?.vms.find((v) => v.name === name);
          return found !== undefined && found.vcpus.length === 2 ? found : null;
        });
        expect(vm.pid).toBe(g.pid); // the daemon, not its parent
      }
      await Promise.all(started.splice(0).map((g) => g.stop()));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await Promise.all(started.map((g) => g.stop()));
      await agent.stop();
    }
    const ours = new Set(names);
    let seen = 0;
    for (const s of agent.printed) {
      const listed = s.vms.filter((v) => ours.has(v.name));
      seen += listed.length;
      const what = listed.map((v) => `${v.name} (pid ${v.pid}, ${v.vcpus.length} vCPUs, threads ${v.threads.map((t) => `${t.name}:${t.state}`).join(' ')})`);
      expect(new Set(listed.map((v) => v.name)).size, `snapshot at ${s.at} lists ${what.join(', ')}; parents ${parents.join(', ')}`).toBe(listed.length);
    }
    expect(agent.printed.length).toBeGreaterThan(40);
    expect(seen).toBeGreaterThan(0);
    // While held, each parent waited beside its VM for over a second: it was never listed then.
    for (const s of agent.printed) {
      for (const v of s.vms) if (parents.includes(v.pid)) expect(s.vms.filter((w) => w.name === v.name)).toHaveLength(1);
    }
  });
});
