import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, AnalyzeInputError } from './analyze';

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

describe('analyze of hostile or broken pastes', () => {
  const ps = read('probe1.ps.txt');
  const fieldsOf = (input: Parameters<typeof analyze>[0]): Record<string, string> => {
    try {
      analyze(input, 1);
    } catch (err) {
      if (err instanceof AnalyzeInputError) return { ...err.fields };
      throw err;
    }
    throw new Error('expected an AnalyzeInputError');
  };

  it('names every field that cannot be read, not only the first', () => {
    const f = fieldsOf({ ps, queryCpusFast: '{"return": [', libvirtXml: '<domain>', pins: 'vms: [', topology: 'x' });
    expect(Object.keys(f).sort()).toEqual(['libvirtXml', 'pins', 'queryCpusFast', 'topology']);
    expect(f.queryCpusFast).toMatch(/not JSON/);
  });

  it('reports a query-cpus-fast that is an error, empty, or of threads not in the ps paste', () => {
    expect(fieldsOf({ ps, queryCpusFast: '{"error": {"class": "CommandNotFound", "desc": "no such command"}}' }).queryCpusFast).toMatch(/QMP error.*no such command/);
    expect(fieldsOf({ ps, queryCpusFast: '{"return": []}' }).queryCpusFast).toMatch(/no vCPU/);
    const other = '{"return": [{"cpu-index": 0, "qom-path": "/machine/unattached/device[0]", "thread-id": 999999, "props": {}}]}';
    expect(fieldsOf({ ps, queryCpusFast: other }).queryCpusFast).toMatch(/none of its thread-ids/);
  });

  it('reports a status XML of a process that is not in the paste', () => {
    const xml = read('probe1.status.xml').replace(/pid='\d+'/, "pid='424242'");
    expect(fieldsOf({ ps, libvirtXml: xml }).libvirtXml).toMatch(/424242/);
  });

  it('says the affinity and run-queue times are not in the paste, and no message says "no pCPUs"', () => {
    const snap = analyze({ ps: read('probe1.after-hotplug.ps.txt'), libvirtXml: read('probe1.after-hotplug.status.xml') }, 1);
    expect(snap.unobserved).toEqual(['affinity', 'runQueue']);
    const unpinned = snap.violations.find((v) => v.kind === 'unpinned-vcpu');
    expect(unpinned?.message).toMatch(/wherever its kernel affinity allows/);
    expect(snap.violations.map((v) => v.message).join('\n')).not.toMatch(/no pCPUs|kernel affinity \(none\)/);
  });

  it('answers a bad QEMU command line (server= without a value) with the field, not a crash', () => {
    const line = '  PID   LWP PSR STAT COMMAND         COMMAND\n  500   500   0 Sl   qemu-system-x86 qemu-system-x86_64 -name guest=a -chardev socket,id=c,path=/y,server= -qmp unix:/x,server=on\n';
    expect(fieldsOf({ ps: line }).ps).toMatch(/command line of process 500: .*server=/);
  });

  it('stays linear: one process of 40,000 threads in a fraction of the 11-13 s the quadratic grouping took', () => {
    const lines = ['  PID   LWP PSR STAT COMMAND'];
    for (let i = 0; i < 40_000; i++) lines.push(`  500 ${1000 + i}   ${i % 64} Sl   CPU ${i}/KVM`);
    const t = performance.now();
    const snap = analyze({ ps: lines.join('\n') }, 1);
    const ms = performance.now() - t;
    expect(snap.vms[0]?.vcpus).toHaveLength(8192); // indexes above the contract's 8191 stay emulator threads
    // Quadratic grouping took 11-13 s here; linear work is a few hundred ms even on a loaded machine.
    expect(ms).toBeLessThan(4000);
  });

  it('bounds CPU lists in total: 5,000 vcpupin entries of "0-8191" are refused, not expanded', () => {
    const pins = `vms:\n  pid-500:\n    vcpupin: { ${Array.from({ length: 5000 }, (_, i) => `"${i}": "0-8191"`).join(', ')} }\n`;
    const f = fieldsOf({ ps: '  PID   LWP PSR STAT COMMAND\n  500   501   3 Rl   CPU 0/KVM\n', pins });
    expect(f.pins).toMatch(/more than 1048576 CPU ids in total/);
  });

  it('refuses a YAML alias bomb before composing it', () => {
    const pins = `a: &a [1]\nb: [${Array(50_000).fill('*a').join(',')}]\n`;
    const t = performance.now();
    expect(fieldsOf({ ps, pins }).pins).toMatch(/more than 100 aliases/);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it('refuses PSR values that are not CPU ids instead of building a topology of them', () => {
    expect(fieldsOf({ ps: '  PID   LWP PSR STAT COMMAND\n  500   501 999999999 Rl   CPU 0/KVM\n' }).ps).toMatch(/not a CPU id/);
  });
});
