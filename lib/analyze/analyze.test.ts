import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './analyze';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const read = (f: string): string => readFileSync(`${FIX}/${f}`, 'utf8');

describe('analyze', () => {
  it('builds probe1 from ps, query-cpus-fast and the status XML, like the agent', () => {
    const snap = analyze(
      { ps: read('probe1.ps.txt'), queryCpusFast: read('probe1.query-cpus-fast.json'), libvirtXml: read('probe1.status.xml'), host: 'hv' },
      1000,
    );
    expect(snap.host).toBe('hv');
    expect(snap.vms).toHaveLength(1);
    const vm = snap.vms[0];
    expect(vm?.name).toBe('probe1');
    expect(vm?.source).toBe('libvirt');
    expect(vm?.vcpus.map((v) => [v.index, v.tid, v.pcpu, v.pin, v.identity])).toEqual([
      [0, 7474, 0, [0], 'qmp'],
      [1, 7475, 1, [1], 'qmp'],
    ]);
    expect(vm?.threads.find((t) => t.tid === 7477)?.role).toBe('other');
    expect(snap.violations).toEqual([]);
    expect(snap.intervalMs).toBeNull();
  });

  it('uses the status XML for vCPU threads without query-cpus-fast, and thread names without either', () => {
    const withXml = analyze({ ps: read('probe1.after-hotplug.ps.txt'), libvirtXml: read('probe1.after-hotplug.status.xml') }, 1);
    expect(withXml.vms[0]?.vcpus.map((v) => [v.index, v.identity])).toEqual([[0, 'libvirt'], [1, 'libvirt'], [2, 'libvirt']]);
    expect(withXml.violations.map((v) => [v.kind, v.vcpu])).toEqual([['unpinned-vcpu', 2]]);
    const bare = analyze({ ps: read('probe2.ps.txt') }, 1);
    expect(bare.vms[0]?.name).toBe('probe2');
    expect(bare.vms[0]?.vcpus.every((v) => v.identity === 'thread-name')).toBe(true);
  });

  it('judges off-pin on threads that ps shows running, with pins from a pins file', () => {
    const ps = `  PID   LWP PSR STAT COMMAND
  500   500   0 Sl   qemu-system-x86
  500   501   3 Rl   CPU 0/KVM
  500   502   3 Sl   CPU 1/KVM
`;
    const pins = 'vms:\n  pid-500:\n    vcpupin: { "0": "1", "1": "2" }\n';
    const snap = analyze({ ps, pins, topology: '# CPU,Core,Socket,Node\n0,0,0,0\n1,1,0,0\n2,2,0,0\n3,3,0,0\n' }, 1);
    expect(snap.topology.cpus).toHaveLength(4);
    // vCPU 1 sleeps on pCPU 3: a stale observation, not a violation.
    expect(snap.violations.map((v) => [v.kind, v.vcpu, v.pcpus])).toEqual([['off-pin', 0, [3]]]);
    expect(snap.violations[0]?.fix).toBe('taskset -pc 1 501');
  });

  it('says what is wrong with bad pastes', () => {
    expect(() => analyze({ ps: 'hello' }, 1)).toThrow(/^ps: /);
    expect(() => analyze({ ps: '  PID   LWP PSR COMMAND\n    1     1   0 init\n' }, 1)).toThrow(/no QEMU process found/);
    expect(() => analyze({ ps: read('probe1.ps.txt'), queryCpusFast: '{"return": [{"cpu-index": "x"}]}' }, 1)).toThrow(/^queryCpusFast: /);
    expect(() => analyze({ ps: read('probe1.ps.txt'), libvirtXml: '<domain>' }, 1)).toThrow(/^libvirtXml: /);
    expect(() => analyze({ ps: read('probe1.ps.txt'), pins: 'vms: { x: { vcpupin: { "0": "9-" } } }' }, 1)).toThrow(/^pins: /);
  });
});
