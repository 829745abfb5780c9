// The whole agent on a captured host: a /proc tree rebuilt from probe1's captured task files,
// libvirt's real status XML for probe1, and a 2-CPU sysfs tree.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent } from './agent';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const SYS = path.resolve(import.meta.dirname, '../../test/fixtures/sysfs/single-node');

interface Task {
  tid: number;
  stat: string;
  allowed: string;
}

/** Tasks of probe1.proc-tasks.txt: "== TID n comm=...", "Cpus_allowed_list:", "stat: ...". */
function capturedTasks(): Task[] {
  const tasks: Task[] = [];
  let cur: Partial<Task> = {};
  for (const line of readFileSync(`${FIX}/probe1.proc-tasks.txt`, 'utf8').split('\n')) {
    const head = /^== TID (\d+) /.exec(line);
    if (head) cur = { tid: Number(head[1]) };
    const allowed = /^Cpus_allowed_list:\s*(\S+)/.exec(line);
    if (allowed) cur.allowed = allowed[1];
    if (line.startsWith('stat: ')) {
      cur.stat = line.slice(6);
      if (cur.tid !== undefined && cur.allowed !== undefined) tasks.push({ tid: cur.tid, allowed: cur.allowed, stat: cur.stat });
    }
  }
  return tasks;
}

function buildProc(): { root: string; libvirt: string; setTask(tid: number, f: { processor?: number; allowed?: string; runNs?: number }): void } {
  const base = mkdtempSync(path.join(tmpdir(), 'vcpumap-agent-'));
  const root = path.join(base, 'proc');
  const libvirt = path.join(base, 'libvirt');
  mkdirSync(libvirt, { recursive: true });
  cpSync(`${FIX}/probe1.status.xml`, `${libvirt}/probe1.xml`);
  const ps = readFileSync(`${FIX}/probe1.ps.txt`, 'utf8').split('\n')[1] ?? '';
  const args = ps.slice(ps.indexOf('/usr/bin/qemu-system-x86_64')).split(' ');
  const pdir = `${root}/7468`;
  mkdirSync(`${pdir}/task`, { recursive: true });
  writeFileSync(`${pdir}/comm`, 'qemu-system-x86\n');
  writeFileSync(`${pdir}/cmdline`, args.join('\0') + '\0');
  writeFileSync(`${root}/stat`, 'cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 5 0 5 50 0 0 0 0 0 0\ncpu1 5 0 5 50 0 0 0 0 0 0\nintr 0\n');
  // A process that is not QEMU must be ignored.
  mkdirSync(`${root}/1/task/1`, { recursive: true });
  writeFileSync(`${root}/1/comm`, 'init\n');
  writeFileSync(`${root}/1/cmdline`, '/sbin/init\0');
  const tasks = new Map(capturedTasks().map((t) => [t.tid, t]));
  const write = (t: Task, runNs: number): void => {
    const d = `${pdir}/task/${t.tid}`;
    mkdirSync(d, { recursive: true });
    writeFileSync(`${d}/stat`, t.stat + '\n');
    writeFileSync(`${d}/status`, `Name:\tx\nTgid:\t7468\nPid:\t${t.tid}\nCpus_allowed_list:\t${t.allowed}\n`);
    writeFileSync(`${d}/schedstat`, `${runNs} 0 1\n`);
  };
  for (const t of tasks.values()) write(t, 1000);
  return {
    root,
    libvirt,
    setTask(tid, f) {
      const t = tasks.get(tid);
      if (!t) throw new Error(`no task ${tid}`);
      if (f.processor !== undefined) {
        const close = t.stat.lastIndexOf(')');
        const fields = t.stat.slice(close + 2).split(' ');
        fields[36] = String(f.processor); // field 39 is the 37th after the comm
        t.stat = t.stat.slice(0, close + 2) + fields.join(' ');
      }
      if (f.allowed !== undefined) t.allowed = f.allowed;
      write(t, f.runNs ?? 1000);
    },
  };
}

async function agentOn(tree: { root: string; libvirt: string }, logs: string[] = []): Promise<Agent> {
  const agent = await Agent.create({
    host: 'probe-host',
    intervalMs: 100,
    procRoot: tree.root,
    sysRoot: SYS,
    libvirtDir: tree.libvirt,
    pinsFile: null,
    discoverEveryMs: 0,
    affinityEveryMs: 0,
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
});
