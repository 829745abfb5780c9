import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseQueryCpusFast, parseQueryIothreads } from './replies';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
/** The `return` member of a captured reply. */
const ret = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).return;

const x86 = (socket: number, core: number) => ({ 'socket-id': socket, 'core-id': core, 'thread-id': 0, 'node-id': 0 });

describe('parseQueryCpusFast', () => {
  it('reads the vCPU threads of probe1 before and after hot-plugging vCPU 2', () => {
    expect(parseQueryCpusFast(ret('probe1.query-cpus-fast.json'))).toEqual([
      { index: 0, tid: 7474, source: 'qmp', props: x86(0, 0), qomPath: '/machine/unattached/device[0]' },
      { index: 1, tid: 7475, source: 'qmp', props: x86(0, 1), qomPath: '/machine/unattached/device[2]' },
    ]);
    expect(parseQueryCpusFast(ret('probe1.after-hotplug.query-cpus-fast.json'))[2]).toEqual({
      index: 2,
      tid: 8096,
      source: 'qmp',
      props: x86(1, 0),
      qomPath: '/machine/peripheral/vcpu2',
    });
  });

  it('reads probe2 and probe3 (4 vCPUs, two hot-plugged)', () => {
    expect(parseQueryCpusFast(ret('probe2.query-cpus-fast.json')).map((v) => v.tid)).toEqual([7550, 7551]);
    expect(parseQueryCpusFast(ret('probe3.query-cpus-fast.json')).map((v) => [v.index, v.tid])).toEqual([
      [0, 9484],
      [1, 9485],
      [2, 9545],
      [3, 9546],
    ]);
  });

  it('accepts the QEMU 4/5 shape (arch, no target) and other topologies, sorted by index', () => {
    const old = [
      { arch: 'x86', 'cpu-index': 1, 'qom-path': '/machine/unattached/device[1]', 'thread-id': 12, props: { 'die-id': 0, 'core-id': 1 } },
      { arch: 's390', 'cpu-index': 0, 'qom-path': '/machine/unattached/device[0]', 'thread-id': 11, 'cpu-state': 'operating' },
      {
        target: 'aarch64',
        'cpu-index': 2,
        'qom-path': '/m/2',
        'thread-id': 13,
        props: { 'cluster-id': 1, 'module-id': 0, 'drawer-id': 0, 'book-id': 2, 'future-id': 7 },
      },
    ];
    const got = parseQueryCpusFast(old);
    expect(got.map((v) => v.index)).toEqual([0, 1, 2]);
    expect(got[0]?.props).toEqual({});
    expect(got[1]?.props).toEqual({ 'die-id': 0, 'core-id': 1 });
    expect(got[2]?.props).toEqual({ 'cluster-id': 1, 'module-id': 0, 'drawer-id': 0, 'book-id': 2, 'future-id': 7 });
  });

  it('accepts an empty list', () => {
    expect(parseQueryCpusFast([])).toEqual([]);
  });

  describe('hostile input', () => {
    const cpu = { 'cpu-index': 0, 'qom-path': '/p', 'thread-id': 5 };
    it.each([
      [null, /query-cpus-fast reply is not what QEMU 4-9 sends: \(top level\): /],
      [{ return: [] }, /\(top level\): .*array/],
      [[{ ...cpu, 'thread-id': '5' }], /\[0\]\.thread-id: .*number/],
      [[cpu, { ...cpu, 'cpu-index': 1, 'thread-id': 0 }], /\[1\]\.thread-id: /],
      [[{ ...cpu, 'cpu-index': -1 }], /\[0\]\.cpu-index: /],
      [[{ ...cpu, 'cpu-index': 1.5 }], /\[0\]\.cpu-index: .*int/],
      [[{ ...cpu, props: { 'core-id': 'x' } }], /\[0\]\.props\.core-id: /],
      [[{ ...cpu, props: { vendor: 'evil' } }], /\[0\]\.props\.vendor: /],
      [[{ 'cpu-index': 0, 'thread-id': 5 }], /\[0\]\.qom-path: /],
      [[cpu, { ...cpu, 'thread-id': 6 }], /lists cpu-index 0 twice/],
      [[cpu, { ...cpu, 'cpu-index': 1 }], /lists thread-id 5 twice/],
    ])('rejects %j', (input, re) => {
      expect(() => parseQueryCpusFast(input)).toThrow(re);
    });

    it('does not let a "__proto__" prop replace the prototype', () => {
      const got = parseQueryCpusFast(JSON.parse('[{"cpu-index":0,"qom-path":"/p","thread-id":5,"props":{"__proto__":1}}]'));
      expect(Object.getPrototypeOf(got[0]?.props)).toBe(Object.prototype);
    });

    it('lists at most five issues', () => {
      const bad = Array.from({ length: 9 }, () => ({}));
      expect(() => parseQueryCpusFast(bad)).toThrow(/; and \d+ more$/);
    });
  });
});

describe('parseQueryIothreads', () => {
  it('reads probe2 (one IOThread) and probe1 (none)', () => {
    expect(parseQueryIothreads(ret('probe2.query-iothreads.json'))).toEqual([{ id: 'iothread1', tid: 7548 }]);
    expect(parseQueryIothreads(ret('probe1.query-iothreads.json'))).toEqual([]);
  });

  it('rejects bad entries naming the field', () => {
    expect(() => parseQueryIothreads([{ id: 'iothread1' }])).toThrow(/query-iothreads reply .*\[0\]\.thread-id: /);
    expect(() => parseQueryIothreads([{ id: '', 'thread-id': 3 }])).toThrow(/\[0\]\.id: /);
    expect(() => parseQueryIothreads({})).toThrow(/\(top level\)/);
    expect(() =>
      parseQueryIothreads([
        { id: 'a', 'thread-id': 3 },
        { id: 'a', 'thread-id': 4 },
      ]),
    ).toThrow(/lists id "a" twice/);
  });
});
