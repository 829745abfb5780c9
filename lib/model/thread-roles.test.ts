import { describe, expect, it } from 'vitest';
import { assignThreads, iothreadNumber, vcpuIndexFromName } from './thread-roles';
import { intent, mainThread, sample, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { ThreadAssignment } from './thread-roles';

function roles(v: Parameters<typeof assignThreads>[0]): Record<number, ThreadAssignment> {
  return Object.fromEntries(assignThreads(v).threads.map((a) => [a.sample.tid, a.role]));
}

describe('vcpuIndexFromName', () => {
  it('reads the debug-threads names of every accelerator', () => {
    expect(vcpuIndexFromName('CPU 0/KVM')).toBe(0);
    expect(vcpuIndexFromName('CPU 12/TCG')).toBe(12);
    expect(vcpuIndexFromName('CPU 3/HVF')).toBe(3);
    expect(vcpuIndexFromName('CPU 7/WHPX')).toBe(7);
  });
  it('rejects anything else', () => {
    expect(vcpuIndexFromName('CPU 8191/KVM')).toBe(8191);
    for (const n of ['CPU 8192/KVM', 'CPU 99999/KVM', 'qemu-system-x86', 'CPU 0/XEN', 'CPU /KVM', 'CPU 1/KVMx', 'xCPU 1/KVM', 'kvm-nx-lpage-re']) {
      expect(vcpuIndexFromName(n)).toBeNull();
    }
  });
});

describe('iothreadNumber', () => {
  it('maps libvirt ids iothread<N> to N', () => {
    expect(iothreadNumber('iothread1')).toBe(1);
    expect(iothreadNumber('iothread12')).toBe(12);
    expect(iothreadNumber('disk-io')).toBeNull();
    expect(iothreadNumber('mon_iothread')).toBeNull();
  });
});

describe('assignThreads', () => {
  it('prefers QMP/libvirt identities over names, names fill the gaps', () => {
    const v = vm(
      'a',
      100,
      [
        mainThread(100),
        sample(101, 'worker-thread'), // identified by libvirt without a telling name
        vcpuThread(1, 102),
        vcpuThread(0, 103), // named vCPU 0 but libvirt already says 101 is vCPU 0
      ],
      { vcpus: [{ index: 0, tid: 101, source: 'libvirt' }] },
    );
    const r = roles(v);
    expect(r[101]).toEqual({ kind: 'vcpu', index: 0, source: 'libvirt' });
    expect(r[102]).toEqual({ kind: 'vcpu', index: 1, source: 'thread-name' });
    expect(r[103]).toEqual({ kind: 'emulator' });
    expect(r[100]).toEqual({ kind: 'emulator' });
  });

  it('never guesses vCPUs as "everything but the main thread": without identity or names every thread is unknown', () => {
    const v = vm('a', 100, [mainThread(100), sample(101, 'qemu-system-x86'), sample(102, 'call_rcu'), sample(103, 'kvm-nx-lpage-re')], {
      intent: intent({ vcpupin: { 0: '1', 1: '1' }, emulatorpin: '0' }),
    });
    const a = assignThreads(v);
    expect(a.identity).toBe('unknown');
    expect(a.threads.map((t) => [t.sample.tid, t.role.kind, t.pin])).toEqual([
      [100, 'unknown', null],
      [101, 'unknown', null],
      [102, 'unknown', null],
      [103, 'other', null], // a kernel helper is known by its name
    ]);
  });

  it('says how the vCPUs were identified', () => {
    const named = vm('a', 100, [mainThread(100), vcpuThread(0, 101)]);
    expect(assignThreads(named).identity).toBe('thread-name');
    const qmp = vm('a', 100, [mainThread(100), sample(101, 'qemu-system-x86')], { vcpus: [{ index: 0, tid: 101, source: 'qmp' }] });
    expect(assignThreads(qmp).identity).toBe('qmp');
    const lv = vm('a', 100, [mainThread(100), vcpuThread(0, 101)], { vcpus: [{ index: 0, tid: 101, source: 'libvirt' }] });
    expect(assignThreads(lv).identity).toBe('libvirt');
    // debug-threads=on but no vCPU thread yet (QEMU still starting): the names will tell.
    const starting = vm('a', 100, [mainThread(100), sample(101, 'call_rcu')], { namesThreads: true });
    expect(assignThreads(starting)).toMatchObject({ identity: 'thread-name', threads: [{ role: { kind: 'emulator' } }, { role: { kind: 'emulator' } }] });
    // An IOThread name shows debug-threads=on as well.
    expect(assignThreads(vm('a', 100, [mainThread(100), sample(104, 'IO mon_iothread')])).identity).toBe('thread-name');
  });

  it('does not take a thread newer than the last QMP answer for an emulator thread', () => {
    const v = vm('a', 100, [mainThread(100), sample(101, 'qemu-system-x86'), sample(102, 'qemu-system-x86')], {
      vcpus: [{ index: 0, tid: 101, source: 'qmp' }],
      identityCovers: new Set([100, 101]),
      intent: intent({ vcpupin: { 0: '1' }, emulatorpin: '0' }),
    });
    const a = assignThreads(v);
    expect(a.identity).toBe('qmp');
    expect(a.threads.map((t) => [t.sample.tid, t.role.kind, t.pin])).toEqual([
      [100, 'emulator', [0]],
      [101, 'vcpu', [1]],
      [102, 'unknown', null], // maybe a hot-plugged vCPU QMP has not been asked about yet
    ]);
    // With debug-threads=on a new vCPU would be named: an unnamed new thread is an emulator thread.
    expect(assignThreads({ ...v, namesThreads: true }).threads.map((t) => t.role.kind)).toEqual(['emulator', 'vcpu', 'emulator']);
  });

  it('finds vhost workers of this VM, pinned with the emulator', () => {
    const v = vm('a', 100, [mainThread(100), vcpuThread(0, 101), sample(300, 'vhost-100'), sample(301, 'vhost-999')], {
      intent: intent({ vcpupin: { 0: '1' }, emulatorpin: '0' }),
    });
    const a = assignThreads(v);
    expect(a.threads.map((t) => [t.sample.tid, t.role.kind, t.pin])).toEqual([
      [100, 'emulator', [0]],
      [101, 'vcpu', [1]],
      [300, 'vhost', [0]],
      [301, 'emulator', [0]], // another process's name: not a vhost worker of this VM
    ]);
  });

  it('ignores identities whose thread is gone', () => {
    const v = vm('a', 100, [mainThread(100), vcpuThread(0, 101)], {
      vcpus: [{ index: 0, tid: 999, source: 'qmp' }],
    });
    expect(roles(v)[101]).toEqual({ kind: 'vcpu', index: 0, source: 'thread-name' });
  });

  it('keeps QMP props', () => {
    const v = vm('a', 100, [vcpuThread(0, 101)], {
      vcpus: [{ index: 0, tid: 101, source: 'qmp', props: { 'socket-id': 0, 'core-id': 0 } }],
    });
    expect(roles(v)[101]).toEqual({ kind: 'vcpu', index: 0, source: 'qmp', props: { 'socket-id': 0, 'core-id': 0 } });
  });

  it('finds IOThreads by QMP id and by name, and leaves the monitor iothread to the emulator', () => {
    const v = vm(
      'a',
      100,
      [mainThread(100), sample(104, 'IO disk0'), sample(105, 'IO iothread2'), sample(106, 'IO mon_iothread')],
      { iothreads: [{ id: 'disk0', tid: 104 }] },
    );
    const r = roles(v);
    expect(r[104]).toEqual({ kind: 'iothread', id: 'disk0', number: null });
    expect(r[105]).toEqual({ kind: 'iothread', id: 'iothread2', number: 2 });
    expect(r[106]).toEqual({ kind: 'emulator' });
  });

  it('marks kernel helper threads as "other"', () => {
    const v = vm('a', 100, [sample(107, 'kvm-nx-lpage-re'), sample(108, 'kvm-pit/100')]);
    expect(roles(v)).toEqual({ 107: { kind: 'other' }, 108: { kind: 'other' } });
  });

  it('resolves pins per role', () => {
    const v = vm(
      'a',
      100,
      [
        mainThread(100),
        vcpuThread(0, 101),
        vcpuThread(1, 102),
        vcpuThread(2, 103),
        sample(104, 'IO iothread1'),
        sample(105, 'IO iothread2'),
        sample(106, 'kvm-nx-lpage-re'),
      ],
      { intent: intent({ vcpupin: { 0: '2', 1: '3' }, vcpuDefault: '4-5', emulatorpin: '0-1', iothreadpin: { 1: '6' } }) },
    );
    const pins = Object.fromEntries(assignThreads(v).threads.map((a) => [a.sample.tid, a.pin]));
    expect(pins).toEqual({ 100: [0, 1], 101: [2], 102: [3], 103: [4, 5], 104: [6], 105: [0, 1], 106: null });
  });

  it('has no pins without an intent', () => {
    const v = vm('a', 100, [mainThread(100), vcpuThread(0, 101)]);
    expect(assignThreads(v).threads.map((a) => a.pin)).toEqual([null, null]);
  });
});
