// A VM whose vCPU threads cannot be told apart is shown as such and never judged; a process that
// is not a VM of its own (a daemonizing QEMU's parent) is not listed beside the VM.
import { describe, expect, it } from 'vitest';
import { flatTopology, host, intent, lastTick, mainThread, running, sample, vcpuThread, vm } from '../../test/support/model-fixtures';

const topo = flatTopology(2);

describe('a VM without vCPU identity', () => {
  // Issue 9: QEMU without debug-threads=on and without a QMP socket (-monitor only), pinned as its
  // pins file says: vCPUs on 1, the rest on 0. Its two vCPU threads look like any other thread.
  const snap = (vcpuAffinity: string) =>
    lastTick(2, (t) =>
      host(topo, [
        vm(
          'plain',
          100,
          [
            mainThread(100, { affinity: '0' }),
            sample(101, 'qemu-system-x86', { affinity: '0' }),
            sample(103, 'qemu-system-x86', { affinity: vcpuAffinity, pcpu: 1, ...running(t) }),
            sample(104, 'qemu-system-x86', { affinity: vcpuAffinity, pcpu: 1, ...running(t) }),
            sample(105, 'kvm-nx-lpage-re', { affinity: '0' }),
          ],
          { source: 'qemu', maxVcpus: 2, intent: intent({ source: 'pins-file', vcpupin: { 0: '1', 1: '1' }, emulatorpin: '0' }) },
        ),
      ]),
    );

  it('reads identity "unknown", lists no vCPU, gives its threads role "unknown" and judges nothing', () => {
    const s = snap('1');
    const v = s.vms[0];
    expect(v?.identity).toBe('unknown');
    expect(v?.vcpus).toEqual([]);
    expect(v?.maxVcpus).toBe(2);
    expect(v?.threads.map((t) => [t.tid, t.role, t.pin])).toEqual([
      [100, 'unknown', null],
      [101, 'unknown', null],
      [103, 'unknown', null],
      [104, 'unknown', null],
      [105, 'other', null],
    ]);
    // Before: "emulator threads (TIDs 103, 104) may run on 1 but emulatorpin is 0" with
    // `taskset -pc 0 103 && taskset -pc 0 104`, which would move both vCPUs onto the emulator CPU.
    expect(s.violations).toEqual([]);
  });

  it('offers no fix whatever the masks are', () => {
    expect(snap('0-1').violations).toEqual([]);
  });

  it('reads how a known VM was identified', () => {
    const named = lastTick(1, () => host(topo, [vm('n', 100, [mainThread(100), vcpuThread(0, 101)], { source: 'qemu' })]));
    expect(named.vms[0]?.identity).toBe('thread-name');
    const qmp = lastTick(1, () =>
      host(topo, [vm('q', 100, [mainThread(100), sample(101, 'qemu-system-x86')], { source: 'qemu', vcpus: [{ index: 0, tid: 101, source: 'qmp' }] })]),
    );
    expect(qmp.vms[0]?.identity).toBe('qmp');
    expect(qmp.vms[0]?.vcpus.map((v) => [v.index, v.tid, v.identity])).toEqual([[0, 101, 'qmp']]);
  });
});

describe('a QEMU process that is not a VM of its own', () => {
  it('drops a process with no vCPU thread yet that shares its name with one that has them', () => {
    const s = lastTick(1, () =>
      host(topo, [
        // The parent of a daemonizing QEMU: named (debug-threads=on), two threads, no vCPU.
        vm('web', 100, [mainThread(100), sample(101, 'call_rcu')], { source: 'qemu', namesThreads: true }),
        vm('web', 110, [mainThread(110), vcpuThread(0, 111)], { source: 'qemu', namesThreads: true }),
      ]),
    );
    expect(s.vms.map((v) => [v.name, v.pid])).toEqual([['web', 110]]);
  });

  it('keeps both while neither has a vCPU thread, and keeps a VM whose vCPUs cannot be known', () => {
    const starting = lastTick(1, () =>
      host(topo, [
        vm('web', 100, [mainThread(100)], { source: 'qemu', namesThreads: true }),
        vm('web', 110, [mainThread(110)], { source: 'qemu', namesThreads: true }),
      ]),
    );
    expect(starting.vms.map((v) => v.pid)).toEqual([100, 110]);
    const unknown = lastTick(1, () =>
      host(topo, [
        vm('db', 100, [mainThread(100), sample(101, 'qemu-system-x86')], { source: 'qemu' }),
        vm('db', 110, [mainThread(110), vcpuThread(0, 111)], { source: 'qemu' }),
      ]),
    );
    // "No vCPU" is not known of pid 100 (no names, no QMP): it may be a VM of its own.
    expect(unknown.vms.map((v) => [v.pid, v.identity])).toEqual([
      [100, 'unknown'],
      [110, 'thread-name'],
    ]);
  });
});
