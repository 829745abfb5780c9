// Test helper: a /proc, /sys and libvirt tree rebuilt from probe1's captured task files, libvirt's
// real status XML for probe1 and a 2-CPU sysfs tree, for the agent run on --proc-root,
// --sys-root and --libvirt-dir. Not used by production code.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const FIX = path.resolve(import.meta.dirname, '../fixtures/libvirt-9.0-qemu-7.2');
const SYS = path.resolve(import.meta.dirname, '../fixtures/sysfs/single-node');

interface Task {
  tid: number;
  stat: string;
  allowed: string;
  cgroup: string;
}

/** Tasks of probe1.proc-tasks.txt: "== TID n comm=...", "Cpus_allowed_list:", "stat: ...", "cgroup: ...". */
function capturedTasks(): Task[] {
  const tasks: Task[] = [];
  let cur: Partial<Task> = {};
  for (const line of readFileSync(`${FIX}/probe1.proc-tasks.txt`, 'utf8').split('\n')) {
    const head = /^== TID (\d+) /.exec(line);
    if (head) cur = { tid: Number(head[1]) };
    const allowed = /^Cpus_allowed_list:\s*(\S+)/.exec(line);
    if (allowed) cur.allowed = allowed[1];
    if (line.startsWith('stat: ')) cur.stat = line.slice(6);
    if (line.startsWith('cgroup: ')) {
      cur.cgroup = line.slice(8);
      if (cur.tid !== undefined && cur.allowed !== undefined && cur.stat !== undefined) tasks.push({ tid: cur.tid, allowed: cur.allowed, stat: cur.stat, cgroup: cur.cgroup });
    }
  }
  return tasks;
}

export const DOMAIN_CG = '/machine/qemu-1-probe1.libvirt-qemu';

export interface Tree {
  root: string;
  sys: string;
  libvirt: string;
  setTask(tid: number, f: { processor?: number; allowed?: string; runNs?: number; policy?: readonly [number, number] }): void;
  /** Rewrites probe1's status XML with vCPU 0 pinned to `cpuset`. */
  repin(cpuset: string): void;
  /** Writes a cgroup v1 cpuset (below the cpuset mount of the sysfs tree) holding `tasks`. */
  setCgroup(cgroup: string, cpus: string, tasks: readonly number[]): void;
  /** A vhost kernel thread of probe1, as Linux before 6.4 has them. */
  vhostKthread(pid: number, allowed: string): void;
}

/** `plain`: the same process started by hand without debug-threads=on, no libvirt, no QMP. */
export function buildProc(o: { plain?: boolean } = {}): Tree {
  const base = mkdtempSync(path.join(tmpdir(), 'vcpumap-agent-'));
  const root = path.join(base, 'proc');
  const libvirt = path.join(base, 'libvirt');
  const sys = path.join(base, 'sys');
  cpSync(SYS, sys, { recursive: true });
  mkdirSync(libvirt, { recursive: true });
  const statusXml = readFileSync(`${FIX}/probe1.status.xml`, 'utf8');
  if (o.plain !== true) writeFileSync(`${libvirt}/probe1.xml`, statusXml);
  const ps = readFileSync(`${FIX}/probe1.ps.txt`, 'utf8').split('\n')[1] ?? '';
  let args = ps.slice(ps.indexOf('/usr/bin/qemu-system-x86_64')).split(' ');
  if (o.plain === true) args = args.map((a) => (a === 'guest=probe1,debug-threads=on' ? 'guest=probe1' : a));
  const pdir = `${root}/7468`;
  mkdirSync(`${pdir}/task`, { recursive: true });
  writeFileSync(`${pdir}/comm`, 'qemu-system-x86\n');
  writeFileSync(`${pdir}/cmdline`, args.join('\0') + '\0');
  writeFileSync(`${root}/stat`, 'cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 5 0 5 50 0 0 0 0 0 0\ncpu1 5 0 5 50 0 0 0 0 0 0\nintr 0\n');
  // A process that is not QEMU must be ignored.
  mkdirSync(`${root}/1/task/1`, { recursive: true });
  writeFileSync(`${root}/1/comm`, 'init\n');
  writeFileSync(`${root}/1/cmdline`, '/sbin/init\0');
  const unnamed = (t: Task): Task => ({ ...t, stat: t.stat.replace(/\((CPU \d\/KVM|IO mon_iothread)\)/, '(qemu-system-x86)') });
  const tasks = new Map(capturedTasks().map((t) => [t.tid, o.plain === true ? unnamed(t) : t]));
  const write = (dir: string, t: Task, runNs: number): void => {
    const d = `${dir}/task/${t.tid}`;
    mkdirSync(d, { recursive: true });
    writeFileSync(`${d}/stat`, t.stat + '\n');
    writeFileSync(`${d}/status`, `Name:\tx\nTgid:\t7468\nPid:\t${t.tid}\nCpus_allowed_list:\t${t.allowed}\n`);
    writeFileSync(`${d}/schedstat`, `${runNs} 0 1\n`);
    writeFileSync(`${d}/cgroup`, `${t.cgroup}\n0::/\n`);
  };
  for (const t of tasks.values()) write(pdir, t, 1000);
  const cgroupDir = (cg: string): string => `${sys}/fs/cgroup/cpuset${cg}`;
  const setCgroup = (cg: string, cpus: string, members: readonly number[]): void => {
    mkdirSync(cgroupDir(cg), { recursive: true });
    writeFileSync(`${cgroupDir(cg)}/cpuset.cpus`, `${cpus}\n`);
    writeFileSync(`${cgroupDir(cg)}/tasks`, members.map((m) => `${m}\n`).join(''));
  };
  // libvirt's layout, as captured: the domain, its emulator and one cgroup per vCPU.
  setCgroup(DOMAIN_CG, '0-1', []);
  setCgroup(`${DOMAIN_CG}/emulator`, '0-1', [7468, 7472, 7473]);
  setCgroup(`${DOMAIN_CG}/vcpu0`, '0', [7474, 7477]);
  setCgroup(`${DOMAIN_CG}/vcpu1`, '1', [7475]);
  const dirOf = new Map<number, string>(); // tid -> process directory
  for (const t of tasks.values()) dirOf.set(t.tid, pdir);
  return {
    root,
    sys,
    libvirt,
    setTask(tid, f) {
      const t = tasks.get(tid);
      if (!t) throw new Error(`no task ${tid}`);
      const close = t.stat.lastIndexOf(')');
      const fields = t.stat.slice(close + 2).split(' ');
      if (f.processor !== undefined) fields[36] = String(f.processor); // field 39 is the 37th after the comm
      if (f.policy !== undefined) {
        fields[37] = String(f.policy[1]); // field 40: rt_priority
        fields[38] = String(f.policy[0]); // field 41: policy
      }
      t.stat = t.stat.slice(0, close + 2) + fields.join(' ');
      if (f.allowed !== undefined) t.allowed = f.allowed;
      write(dirOf.get(tid) ?? pdir, t, f.runNs ?? 1000);
    },
    repin(cpuset) {
      writeFileSync(`${libvirt}/probe1.xml`, statusXml.replace("<vcpupin vcpu='0' cpuset='0'/>", `<vcpupin vcpu='0' cpuset='${cpuset}'/>`));
    },
    setCgroup,
    vhostKthread(pid, allowed) {
      const dir = `${root}/${pid}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/comm`, 'vhost-7468\n');
      writeFileSync(`${dir}/cmdline`, ''); // a kernel thread
      const t: Task = {
        tid: pid,
        allowed,
        stat: `${pid} (vhost-7468) S 2 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 28600 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0`,
        cgroup: `3:cpuset:${DOMAIN_CG}/emulator`,
      };
      tasks.set(pid, t);
      dirOf.set(pid, dir);
      write(dir, t, 1000);
    },
  };
}
