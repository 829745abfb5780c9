import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commonCgroup, parseTaskCgroup } from './task-cgroup';

// A libvirt vCPU thread on a host with cgroup v1 controllers and the v2 hierarchy beside them, as
// on this project's test machines (libvirtd without systemd).
const LIBVIRT_V1 = [
  '9:name=systemd:/',
  '8:pids:/',
  '7:blkio:/machine/qemu-3-web.libvirt-qemu',
  '4:memory:/machine/qemu-3-web.libvirt-qemu',
  '3:cpuset:/machine/qemu-3-web.libvirt-qemu/vcpu0',
  '2:cpuacct:/',
  '1:cpu:/machine/qemu-3-web.libvirt-qemu/vcpu0',
  '0::/machine/qemu-3-web.libvirt-qemu/vcpu0',
  '',
].join('\n');

describe('parseTaskCgroup', () => {
  it('takes the cgroup v1 cpuset line when there is one', () => {
    expect(parseTaskCgroup(LIBVIRT_V1)).toEqual({ version: 1, path: '/machine/qemu-3-web.libvirt-qemu/vcpu0' });
    expect(parseTaskCgroup('5:cpu,cpuset,memory:/a\n0::/b\n')).toEqual({ version: 1, path: '/a' });
  });

  it('takes the v2 line on a pure cgroup v2 host (systemd-machined layout)', () => {
    expect(parseTaskCgroup('0::/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/vcpu0\n')).toEqual({
      version: 2,
      path: '/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/vcpu0',
    });
  });

  it('keeps a ":" inside the path and ignores what is not a cgroup line', () => {
    expect(parseTaskCgroup('0::/a:b\n')).toEqual({ version: 2, path: '/a:b' });
    expect(parseTaskCgroup('')).toBeNull();
    expect(parseTaskCgroup('garbage\n3:cpuset\n2:cpuset:relative\n')).toBeNull();
  });

  it('reads this process', () => {
    expect(parseTaskCgroup(readFileSync('/proc/self/cgroup', 'utf8'))?.path.startsWith('/')).toBe(true);
  });
});

describe('commonCgroup', () => {
  it('is the VM cgroup above libvirt\'s emulator, vcpuN and iothreadN cgroups', () => {
    const d = '/machine/qemu-3-web.libvirt-qemu';
    expect(commonCgroup([`${d}/emulator`, `${d}/vcpu0`, `${d}/vcpu1`])).toBe(d);
    expect(commonCgroup([`${d}/vcpu0`])).toBe(`${d}/vcpu0`);
    expect(commonCgroup(['/a/b', '/c'])).toBe('/');
    expect(commonCgroup(['/', '/a'])).toBe('/');
    expect(commonCgroup([])).toBeNull();
  });
});
