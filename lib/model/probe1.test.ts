// Snapshots built from the real libvirt 9.0 / QEMU 7.2 probe recorded in
// test/fixtures/libvirt-9.0-qemu-7.2: domain probe1, pid 7468, on a 2-CPU host
// (test/fixtures/sysfs/single-node), vcpupin 0->0, 1->1, emulatorpin 0-1, guest cell 0-3.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, singleNode, T0 } from '../../test/support/model-fixtures';
import type { HostObservation, ThreadSample, VcpuIdentity, VmIntent } from './types';

const topology = await singleNode();

/** Literal from probe1.proc-tasks.txt: comm, Cpus_allowed_list, stat fields 3, 14, 15, 39. */
const PROBE1: readonly ThreadSample[] = [
  t(7468, 'qemu-system-x86', [0, 1], 1, 5, 3),
  t(7472, 'qemu-system-x86', [0, 1], 1, 0, 0),
  t(7473, 'IO mon_iothread', [0, 1], 0, 13, 9),
  t(7474, 'CPU 0/KVM', [0], 0, 0, 543),
  t(7475, 'CPU 1/KVM', [1], 1, 0, 0),
  t(7477, 'kvm-nx-lpage-re', [0], 0, 0, 0),
];

/** Literal from probe1.after-hotplug.proc-tasks.txt: vCPU 2 (TID 8096) hot-plugged without a pin. */
const AFTER_HOTPLUG: readonly ThreadSample[] = [
  t(7468, 'qemu-system-x86', [0, 1], 1, 6, 3),
  t(7472, 'qemu-system-x86', [0, 1], 1, 0, 0),
  t(7473, 'IO mon_iothread', [0, 1], 0, 14, 9),
  t(7474, 'CPU 0/KVM', [0], 0, 0, 571),
  t(7475, 'CPU 1/KVM', [1], 1, 0, 0),
  t(7477, 'kvm-nx-lpage-re', [0], 0, 0, 0),
  t(8096, 'CPU 2/KVM', [0, 1], 0, 0, 0),
];

function t(tid: number, name: string, affinity: readonly number[], pcpu: number, utime: number, stime: number): ThreadSample {
  // The probe read no schedstat: ran falls back to utime+stime.
  return { tid, name, state: 'S', pcpu, utime, stime, runNs: null, waitNs: null, timeslices: null, affinity };
}

/** probe1.status.xml <cputune>: no <vcpu cpuset>, so no default for vCPUs without a vcpupin. */
const INTENT: VmIntent = {
  source: 'libvirt',
  vcpupin: new Map([
    [0, [0]],
    [1, [1]],
  ]),
  vcpuDefault: null,
  emulatorpin: [0, 1],
  iothreadpin: new Map(),
  dedicated: false,
  memoryNodes: null,
  guestCells: [[0, 1, 2, 3]],
  vcpusched: new Map(),
};

function observation(at: number, threads: readonly ThreadSample[], vcpus: readonly VcpuIdentity[]): HostObservation {
  return {
    host: 'probe-host',
    at,
    topology,
    pcpus: [],
    vms: [
      {
        name: 'probe1',
        uuid: '2e3e9521-1ce8-4f73-aefa-04f25acf84ec',
        pid: 7468,
        source: 'libvirt',
        threads,
        vcpus,
        iothreads: [],
        intent: INTENT,
        maxVcpus: 4,
      },
    ],
  };
}

const libvirtVcpus = (pairs: readonly (readonly [number, number])[]): VcpuIdentity[] =>
  pairs.map(([index, tid]) => ({ index, tid, source: 'libvirt' }));

describe('probe1 fixture', () => {
  it('the literal samples match the recorded proc-tasks files', () => {
    for (const [file, samples] of [
      ['probe1.proc-tasks.txt', PROBE1],
      ['probe1.after-hotplug.proc-tasks.txt', AFTER_HOTPLUG],
    ] satisfies [string, readonly ThreadSample[]][]) {
      const text = readFileSync(fileURLToPath(new URL(`../../test/fixtures/libvirt-9.0-qemu-7.2/${file}`, import.meta.url)), 'utf8');
      const recorded = text
        .split('== TID ')
        .slice(1)
        .map((block) => {
          const stat = /^stat: .*\) (\S) (.*)$/m.exec(block);
          const fields = stat?.[2]?.split(' ') ?? [];
          return {
            tid: Number(/^(\d+)/.exec(block)?.[1]),
            name: /comm=(.*)$/m.exec(block)?.[1],
            affinity: /Cpus_allowed_list:\s*(\S+)/.exec(block)?.[1],
            pcpu: Number(/field39\)=(\d+)/.exec(block)?.[1]),
            state: stat?.[1],
            utime: Number(fields[10]), // fields after the state start at field 4
            stime: Number(fields[11]),
          };
        });
      expect(
        samples.map((s) => ({
          tid: s.tid,
          name: s.name,
          affinity: s.affinity.length === 2 ? `${s.affinity[0]}-${s.affinity[1]}` : String(s.affinity[0]),
          pcpu: s.pcpu,
          state: s.state,
          utime: s.utime,
          stime: s.stime,
        })),
      ).toEqual(recorded);
    }
  });

  it('a correctly pinned domain has zero violations (kvm-nx-lpage-re on 0 under emulatorpin 0-1 is not drift)', () => {
    const [s] = run([observation(T0, PROBE1, libvirtVcpus([[0, 7474], [1, 7475]]))]);
    expect(s?.violations).toEqual([]);
    const vm = s?.vms[0];
    expect(vm?.vcpus.map((v) => [v.index, v.tid, v.pin, v.affinity, v.identity])).toEqual([
      [0, 7474, [0], [0], 'libvirt'],
      [1, 7475, [1], [1], 'libvirt'],
    ]);
    expect(vm?.threads.map((x) => [x.tid, x.role])).toEqual([
      [7468, 'emulator'],
      [7472, 'emulator'],
      [7473, 'emulator'],
      [7474, 'vcpu'],
      [7475, 'vcpu'],
      [7477, 'other'],
    ]);
  });

  it('after hot-plug, the new vCPU 2 without a vcpupin is unpinned-vcpu (and nothing else)', () => {
    const snaps = run([
      observation(T0, PROBE1, libvirtVcpus([[0, 7474], [1, 7475]])),
      observation(T0 + 1000, AFTER_HOTPLUG, libvirtVcpus([[0, 7474], [1, 7475], [2, 8096]])),
    ]);
    const s = snaps[1];
    expect(s?.vms[0]?.vcpus.map((v) => [v.index, v.pin, v.ran])).toEqual([
      [0, [0], true], // stime 543 -> 571
      [1, [1], false],
      [2, null, false],
    ]);
    expect(s?.violations.map((v) => [v.kind, v.vm, v.vcpu, v.tid, v.fix])).toEqual([['unpinned-vcpu', 'probe1', 2, 8096, null]]);
  });

  it('with vCPUs 2 and 3 hot-plugged (libvirt status lists both), both are unpinned-vcpu', () => {
    // The recording enabled only vCPU 2; vCPU 3 is added the way a second `setvcpus` would.
    const withThree = [...AFTER_HOTPLUG, t(8097, 'CPU 3/KVM', [0, 1], 1, 0, 0)];
    const [s] = run([observation(T0, withThree, libvirtVcpus([[0, 7474], [1, 7475], [2, 8096], [3, 8097]]))]);
    expect(s?.violations.map((v) => [v.kind, v.severity, v.vcpu, v.tid, v.pcpus])).toEqual([
      ['unpinned-vcpu', 'warning', 2, 8096, [0, 1]],
      ['unpinned-vcpu', 'warning', 3, 8097, [0, 1]],
    ]);
  });
});
