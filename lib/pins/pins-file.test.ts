import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePinsFile } from './pins-file';

const FIX = path.join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');

const EXAMPLE = `
vms:
  web-1:                       # the QEMU -name / libvirt domain name
    vcpupin: { "0": "2", "1": "3" }   # vCPU index -> cpuset
    emulatorpin: "0-1"                # all non-vCPU threads of the process
    iothreadpin: { "1": "0-1" }       # IOThread id -> cpuset
    dedicated: true                   # no other VM may use these pCPUs
`;

describe('parsePinsFile', () => {
  it('parses the documented example', () => {
    const vms = parsePinsFile(EXAMPLE);
    expect([...vms.keys()]).toEqual(['web-1']);
    expect(vms.get('web-1')).toEqual({
      source: 'pins-file',
      vcpupin: new Map([
        [0, [2]],
        [1, [3]],
      ]),
      vcpuDefault: null,
      emulatorpin: [0, 1],
      iothreadpin: new Map([[1, [0, 1]]]),
      dedicated: true,
      memoryNodes: null,
      guestCells: [],
      vcpusched: new Map(),
    });
  });

  it('reads vcpusched in libvirt\'s names, one entry per group of vCPUs', () => {
    const vms = parsePinsFile(
      'vms:\n  rt:\n    vcpupin: { "0": 2, "1": 3 }\n    vcpusched:\n      - { vcpus: "0-2,^1", scheduler: fifo, priority: 1 }\n      - { vcpus: 1, scheduler: idle }\n',
    );
    expect(vms.get('rt')?.vcpusched).toEqual(
      new Map([
        [0, { policy: 'fifo', priority: 1 }],
        [1, { policy: 'idle', priority: 0 }],
        [2, { policy: 'fifo', priority: 1 }],
      ]),
    );
  });

  it.each([
    ['- { vcpus: "0", scheduler: fifo }', /vms\.rt\.vcpusched\[0\]: scheduler fifo needs a priority from 1 to 99/],
    ['- { vcpus: "0", scheduler: rr, priority: 100 }', /priority 100 is not from 1 to 99/],
    ['- { vcpus: "0", scheduler: deadline }', /vms\.rt\.vcpusched\[0\]\.scheduler: expected fifo, rr, batch or idle/],
    ['- { vcpus: "0", scheduler: idle, nice: 3 }', /unknown key "nice"/],
    ['- { vcpus: "0-1", scheduler: idle }\n      - { vcpus: 1, scheduler: batch }', /vms\.rt\.vcpusched: vCPU 1 is in two entries/],
  ])('rejects vcpusched %j', (entry, msg) => {
    expect(() => parsePinsFile(`vms:\n  rt:\n    vcpusched:\n      ${entry}\n`)).toThrow(msg);
  });

  it('expresses the cputune of the captured probe1/probe2 guests', () => {
    // probe1: <vcpupin vcpu='0' cpuset='0'/> <vcpupin vcpu='1' cpuset='1'/> <emulatorpin cpuset='0-1'/>
    const emulatorpin = /\*: (\S+)/.exec(readFileSync(path.join(FIX, 'probe1.emulatorpin.txt'), 'utf8'))?.[1] ?? '';
    const yaml = `vms:\n  probe1:\n    vcpupin:\n      0: 0\n      1: 1\n    emulatorpin: ${emulatorpin}\n  probe2:\n    vcpupin: {0: "0", 1: "1"}\n    iothreadpin: {1: 1}\n    numatune: "0"\n`;
    const vms = parsePinsFile(yaml);
    expect(vms.get('probe1')).toMatchObject({ vcpupin: new Map([[0, [0]], [1, [1]]]), emulatorpin: [0, 1], dedicated: false });
    expect(vms.get('probe2')).toMatchObject({ iothreadpin: new Map([[1, [1]]]), memoryNodes: [0], emulatorpin: null });
  });

  it('accepts unquoted YAML cpusets, numbers, ^ exclusions and sorts vCPU indexes', () => {
    const vms = parsePinsFile('vms:\n  a:\n    vcpupin:\n      10: 0-3,^1\n      2: 5\n    emulatorpin: 0-1\n');
    expect([...(vms.get('a')?.vcpupin ?? [])]).toEqual([
      [2, [5]],
      [10, [0, 2, 3]],
    ]);
  });

  it('reads JSON by file name or leading brace', () => {
    const json = '{"vms": {"db": {"vcpupin": {"0": 4, "1": "5-6"}, "dedicated": false}}}';
    expect(parsePinsFile(json).get('db')?.vcpupin.get(1)).toEqual([5, 6]);
    expect(parsePinsFile(`\n  ${json}`, 'pins.JSON').get('db')?.dedicated).toBe(false);
    expect(() => parsePinsFile('vms: {}', 'pins.json')).toThrow(/^pins file pins\.json: invalid JSON/);
  });

  it('accepts an explicit empty VM list and a VM with no pins', () => {
    expect(parsePinsFile('vms: {}\n').size).toBe(0);
    expect(parsePinsFile('vms:\n  idle: {}\n').get('idle')).toMatchObject({ vcpupin: new Map(), emulatorpin: null });
    expect(parsePinsFile('\uFEFFvms: {}\n').size).toBe(0);
  });
});

describe('parsePinsFile errors name the VM and key', () => {
  it.each([
    ['vms:\n  web-1:\n    vcpupin: { "0": "2-" }\n', 'pins file: vms.web-1.vcpupin."0": invalid cpuset "2-": range "2-" has no end'],
    ['vms:\n  web-1:\n    vcpupinn: { "0": "2" }\n', 'pins file: vms.web-1: unknown key "vcpupinn" (allowed: vcpupin, emulatorpin, iothreadpin, dedicated, numatune, vcpusched)'],
    ['vm:\n  web-1: {}\n', 'pins file: top level: unknown key "vm" (allowed: vms)'],
    ['vms:\n  web-1:\n    vcpupin: { "-1": "2" }\n', 'pins file: vms.web-1.vcpupin."-1": vCPU index must be a non-negative integer'],
    ['vms:\n  web-1:\n    vcpupin: { "x": "2" }\n', 'pins file: vms.web-1.vcpupin."x": vCPU index'],
    ['vms:\n  web-1:\n    vcpupin: { "99999999999999999999": "2" }\n', 'vCPU index must be'],
    ['vms:\n  web-1:\n    iothreadpin: { "0": "2" }\n', 'pins file: vms.web-1.iothreadpin."0": IOThread id must be a positive integer'],
    ['vms:\n  web-1:\n    emulatorpin: "5-3"\n', 'pins file: vms.web-1.emulatorpin: invalid cpuset "5-3": range "5-3" is reversed'],
    ['vms:\n  web-1:\n    emulatorpin: "^2"\n', 'pins file: vms.web-1.emulatorpin: invalid cpuset "^2": selects no CPUs'],
    ['vms:\n  web-1:\n    emulatorpin: ""\n', 'invalid cpuset "": selects no CPUs'],
    ['vms:\n  web-1:\n    emulatorpin: 99999\n', 'invalid cpuset "99999": CPU 99999 in "99999" exceeds the maximum 8191'],
    ['vms:\n  web-1:\n    emulatorpin: -1\n', 'invalid cpuset -1: a number must be one CPU id'],
    ['vms:\n  web-1:\n    emulatorpin: 1.5\n', 'invalid cpuset 1.5'],
    ['vms:\n  web-1:\n    emulatorpin: true\n', 'pins file: vms.web-1.emulatorpin: expected a cpuset string like "0-3" or a CPU number'],
    ['vms:\n  web-1:\n    emulatorpin: [1, 2]\n', 'vms.web-1.emulatorpin: expected a cpuset string'],
    ['vms:\n  web-1:\n    dedicated: "yes"\n', 'pins file: vms.web-1.dedicated: expected boolean, received string'],
    ['vms:\n  web-1:\n    numatune: "0-"\n', 'pins file: vms.web-1.numatune: invalid cpuset "0-"'],
    ['vms:\n  web-1:\n', 'pins file: vms.web-1: expected object, received null'],
    ['vms:\n  "": {}\n', 'pins file: vms."": VM name must not be empty'],
    ['vms: [1, 2]\n', 'pins file: vms: expected record'],
    ['just a string\n', 'pins file: top level: expected object'],
    ['- 1\n- 2\n', 'pins file: top level: expected object'],
    ['{}', 'pins file: vms: expected record, received undefined'],
  ])('%j', (text, msg) => {
    expect(() => parsePinsFile(text)).toThrow(msg);
  });

  it('lists every problem, one per line', () => {
    const text = 'vms:\n  a:\n    vcpupin: { "0": "x" }\n  b.c:\n    emulatorpin: "1,,2"\n    nope: 1\n';
    expect(() => parsePinsFile(text, '/etc/vcpumap/pins.yaml')).toThrow(
      [
        'pins file /etc/vcpumap/pins.yaml: vms.a.vcpupin."0": invalid cpuset "x": "x" is not a CPU number or range',
        'pins file /etc/vcpumap/pins.yaml: vms."b.c".emulatorpin: invalid cpuset "1,,2": empty item at position 2 (stray comma?)',
        'pins file /etc/vcpumap/pins.yaml: vms."b.c": unknown key "nope" (allowed: vcpupin, emulatorpin, iothreadpin, dedicated, numatune, vcpusched)',
      ].join('\n'),
    );
  });

  it.each([
    ['', /pins file: is empty/],
    ['   \n\n', /pins file: is empty/],
    ['{"vms": {\n', /pins file: invalid JSON/],
    ['vms: {\n', /pins file: invalid YAML/],
    ['vms:\n  a: {}\n  a: {}\n', /pins file: invalid YAML: .*[Uu]nique/],
    ['vms:\n\t- bad indentation\n  x: [\n', /pins file: invalid YAML/],
    ['{"vms": {"a": {}, "a": {"dedicated": true}}}', /pins file: .*[Uu]nique/],
    ['{"vms": {"a": {"vcpupin": {"0": 1, "0": 2}}}}', /pins file: .*[Uu]nique/],
    ['\x00\x01\x02garbage: [', /pins file: invalid YAML/],
  ])('rejects %j', (text, msg) => {
    expect(() => parsePinsFile(text)).toThrow(msg);
  });

  it('bounds alias expansion ("billion laughs")', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`);
    }
    lines.push('vms: {}');
    expect(() => parsePinsFile(lines.join('\n'))).toThrow(/pins file: invalid YAML: .*[Aa]lias/);
  });
});
