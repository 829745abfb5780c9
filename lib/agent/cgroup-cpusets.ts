// Reads the cpuset cgroups of a VM's threads: each thread's own cgroup (libvirt gives every vCPU,
// the emulator and each IOThread one) and the VM's, the deepest cgroup holding them all. Read on
// discovery and when a thread's mask changes, never per tick: a cgroup cpuset change shows as a
// mask change (a cpuset that shrinks, or a move into a cgroup, sets the masks of its tasks).
// The cgroup file systems are found under the sysfs root: v1 cpuset at fs/cgroup/cpuset, v2 at
// fs/cgroup (unified host) or fs/cgroup/unified (hybrid host).
import { existsSync } from 'node:fs';
import { parseCpuset } from '../cpuset';
import { commonCgroup, parseTaskCgroup, type TaskCgroup } from '../procfs/task-cgroup';
import type { CgroupCpuset } from '../model/types';
import { isGone } from './gone';
import { readFileText } from './pread-scratch';

export interface VmCgroups {
  readonly vm: CgroupCpuset | null;
  readonly threads: ReadonlyMap<number, CgroupCpuset>; // by tid
}

/** A thread to look up: its tid and the process whose task directory holds it. */
export interface CgroupTask {
  readonly pid: number;
  readonly tid: number;
}

export class CgroupCpusets {
  private readonly v2Root: string;
  // The cpusets read at `readAt` (epoch ms), by `version:path`: the VMs judged on one tick share
  // their cgroups' files. On a host without a cgroup per VM every VM is in one cgroup (the root
  // cpuset, whose task list holds every thread of the host), read once a tick, not once a VM.
  private readAt = Number.NaN;
  private readonly cpusets = new Map<string, CgroupCpuset | null>();

  constructor(
    private readonly procRoot: string,
    private readonly sysRoot: string,
  ) {
    const base = `${sysRoot}/fs/cgroup`;
    this.v2Root = existsSync(`${base}/cgroup.controllers`) ? base : `${base}/unified`;
  }

  /** The cgroups of one VM's threads as they are at `at` (epoch ms, the tick's time). */
  read(tasks: readonly CgroupTask[], at: number): VmCgroups {
    if (at !== this.readAt) {
      this.readAt = at;
      this.cpusets.clear();
    }
    const threads = new Map<number, CgroupCpuset>();
    const paths: string[] = [];
    let version: 1 | 2 | null = null;
    for (const { pid, tid } of tasks) {
      const cg = this.taskCgroup(pid, tid);
      if (cg === null) continue;
      version ??= cg.version;
      if (cg.version !== version) continue; // a host half-way through a migration: do not mix
      const set = this.cachedCpuset(cg);
      if (set) {
        threads.set(tid, set);
        paths.push(cg.path);
      }
    }
    const common = commonCgroup(paths);
    let vm: CgroupCpuset | null = null;
    if (common !== null && version !== null) vm = this.cachedCpuset({ version, path: common });
    return { vm, threads };
  }

  private cachedCpuset(cg: TaskCgroup): CgroupCpuset | null {
    const key = `${cg.version}:${cg.path}`;
    let set = this.cpusets.get(key);
    if (set === undefined) {
      set = this.cpuset(cg);
      this.cpusets.set(key, set);
    }
    return set;
  }

  private taskCgroup(pid: number, tid: number): TaskCgroup | null {
    try {
      return parseTaskCgroup(readFileText(`${this.procRoot}/${pid}/task/${tid}/cgroup`));
    } catch (err) {
      if (isGone(err) || isDenied(err)) return null;
      throw err;
    }
  }

  /** The cpuset of a cgroup and how many threads it holds; null when the files are not there. */
  private cpuset(cg: TaskCgroup): CgroupCpuset | null {
    const dir = cg.version === 1 ? `${this.sysRoot}/fs/cgroup/cpuset${suffix(cg.path)}` : `${this.v2Root}${suffix(cg.path)}`;
    const file = `${dir}/${cg.version === 1 ? 'cpuset.cpus' : 'cpuset.cpus.effective'}`;
    let text: string;
    let tasks: string;
    try {
      text = readFileText(file).trim();
      tasks = readFileText(`${dir}/${cg.version === 1 ? 'tasks' : 'cgroup.threads'}`);
    } catch (err) {
      if (isGone(err) || isDenied(err)) return null;
      throw err;
    }
    let cpus;
    try {
      cpus = parseCpuset(text);
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return { path: cg.path, version: cg.version, file, writeFile: `${dir}/cpuset.cpus`, cpus, tasks: countLines(tasks) };
  }
}

function suffix(path: string): string {
  return path === '/' ? '' : path;
}

function countLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}

function isDenied(err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'EACCES' || err.code === 'EPERM');
}
