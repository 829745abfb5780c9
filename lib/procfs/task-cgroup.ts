// /proc/PID/task/TID/cgroup: which cgroup holds a thread for the cpuset controller. Each line is
// `hierarchy-ID:controller-list:path`; cgroup v1 names its controllers (`3:cpuset:/machine/...`),
// the v2 line is `0::/path`. A v1 cpuset hierarchy, when mounted, is the one that constrains the
// thread (hybrid hosts mount v2 without the cpuset controller). Pure.

export interface TaskCgroup {
  readonly version: 1 | 2;
  readonly path: string; // "/" or "/machine/qemu-1-web.libvirt-qemu/vcpu0"
}

/** The thread's cpuset cgroup: the v1 cpuset line, else the v2 line; null when neither is there. */
export function parseTaskCgroup(text: string): TaskCgroup | null {
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const path = line.slice(b + 1); // a cgroup path may itself contain ':'
    if (!path.startsWith('/')) continue;
    const controllers = line.slice(a + 1, b);
    if (controllers === '' && line.slice(0, a) === '0') v2 = path;
    else if (controllers.split(',').includes('cpuset')) return { version: 1, path };
  }
  return v2 === null ? null : { version: 2, path: v2 };
}

/** The deepest cgroup that holds every one of `paths` ("/" when they share nothing else). */
export function commonCgroup(paths: readonly string[]): string | null {
  const [first, ...rest] = paths;
  if (first === undefined) return null;
  let common = first.split('/').filter((p) => p !== '');
  for (const p of rest) {
    const parts = p.split('/').filter((x) => x !== '');
    let n = 0;
    while (n < common.length && n < parts.length && common[n] === parts[n]) n++;
    common = common.slice(0, n);
  }
  return `/${common.join('/')}`;
}
